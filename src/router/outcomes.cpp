// Routing datasets: prompts with the recorded quality of each model (routellm_gsm8k's JSONL format).
#include <algorithm>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "router/complexity.h"

namespace occam::router {
namespace json = boost::json;

Result<std::vector<OutcomeRow>> load_outcome_rows(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(ErrorCode::not_found, "cannot open '{}'", path.string());
  std::vector<OutcomeRow> rows;
  std::string line;
  size_t line_no = 0;
  auto bad = [&](std::string_view what) {
    return make_error(ErrorCode::invalid_argument, "{}:{}: {}", path.string(), line_no, what);
  };
  while (std::getline(file, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) return bad("not a JSON object");
    const json::object& o = v.get_object();
    OutcomeRow row;
    const json::value* prompt = o.if_contains("prompt");
    if (!prompt || !prompt->is_string()) return bad("'prompt': expected a string");
    row.prompt = prompt->get_string();
    if (const json::value* id = o.if_contains("id")) {
      row.id = id->is_string() ? std::string(id->get_string()) : json::serialize(*id);
    } else {
      row.id = std::to_string(line_no);
    }
    if (const json::value* c = o.if_contains("contaminated"); c && c->is_bool())
      row.contaminated = c->get_bool();
    const json::value* outcomes = o.if_contains("outcomes");
    if (!outcomes || !outcomes->is_object()) return bad("'outcomes': expected an object");
    for (const auto& [model, outcome] : outcomes->get_object()) {
      double q;
      if (outcome.is_bool()) {
        q = outcome.get_bool() ? 1 : 0;
      } else if (outcome.is_number()) {
        q = outcome.to_number<double>();
      } else if (outcome.is_object()) {
        const json::value* correct = outcome.get_object().if_contains("correct");
        const json::value* score = outcome.get_object().if_contains("score");
        if (correct && correct->is_bool()) {
          q = correct->get_bool() ? 1 : 0;
        } else if (score && score->is_number()) {
          q = score->to_number<double>();
        } else {
          return bad(fmt::format("outcomes.{}: expected 'correct' (bool) or 'score' (number)",
                                 std::string_view(model)));
        }
      } else {
        return bad(
            fmt::format("outcomes.{}: expected a bool, a number or an object", std::string_view(model)));
      }
      row.quality[std::string(model)] = q;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<ModelPair> pick_model_pair(std::span<const OutcomeRow> rows, std::string strong, std::string weak) {
  std::map<std::string, std::pair<double, size_t>> sums;
  for (const OutcomeRow& r : rows)
    for (const auto& [model, q] : r.quality) {
      sums[model].first += q;
      sums[model].second += 1;
    }
  if (sums.size() < 2 && (strong.empty() || weak.empty())) {
    return make_error(ErrorCode::invalid_argument, "routing data needs outcomes of two models, found {}",
                      sums.size());
  }
  for (const std::string* name : {&strong, &weak})
    if (!name->empty() && !sums.count(*name))
      return make_error(ErrorCode::not_found, "no outcomes for model '{}'", *name);
  std::vector<std::pair<double, std::string>> by_mean;
  for (const auto& [model, s] : sums) by_mean.emplace_back(s.first / static_cast<double>(s.second), model);
  std::sort(by_mean.begin(), by_mean.end());
  ModelPair pair{strong.empty() ? by_mean.back().second : strong,
                 weak.empty() ? by_mean.front().second : weak};
  if (pair.strong == pair.weak) {
    return make_error(ErrorCode::invalid_argument, "strong and weak model are the same ('{}')", pair.strong);
  }
  return pair;
}

bool is_held_out(const OutcomeRow& row, double fraction, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ (seed * 0x9e3779b97f4a7c15ull);
  for (unsigned char c : row.id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<double>(h >> 11) / static_cast<double>(uint64_t{1} << 53) < fraction;
}

}  // namespace occam::router
