#include "core/config.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/file.h"

namespace occam {

struct ConfigNode::Impl {
  YAML::Node node;
  bool present = false;
  std::shared_ptr<const std::string> source;
  std::string path;
  int line = 0;  // 1-based; of the node, or of its parent map when absent
  int column = 0;
  int key_line = 0;  // of the key that names this node in its map (0: none)
  int key_column = 0;
};

namespace {

std::string join_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string_view type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

}  // namespace

ConfigNode::ConfigNode() : impl_(std::make_shared<Impl>()) {}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode&) = default;
ConfigNode& ConfigNode::operator=(const ConfigNode&) = default;
ConfigNode::ConfigNode(ConfigNode&&) noexcept = default;
ConfigNode& ConfigNode::operator=(ConfigNode&&) noexcept = default;
ConfigNode::ConfigNode(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<ConfigNode> ConfigNode::parse(std::string_view text, std::string source_name) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::make_shared<const std::string>(std::move(source_name));
  try {
    impl->node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // e.msg is the bare message; the mark is 0-based.
    return make_error(ErrorCode::invalid_argument, "{}:{}:{}: {}", *impl->source, e.mark.line + 1,
                      e.mark.column + 1, e.msg);
  }
  impl->present = impl->node.IsDefined() && !impl->node.IsNull();
  impl->line = impl->node.Mark().line + 1;
  impl->column = impl->node.Mark().column + 1;
  if (impl->line <= 0) {
    impl->line = 1;
    impl->column = 1;
  }
  return ConfigNode(std::move(impl));
}

Result<ConfigNode> ConfigNode::load_file(const std::filesystem::path& path) {
  OCCAM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse(text, path.string());
}

bool ConfigNode::present() const {
  return impl_->present;
}
bool ConfigNode::is_map() const {
  return impl_->present && impl_->node.IsMap();
}
bool ConfigNode::is_sequence() const {
  return impl_->present && impl_->node.IsSequence();
}
bool ConfigNode::is_scalar() const {
  return impl_->present && impl_->node.IsScalar();
}
bool ConfigNode::is_null() const {
  return !impl_->present || impl_->node.IsNull();
}

std::string ConfigNode::where() const {
  return fmt::format("{}:{}:{}", impl_->source ? *impl_->source : std::string("<config>"), impl_->line,
                     impl_->column);
}

const std::string& ConfigNode::path() const {
  return impl_->path;
}

Error ConfigNode::located_error(std::string_view message) const {
  if (impl_->path.empty()) {
    return make_error(ErrorCode::invalid_argument, "{}: {}", where(), message);
  }
  return make_error(ErrorCode::invalid_argument, "{}: {}: {}", where(), impl_->path, message);
}

ConfigNode ConfigNode::child(std::string_view key) const {
  auto impl = std::make_shared<Impl>();
  impl->source = impl_->source;
  impl->path = join_path(impl_->path, key);
  impl->line = impl_->line;
  impl->column = impl_->column;
  if (is_map()) {
    const YAML::Node& map = impl_->node;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        impl->node = it->second;
        impl->present = !it->second.IsNull();
        YAML::Mark mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
        impl->line = mark.line + 1;
        impl->column = mark.column + 1;
        break;
      }
    }
  }
  return ConfigNode(std::move(impl));
}

Result<ConfigNode> ConfigNode::require(std::string_view key) const {
  if (!is_map()) return error("expected a map with key '{}', found {}", key, type_name(impl_->node));
  ConfigNode value = child(key);
  if (!value.present()) return error("missing required key '{}'", key);
  return value;
}

Result<std::vector<std::pair<std::string, ConfigNode>>> ConfigNode::entries() const {
  std::vector<std::pair<std::string, ConfigNode>> out;
  if (!present()) return out;
  if (!impl_->node.IsMap()) return error("expected a map, found {}", type_name(impl_->node));
  for (auto it = impl_->node.begin(); it != impl_->node.end(); ++it) {
    if (!it->first.IsScalar()) {
      return make_error(ErrorCode::invalid_argument, "{}:{}:{}: {}: keys must be scalars", *impl_->source,
                        it->first.Mark().line + 1, it->first.Mark().column + 1, impl_->path);
    }
    auto impl = std::make_shared<Impl>();
    impl->source = impl_->source;
    impl->path = join_path(impl_->path, it->first.Scalar());
    impl->node = it->second;
    impl->present = !it->second.IsNull();
    YAML::Mark mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
    impl->line = mark.line + 1;
    impl->column = mark.column + 1;
    impl->key_line = it->first.Mark().line + 1;
    impl->key_column = it->first.Mark().column + 1;
    for (const auto& seen : out) {
      if (seen.first == it->first.Scalar()) {
        return make_error(ErrorCode::invalid_argument, "{}:{}:{}: duplicate key '{}'", *impl_->source,
                          it->first.Mark().line + 1, it->first.Mark().column + 1, impl->path);
      }
    }
    out.emplace_back(it->first.Scalar(), ConfigNode(std::move(impl)));
  }
  return out;
}

Result<std::vector<ConfigNode>> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!present()) return out;
  if (!impl_->node.IsSequence()) return error("expected a sequence, found {}", type_name(impl_->node));
  for (std::size_t i = 0; i < impl_->node.size(); ++i) {
    auto impl = std::make_shared<Impl>();
    impl->source = impl_->source;
    impl->path = fmt::format("{}[{}]", impl_->path, i);
    impl->node = impl_->node[i];
    impl->present = !impl->node.IsNull();
    impl->line = impl->node.Mark().line + 1;
    impl->column = impl->node.Mark().column + 1;
    if (impl->line <= 0) {
      impl->line = impl_->line;
      impl->column = impl_->column;
    }
    out.push_back(ConfigNode(std::move(impl)));
  }
  return out;
}

Status ConfigNode::check_keys(std::initializer_list<std::string_view> allowed) const {
  return check_keys(std::vector<std::string_view>(allowed));
}

Status ConfigNode::check_keys(const std::vector<std::string_view>& allowed) const {
  OCCAM_ASSIGN_OR_RETURN(auto all, entries());
  for (const auto& [key, value] : all) {
    bool known = false;
    for (std::string_view name : allowed) known = known || name == key;
    if (!known) {
      std::string list;
      for (std::string_view name : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
      // Point at the key itself, which is what is wrong.
      return make_error(ErrorCode::invalid_argument, "{}:{}:{}: {}: unknown key '{}' (expected one of: {})",
                        *value.impl_->source, value.impl_->key_line, value.impl_->key_column, value.path(),
                        key, list);
    }
  }
  return ok_status();
}

Result<std::string> ConfigNode::as_string() const {
  if (!is_scalar()) return error("expected a string, found {}", type_name(impl_->node));
  return impl_->node.Scalar();
}

Result<int64_t> ConfigNode::as_int(int64_t min, int64_t max) const {
  if (!is_scalar()) return error("expected an integer, found {}", type_name(impl_->node));
  const std::string& text = impl_->node.Scalar();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return error("expected an integer, found '{}'", text);
  }
  if (value < min || value > max) return error("{} is out of range [{}, {}]", value, min, max);
  return value;
}

Result<double> ConfigNode::as_double() const {
  if (!is_scalar()) return error("expected a number, found {}", type_name(impl_->node));
  const std::string& text = impl_->node.Scalar();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return error("expected a number, found '{}'", text);
  }
  return value;
}

Result<bool> ConfigNode::as_bool() const {
  if (!is_scalar()) return error("expected true or false, found {}", type_name(impl_->node));
  const std::string& text = impl_->node.Scalar();
  if (text == "true" || text == "True" || text == "yes") return true;
  if (text == "false" || text == "False" || text == "no") return false;
  return error("expected true or false, found '{}'", text);
}

Result<std::vector<std::string>> ConfigNode::as_string_list() const {
  std::vector<std::string> out;
  if (is_scalar()) {
    out.push_back(impl_->node.Scalar());
    return out;
  }
  OCCAM_ASSIGN_OR_RETURN(auto all, items());
  for (const ConfigNode& item : all) {
    OCCAM_ASSIGN_OR_RETURN(std::string text, item.as_string());
    out.push_back(std::move(text));
  }
  return out;
}

Result<std::string> ConfigNode::get_string(std::string_view key, std::string fallback) const {
  ConfigNode value = child(key);
  if (!value.present()) return fallback;
  return value.as_string();
}

Result<int64_t> ConfigNode::get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  ConfigNode value = child(key);
  if (!value.present()) return fallback;
  return value.as_int(min, max);
}

Result<double> ConfigNode::get_double(std::string_view key, double fallback) const {
  ConfigNode value = child(key);
  if (!value.present()) return fallback;
  return value.as_double();
}

Result<bool> ConfigNode::get_bool(std::string_view key, bool fallback) const {
  ConfigNode value = child(key);
  if (!value.present()) return fallback;
  return value.as_bool();
}

}  // namespace occam
