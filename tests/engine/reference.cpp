#include "reference.h"

#include <boost/json.hpp>
#include <map>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/shared_data.h"

namespace occam::engine::testing {

namespace {

std::vector<ReferenceCase> load_cases() {
  std::vector<ReferenceCase> out;
  auto path = occam::shared_path("reference/logits/manifest.json");
  if (!path.ok()) return out;
  std::ifstream in(*path);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::json::error_code ec;
  boost::json::value root = boost::json::parse(ss.str(), ec);
  if (ec) return out;
  std::map<std::string, std::string> weights;
  for (const auto& m : root.at("models").as_array()) {
    weights[std::string(m.at("file").as_string())] = std::string(m.at("weights").as_string());
  }
  for (const auto& v : root.at("cases").as_array()) {
    const auto& o = v.as_object();
    ReferenceCase c;
    c.id = std::string(o.at("id").as_string());
    c.model = std::string(o.at("model").as_string());
    c.arch = std::string(o.at("arch").as_string());
    c.weights = weights[c.model];
    c.kind = std::string(o.at("kind").as_string());
    for (const auto& t : o.at("token_ids").as_array()) c.tokens.push_back(static_cast<int32_t>(t.as_int64()));
    c.file = std::string(o.at("file").as_string());
    c.width = static_cast<uint32_t>(o.contains("n_vocab") ? o.at("n_vocab").as_int64() : o.at("n_embd").as_int64());
    if (o.contains("top1_margin")) {
      for (const auto& m : o.at("top1_margin").as_array()) c.top1_margin.push_back(static_cast<float>(m.to_number<double>()));
      for (const auto& t : o.at("top1").as_array()) c.top1.push_back(static_cast<int32_t>(t.as_int64()));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

const std::vector<ReferenceCase>& reference_cases() {
  static const std::vector<ReferenceCase> cases = load_cases();
  return cases;
}

std::vector<float> read_f32(const std::string& relative) {
  std::vector<float> out;
  auto path = occam::shared_path(relative);
  if (!path.ok()) return out;
  std::ifstream in(*path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  out.resize(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

}  // namespace occam::engine::testing
