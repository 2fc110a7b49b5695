#include "ml/dataset.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <simdjson.h>

namespace occam::ml {

namespace od = simdjson::ondemand;

std::vector<const Example*> Dataset::split(std::string_view name) const {
  std::vector<const Example*> out;
  for (const Example& e : examples) {
    if (e.split == name) out.push_back(&e);
  }
  return out;
}

bool Dataset::has_split(std::string_view name) const {
  for (const Example& e : examples) {
    if (e.split == name) return true;
  }
  return false;
}

namespace {

Error line_error(size_t line, std::string_view what) {
  return make_error(ErrorCode::invalid_argument, "line {}: {}", line, what);
}

// Reads one JSON object line into `example`. `labels_seen` tells whether a label field was found
// and whether it was a list.
Status parse_line(od::parser& parser, simdjson::padded_string_view json, size_t line_no,
                  const DatasetOptions& options, Example& example, int& label_kind) {
  od::document doc;
  if (auto err = parser.iterate(json).get(doc)) {
    return line_error(line_no, fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  }
  od::object object;
  if (auto err = doc.get_object().get(object)) {
    return line_error(line_no, fmt::format("expected a JSON object: {}", simdjson::error_message(err)));
  }
  bool has_text = false;
  label_kind = 0;  // 0 none, 1 string, 2 list
  example.numeric.assign(options.numeric_fields.size(), std::numeric_limits<float>::quiet_NaN());
  for (auto field_result : object) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) {
      return line_error(line_no, fmt::format("invalid JSON: {}", simdjson::error_message(err)));
    }
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) {
      return line_error(line_no, fmt::format("invalid key: {}", simdjson::error_message(err)));
    }
    od::value value = field.value();
    if (key == options.text_field) {
      std::string_view text;
      if (auto err = value.get_string().get(text)) {
        return line_error(line_no, fmt::format("field '{}' is not a string: {}", key, simdjson::error_message(err)));
      }
      example.text.assign(text);
      has_text = true;
    } else if (key == options.split_field) {
      std::string_view split;
      if (auto err = value.get_string().get(split)) {
        return line_error(line_no, fmt::format("field '{}' is not a string: {}", key, simdjson::error_message(err)));
      }
      example.split.assign(split);
    } else if ((key == options.label_field || key == options.labels_field) && label_kind == 0) {
      od::json_type type;
      if (auto err = value.type().get(type)) {
        return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
      }
      if (type == od::json_type::string) {
        std::string_view label;
        if (auto err = value.get_string().get(label)) {
          return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
        }
        example.labels.emplace_back(label);
        label_kind = 1;
      } else if (type == od::json_type::array) {
        od::array array;
        if (auto err = value.get_array().get(array)) {
          return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
        }
        size_t i = 0;
        for (auto item : array) {
          std::string_view label;
          if (auto err = item.get_string().get(label)) {
            return line_error(line_no, fmt::format("field '{}[{}]' is not a string: {}", key, i,
                                                   simdjson::error_message(err)));
          }
          example.labels.emplace_back(label);
          ++i;
        }
        label_kind = 2;
      } else {
        return line_error(line_no, fmt::format("field '{}' must be a string or a list of strings", key));
      }
    } else {
      for (size_t i = 0; i < options.numeric_fields.size(); ++i) {
        if (key != options.numeric_fields[i]) continue;
        od::json_type type;
        if (auto err = value.type().get(type)) {
          return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
        }
        if (type == od::json_type::number) {
          double number = 0;
          if (auto err = value.get_double().get(number)) {
            return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
          }
          example.numeric[i] = static_cast<float>(number);
        } else if (type == od::json_type::boolean) {
          bool flag = false;
          if (auto err = value.get_bool().get(flag)) {
            return line_error(line_no, fmt::format("field '{}': {}", key, simdjson::error_message(err)));
          }
          example.numeric[i] = flag ? 1.0f : 0.0f;
        } else if (type != od::json_type::null) {
          return line_error(line_no, fmt::format("field '{}' must be a number, a boolean or null", key));
        }
      }
    }
  }
  if (!has_text) return line_error(line_no, fmt::format("missing field '{}'", options.text_field));
  if (options.require_labels && label_kind == 0) {
    return line_error(line_no, fmt::format("missing field '{}' (or '{}')", options.label_field, options.labels_field));
  }
  return ok_status();
}

}  // namespace

Result<Dataset> parse_jsonl(std::string_view content, const DatasetOptions& options) {
  simdjson::padded_string padded(content);
  Dataset dataset;
  dataset.numeric_fields = options.numeric_fields;
  od::parser parser;
  const char* base = padded.data();
  const size_t size = content.size();
  size_t pos = 0;
  size_t line_no = 0;
  bool saw_list = false;
  bool saw_string = false;
  while (pos < size) {
    ++line_no;
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = size;
    std::string_view line(base + pos, end - pos);
    const size_t next = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      pos = next;
      continue;
    }
    // The rest of the buffer (and simdjson's padding after it) pads this line.
    simdjson::padded_string_view view(line.data(), line.size(), size - pos + simdjson::SIMDJSON_PADDING);
    Example example;
    int label_kind = 0;
    OCCAM_TRY(parse_line(parser, view, line_no, options, example, label_kind));
    saw_list |= label_kind == 2;
    saw_string |= label_kind == 1;
    dataset.examples.push_back(std::move(example));
    pos = next;
  }
  if (saw_list && saw_string) {
    return make_error(ErrorCode::invalid_argument,
                      "labels are strings on some lines and lists on others: use one form for the whole file");
  }
  dataset.multi_label = saw_list;
  return dataset;
}

Result<Dataset> load_jsonl(const std::filesystem::path& path, const DatasetOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, "cannot open '{}'", path.string());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::io, "cannot read '{}'", path.string());
  auto result = parse_jsonl(content, options);
  if (!result.ok()) return std::move(result).error().with_context(path.string());
  return result;
}

}  // namespace occam::ml
