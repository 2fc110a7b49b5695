// Labelled text examples read from JSONL: {"text": ..., "label": ... | "labels": [...], "split": ...}.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::ml {

struct Example {
  std::string text;
  std::vector<std::string> labels;  // one for multi-class data; any number for multi-label data
  std::string split;                // "" when the data has no split field
  std::vector<float> numeric;       // values of DatasetOptions::numeric_fields (NaN when missing)
};

struct Dataset {
  std::vector<Example> examples;
  bool multi_label = false;  // read from a list field (`labels`)
  std::vector<std::string> numeric_fields;

  // Examples of one split, in file order.
  std::vector<const Example*> split(std::string_view name) const;
  bool has_split(std::string_view name) const;
};

struct DatasetOptions {
  std::string text_field = "text";
  std::string label_field = "label";    // a string, or a list of strings (multi-label)
  std::string labels_field = "labels";  // tried when label_field is absent
  std::string split_field = "split";
  std::vector<std::string> numeric_fields;  // extra numeric features (xgboost)
  bool require_labels = true;               // false for prediction input
};

// Parses JSONL; errors name the line (1-based) and the field.
Result<Dataset> parse_jsonl(std::string_view content, const DatasetOptions& options);
Result<Dataset> load_jsonl(const std::filesystem::path& path, const DatasetOptions& options);

}  // namespace occam::ml
