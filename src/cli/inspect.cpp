// `occam inspect FILE.gguf [--json] [--metadata]`: a GGUF model's header, hyperparameters, tokenizer
// and tensor table. A file that does not validate gives a one-line error on stderr and exit code 1.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "gguf/gguf.h"

namespace occam::cli {
namespace {

namespace json = boost::json;

struct InspectOptions {
  std::string path;
  bool json = false;
  bool metadata = false;
};

// Hyperparameters shown for every model; absent keys print as "-" (JSON null).
struct Hyperparameter {
  const char* json_name;
  const char* label;
  const char* key;
};
constexpr Hyperparameter kHyperparameters[] = {
    {"context_length", "context length", "{arch}.context_length"},
    {"block_count", "layers", "{arch}.block_count"},
    {"embedding_length", "embedding", "{arch}.embedding_length"},
    {"feed_forward_length", "feed forward", "{arch}.feed_forward_length"},
    {"head_count", "heads", "{arch}.attention.head_count"},
    {"head_count_kv", "kv heads", "{arch}.attention.head_count_kv"},
};

// What llama.cpp's loader reports when general.file_type is absent: the ftype of the most common
// tensor type, marked as guessed (llama_model_loader, "guessed" ftype).
std::string guess_file_type(const gguf::File& file) {
  std::map<gguf::TensorType, int> counts;
  for (const gguf::TensorInfo& t : file.tensors()) ++counts[t.type];
  if (counts.empty()) return "";
  auto most = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  using T = gguf::TensorType;
  switch (most->first) {
    case T::F32:
      return "ALL_F32";
    case T::F16:
      return "MOSTLY_F16";
    case T::BF16:
      return "MOSTLY_BF16";
    case T::Q4_0:
      return "MOSTLY_Q4_0";
    case T::Q4_1:
      return "MOSTLY_Q4_1";
    case T::Q5_0:
      return "MOSTLY_Q5_0";
    case T::Q5_1:
      return "MOSTLY_Q5_1";
    case T::Q8_0:
      return "MOSTLY_Q8_0";
    case T::Q2_K:
      return "MOSTLY_Q2_K";
    case T::Q3_K:
      return "MOSTLY_Q3_K_M";
    case T::Q4_K:
      return "MOSTLY_Q4_K_M";
    case T::Q5_K:
      return "MOSTLY_Q5_K_M";
    case T::Q6_K:
      return "MOSTLY_Q6_K";
    case T::TQ1_0:
      return "MOSTLY_TQ1_0";
    case T::TQ2_0:
      return "MOSTLY_TQ2_0";
    case T::IQ2_XXS:
      return "MOSTLY_IQ2_XXS";
    case T::IQ2_XS:
      return "MOSTLY_IQ2_XS";
    case T::IQ2_S:
      return "MOSTLY_IQ2_S";
    case T::IQ3_XXS:
      return "MOSTLY_IQ3_XXS";
    case T::IQ1_S:
      return "MOSTLY_IQ1_S";
    case T::IQ1_M:
      return "MOSTLY_IQ1_M";
    case T::IQ4_NL:
      return "MOSTLY_IQ4_NL";
    case T::IQ4_XS:
      return "MOSTLY_IQ4_XS";
    case T::IQ3_S:
      return "MOSTLY_IQ3_S";
    default:
      return "";
  }
}

std::string human_count(uint64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f} M", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.2f} K", n / 1e3);
  return std::to_string(n);
}

std::string human_bytes(uint64_t n) {
  if (n >= (1ull << 30)) return fmt::format("{:.2f} GiB", n / double(1ull << 30));
  if (n >= (1ull << 20)) return fmt::format("{:.2f} MiB", n / double(1ull << 20));
  if (n >= (1ull << 10)) return fmt::format("{:.2f} KiB", n / double(1ull << 10));
  return fmt::format("{} B", n);
}

// A metadata value as JSON: numbers, bools and strings natively; arrays as a summary (a vocabulary
// has 150k entries) unless they are short.
json::value to_json(const gguf::Value& value) {
  return value.visit([](auto v) -> json::value {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, gguf::ArrayView>) {
      if (v.size() > 16) {
        return json::object{
            {"type", "array"}, {"element_type", gguf::to_string(v.element_type())}, {"length", v.size()}};
      }
      json::array out;
      for (uint64_t i = 0; i < v.size(); ++i) out.push_back(to_json(v[i]));
      return out;
    } else if constexpr (std::is_same_v<T, std::string_view>) {
      return json::string(v);
    } else if constexpr (std::is_same_v<T, float>) {
      return std::stod(fmt::format("{}", v));  // the float's shortest form (1e-05, not 9.9999997e-06)
    } else {
      return v;
    }
  });
}

struct Summary {
  std::string architecture, name, file_type, tokenizer_model, tokenizer_pre;
  std::optional<uint32_t> file_type_id;
  std::string guessed_file_type;  // when general.file_type is absent
  std::optional<uint64_t> vocab_size;
  bool chat_template = false;
  std::map<std::string, uint64_t> tensor_types;  // type name → tensor count
};

Summary summarize(const gguf::File& file) {
  Summary s;
  s.architecture = std::string(file.architecture());
  s.name = std::string(file.get_string("general.name").value_or(""));
  if (auto ft = file.get_integer<uint32_t>("general.file_type"); ft.ok()) {
    s.file_type_id = *ft;
    s.file_type = gguf::file_type_name(*ft);
  } else {
    s.guessed_file_type = guess_file_type(file);
  }
  s.tokenizer_model = std::string(file.get_string("tokenizer.ggml.model").value_or(""));
  s.tokenizer_pre = std::string(file.get_string("tokenizer.ggml.pre").value_or(""));
  if (auto tokens = file.get_array("tokenizer.ggml.tokens"); tokens.ok()) s.vocab_size = tokens->size();
  s.chat_template = file.contains("tokenizer.chat_template");
  for (const gguf::TensorInfo& t : file.tensors()) ++s.tensor_types[std::string(gguf::to_string(t.type))];
  return s;
}

std::string type_summary(const Summary& s) {
  std::string out;
  for (const auto& [type, count] : s.tensor_types)
    out += fmt::format("{}{} × {}", out.empty() ? "" : ", ", type, count);
  return out.empty() ? "-" : out;
}

void print_text(const gguf::File& file, const InspectOptions& options) {
  Summary s = summarize(file);
  auto or_dash = [](const std::string& v) { return v.empty() ? std::string("-") : v; };
  fmt::print("file            {} ({}, {} bytes)\n", file.name(), human_bytes(file.size()), file.size());
  fmt::print("gguf            v{}, alignment {}, data at {:#x}, {} metadata keys, {} tensors\n",
             file.version(), file.alignment(), file.data_offset(), file.metadata().size(),
             file.tensors().size());
  fmt::print("architecture    {}\n", or_dash(s.architecture));
  fmt::print("name            {}\n", or_dash(s.name));
  fmt::print("parameters      {} ({})\n", file.parameter_count(), human_count(file.parameter_count()));
  std::string file_type = "-";
  if (s.file_type_id) {
    file_type = fmt::format("{} (general.file_type = {})", s.file_type, *s.file_type_id);
  } else if (!s.guessed_file_type.empty()) {
    file_type = fmt::format("{} (guessed from the tensors: general.file_type absent)", s.guessed_file_type);
  }
  fmt::print("file type       {}\n", file_type);
  fmt::print("tensor types    {}\n", type_summary(s));
  for (const Hyperparameter& h : kHyperparameters) {
    const gguf::KeyValue* kv = file.find(h.key);
    fmt::print("{:<16}{}\n", h.label, kv ? kv->value.to_display() : "-");
  }
  fmt::print("tokenizer       {} (pre: {}), {} tokens\n", or_dash(s.tokenizer_model),
             or_dash(s.tokenizer_pre), s.vocab_size ? std::to_string(*s.vocab_size) : "-");
  fmt::print("chat template   {}\n", s.chat_template ? "present" : "absent");

  if (options.metadata) {
    fmt::print("\nmetadata ({})\n", file.metadata().size());
    for (const gguf::KeyValue& kv : file.metadata()) {
      fmt::print("  {:<44} {:<7} {}\n", kv.key, gguf::to_string(kv.value.type()), kv.value.to_display(8));
    }
  }

  if (file.tensors().empty()) return;
  size_t width = 4;
  for (const gguf::TensorInfo& t : file.tensors()) width = std::max(width, t.name.size());
  fmt::print("\ntensors ({})\n", file.tensors().size());
  fmt::print("  {:<{}}  {:<8} {:<22} {:>12}\n", "name", width, "type", "shape", "bytes");
  for (const gguf::TensorInfo& t : file.tensors()) {
    fmt::print("  {:<{}}  {:<8} {:<22} {:>12}\n", t.name, width, gguf::to_string(t.type), t.shape_string(),
               t.n_bytes);
  }
}

void print_json(const gguf::File& file) {
  Summary s = summarize(file);
  json::object out;
  out["file"] = file.name();
  out["bytes"] = file.size();
  out["version"] = file.version();
  out["alignment"] = file.alignment();
  out["data_offset"] = file.data_offset();
  out["architecture"] = s.architecture.empty() ? json::value(nullptr) : json::value(s.architecture);
  out["name"] = s.name.empty() ? json::value(nullptr) : json::value(s.name);
  out["parameters"] = file.parameter_count();
  if (s.file_type_id) {
    out["file_type"] = json::object{{"id", *s.file_type_id}, {"name", s.file_type}};
  } else if (!s.guessed_file_type.empty()) {
    out["file_type"] = json::object{{"id", nullptr}, {"name", s.guessed_file_type}, {"guessed", true}};
  } else {
    out["file_type"] = nullptr;
  }
  json::object types;
  for (const auto& [type, count] : s.tensor_types) types[type] = count;
  out["tensor_types"] = std::move(types);
  for (const Hyperparameter& h : kHyperparameters) {
    const gguf::KeyValue* kv = file.find(h.key);
    out[h.json_name] = kv ? to_json(kv->value) : json::value(nullptr);
  }
  out["tokenizer"] = json::object{
      {"model", s.tokenizer_model.empty() ? json::value(nullptr) : json::value(s.tokenizer_model)},
      {"pre", s.tokenizer_pre.empty() ? json::value(nullptr) : json::value(s.tokenizer_pre)},
      {"vocab_size", s.vocab_size ? json::value(*s.vocab_size) : json::value(nullptr)},
  };
  out["chat_template"] = s.chat_template;
  json::object metadata;
  for (const gguf::KeyValue& kv : file.metadata()) metadata[kv.key] = to_json(kv.value);
  out["metadata"] = std::move(metadata);
  json::array tensors;
  for (const gguf::TensorInfo& t : file.tensors()) {
    json::array shape;
    for (uint64_t d : t.shape()) shape.push_back(d);
    tensors.push_back(json::object{{"name", t.name},
                                   {"type", gguf::to_string(t.type)},
                                   {"shape", std::move(shape)},
                                   {"bytes", t.n_bytes},
                                   {"offset", t.file_offset}});
  }
  out["tensors"] = std::move(tensors);
  fmt::print("{}\n", json::serialize(out));
}

CommandRun setup_inspect(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  app.add_option("file", options->path, "GGUF model file")->required();
  app.add_flag("--json", options->json, "print one JSON object (every metadata key, arrays summarised)");
  app.add_flag("--metadata", options->metadata, "also list every metadata key (text output)");
  return [options]() -> int {
    auto file = gguf::File::open(options->path);
    if (!file.ok()) {
      fmt::print(stderr, "occam inspect: {}\n", file.error().message());
      return kExitFailure;
    }
    if (options->json) {
      print_json(*file);
    } else {
      print_text(*file, *options);
    }
    return kExitOk;
  };
}

}  // namespace
}  // namespace occam::cli

OCCAM_REGISTER_COMMAND(inspect, "Print a GGUF model's metadata and tensor table", occam::cli::setup_inspect);
