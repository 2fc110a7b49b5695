// Reading YAML configuration into typed values with errors that say where: every failure names the
// file, line and column of the offending node and its key path ("occam.yaml:12:5: models.big.port:
// expected an integer"). The occam.yaml schema itself lives with its users (server, backends); this
// is the generic YAML -> typed layer, without exposing yaml-cpp to its includers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace occam {

class ConfigNode {
 public:
  // Parses a whole document. Syntax errors come back as invalid_argument "name:line:col: message".
  static Result<ConfigNode> parse(std::string_view text, std::string source_name = "<config>");
  static Result<ConfigNode> load_file(const std::filesystem::path& path);

  ConfigNode();  // an absent node
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);
  ConfigNode(ConfigNode&&) noexcept;
  ConfigNode& operator=(ConfigNode&&) noexcept;

  bool present() const;
  bool is_map() const;
  bool is_sequence() const;
  bool is_scalar() const;
  bool is_null() const;

  // "file:line:col" of this node (1-based), or of its parent map when the node is absent.
  std::string where() const;
  // Dotted key path from the document root: "models.big.timeouts.connect_ms", "api_keys[2].key".
  const std::string& path() const;

  // An error that names this node: "file:line:col: path: <message>".
  template <typename... Args>
  Error error(fmt::format_string<Args...> format, Args&&... args) const {
    return located_error(fmt::format(format, std::forward<Args>(args)...));
  }
  Error located_error(std::string_view message) const;

  // Map access. `child` of an absent key is an absent node (check `present()`); `require` fails.
  ConfigNode child(std::string_view key) const;
  Result<ConfigNode> require(std::string_view key) const;
  // Every (key, value) of a map in document order; an error when this is not a map.
  Result<std::vector<std::pair<std::string, ConfigNode>>> entries() const;
  // Every item of a sequence; an error when this is not a sequence.
  Result<std::vector<ConfigNode>> items() const;
  // Fails on the first key of this map not in `allowed`, so that typos do not pass silently.
  Status check_keys(std::initializer_list<std::string_view> allowed) const;
  Status check_keys(const std::vector<std::string_view>& allowed) const;

  // Scalars, converted strictly (an integer field refuses "12abc", 1.5 and out-of-range values).
  Result<std::string> as_string() const;
  Result<int64_t> as_int(int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  Result<double> as_double() const;
  Result<bool> as_bool() const;
  Result<std::vector<std::string>> as_string_list() const;  // a sequence of strings (or one string)

  // Optional keys with a default: absent or null gives `fallback`; present but wrong is an error.
  Result<std::string> get_string(std::string_view key, std::string fallback) const;
  Result<int64_t> get_int(std::string_view key, int64_t fallback, int64_t min = INT64_MIN,
                          int64_t max = INT64_MAX) const;
  Result<double> get_double(std::string_view key, double fallback) const;
  Result<bool> get_bool(std::string_view key, bool fallback) const;

 private:
  struct Impl;
  explicit ConfigNode(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace occam
