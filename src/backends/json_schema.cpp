#include "backends/json_schema.h"

#include <cmath>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace occam::backends {

namespace json = boost::json;

namespace {

constexpr int kMaxDepth = 64;  // schemas and answers are untrusted; bound the recursion

// Keywords that only annotate: accepted and ignored.
bool is_annotation(std::string_view key) {
  return key == "title" || key == "description" || key == "default" || key == "examples" ||
         key == "$schema" || key == "$id" || key == "$comment" || key == "format" || key == "deprecated" ||
         key == "readOnly" || key == "writeOnly" || key == "strict" || key == "name";
}

bool is_type_name(std::string_view name) {
  return name == "object" || name == "array" || name == "string" || name == "number" || name == "integer" ||
         name == "boolean" || name == "null";
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

Status check_node(const json::value& schema, const std::string& path, int depth);

Status check_schema_map(const json::value& value, const std::string& path, int depth) {
  if (!value.is_object()) return make_error(ErrorCode::invalid_argument, "{}: expected an object", path);
  for (const auto& entry : value.get_object()) {
    OCCAM_TRY(check_node(entry.value(), join(path, entry.key()), depth + 1));
  }
  return ok_status();
}

Status check_node(const json::value& schema, const std::string& path, int depth) {
  const std::string& here = path;
  if (depth > kMaxDepth) return make_error(ErrorCode::invalid_argument, "{}: schema nested too deeply", here);
  if (schema.is_bool()) return ok_status();
  if (!schema.is_object()) {
    return make_error(ErrorCode::invalid_argument, "{}: a schema must be an object or a boolean", here);
  }
  for (const auto& entry : schema.get_object()) {
    std::string_view key = entry.key();
    const json::value& v = entry.value();
    std::string at = join(path, key);
    if (is_annotation(key)) continue;
    if (key == "type") {
      if (v.is_string()) {
        if (!is_type_name(v.get_string())) {
          return make_error(ErrorCode::invalid_argument, "{}: unknown type '{}'", at, std::string_view(v.get_string()));
        }
      } else if (v.is_array()) {
        for (const auto& t : v.get_array()) {
          if (!t.is_string() || !is_type_name(t.get_string())) {
            return make_error(ErrorCode::invalid_argument, "{}: expected type names", at);
          }
        }
      } else {
        return make_error(ErrorCode::invalid_argument, "{}: expected a string or an array", at);
      }
    } else if (key == "properties" || key == "$defs" || key == "definitions") {
      OCCAM_TRY(check_schema_map(v, at, depth));
    } else if (key == "items" || key == "additionalProperties") {
      OCCAM_TRY(check_node(v, at, depth + 1));
    } else if (key == "anyOf" || key == "oneOf" || key == "allOf") {
      if (!v.is_array() || v.get_array().empty()) {
        return make_error(ErrorCode::invalid_argument, "{}: expected a non-empty array of schemas", at);
      }
      std::size_t i = 0;
      for (const auto& sub : v.get_array()) OCCAM_TRY(check_node(sub, fmt::format("{}[{}]", at, i++), depth + 1));
    } else if (key == "required") {
      if (!v.is_array()) return make_error(ErrorCode::invalid_argument, "{}: expected an array of strings", at);
      for (const auto& r : v.get_array()) {
        if (!r.is_string()) return make_error(ErrorCode::invalid_argument, "{}: expected an array of strings", at);
      }
    } else if (key == "enum") {
      if (!v.is_array()) return make_error(ErrorCode::invalid_argument, "{}: expected an array", at);
    } else if (key == "const") {
      // any value
    } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" || key == "exclusiveMaximum" ||
               key == "multipleOf") {
      if (!v.is_number()) return make_error(ErrorCode::invalid_argument, "{}: expected a number", at);
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems" ||
               key == "minProperties" || key == "maxProperties") {
      if (!(v.is_uint64() || (v.is_int64() && v.get_int64() >= 0))) {
        return make_error(ErrorCode::invalid_argument, "{}: expected a non-negative integer", at);
      }
    } else if (key == "$ref") {
      if (!v.is_string()) return make_error(ErrorCode::invalid_argument, "{}: expected a string", at);
      std::string_view ref = v.get_string();
      if (ref != "#" && !ref.starts_with("#/$defs/") && !ref.starts_with("#/definitions/")) {
        return make_error(ErrorCode::invalid_argument, "{}: only local references (#/$defs/...) are supported", at);
      }
    } else {
      return make_error(ErrorCode::invalid_argument, "{}: keyword not supported", at);
    }
  }
  return ok_status();
}

std::string_view kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "unknown";
}

double as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool type_matches(const json::value& v, std::string_view type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_bool();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    if (v.is_double()) {
      double d = v.get_double();
      return std::isfinite(d) && d == std::floor(d);
    }
    return false;
  }
  return false;
}

// Equality in the JSON sense: 1 == 1.0.
bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return as_double(a) == as_double(b);
  return a == b;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Validator {
 public:
  explicit Validator(const json::value& root) : root_(root) {}

  Status validate(const json::value& v, const json::value& schema, const std::string& path, int depth) {
    if (depth > kMaxDepth) return make_error(ErrorCode::invalid_argument, "{}: nested too deeply", path);
    if (schema.is_bool()) {
      if (schema.get_bool()) return ok_status();
      return make_error(ErrorCode::invalid_argument, "{}: no value is allowed here", path);
    }
    if (!schema.is_object()) return ok_status();
    const json::object& s = schema.get_object();

    if (const json::value* ref = s.if_contains("$ref")) {
      const json::value* target = resolve(ref->get_string());
      if (target == nullptr) {
        return make_error(ErrorCode::invalid_argument, "{}: unresolved reference '{}'", path,
                          std::string_view(ref->get_string()));
      }
      OCCAM_TRY(validate(v, *target, path, depth + 1));
    }
    if (const json::value* type = s.if_contains("type")) {
      bool ok = false;
      std::string expected;
      if (type->is_string()) {
        ok = type_matches(v, type->get_string());
        expected = type->get_string();
      } else if (type->is_array()) {
        for (const auto& t : type->get_array()) {
          ok = ok || type_matches(v, t.get_string());
          expected += fmt::format("{}{}", expected.empty() ? "" : " or ", std::string_view(t.get_string()));
        }
      }
      if (!ok) {
        return make_error(ErrorCode::invalid_argument, "{}: expected {}, found {}", path, expected, kind_of(v));
      }
    }
    if (const json::value* e = s.if_contains("enum")) {
      bool found = false;
      for (const auto& option : e->get_array()) found = found || json_equal(option, v);
      if (!found) {
        return make_error(ErrorCode::invalid_argument, "{}: {} is not one of {}", path, json::serialize(v),
                          json::serialize(*e));
      }
    }
    if (const json::value* c = s.if_contains("const"); c != nullptr && !json_equal(*c, v)) {
      return make_error(ErrorCode::invalid_argument, "{}: expected {}", path, json::serialize(*c));
    }
    if (v.is_number()) OCCAM_TRY(check_number(as_double(v), s, path));
    if (v.is_string()) {
      std::size_t length = utf8_length(v.get_string());
      if (const json::value* m = s.if_contains("minLength"); m != nullptr && length < as_double(*m)) {
        return make_error(ErrorCode::invalid_argument, "{}: shorter than {} characters", path, as_double(*m));
      }
      if (const json::value* m = s.if_contains("maxLength"); m != nullptr && length > as_double(*m)) {
        return make_error(ErrorCode::invalid_argument, "{}: longer than {} characters", path, as_double(*m));
      }
    }
    if (v.is_array()) {
      const json::array& a = v.get_array();
      if (const json::value* m = s.if_contains("minItems"); m != nullptr && a.size() < as_double(*m)) {
        return make_error(ErrorCode::invalid_argument, "{}: fewer than {} items", path, as_double(*m));
      }
      if (const json::value* m = s.if_contains("maxItems"); m != nullptr && a.size() > as_double(*m)) {
        return make_error(ErrorCode::invalid_argument, "{}: more than {} items", path, as_double(*m));
      }
      if (const json::value* items = s.if_contains("items")) {
        for (std::size_t i = 0; i < a.size(); ++i) {
          OCCAM_TRY(validate(a[i], *items, fmt::format("{}[{}]", path, i), depth + 1));
        }
      }
    }
    if (v.is_object()) OCCAM_TRY(check_object(v.get_object(), s, path, depth));
    if (const json::value* all = s.if_contains("allOf")) {
      for (const auto& sub : all->get_array()) OCCAM_TRY(validate(v, sub, path, depth + 1));
    }
    for (std::string_view key : {"anyOf", "oneOf"}) {
      const json::value* any = s.if_contains(key);
      if (any == nullptr) continue;
      int matches = 0;
      std::string first_error;
      for (const auto& sub : any->get_array()) {
        Status st = validate(v, sub, path, depth + 1);
        if (st.ok()) {
          ++matches;
        } else if (first_error.empty()) {
          first_error = st.error().message();
        }
      }
      if (matches == 0) {
        return make_error(ErrorCode::invalid_argument, "{}: matches none of {} ({})", path, key, first_error);
      }
      if (key == "oneOf" && matches > 1) {
        return make_error(ErrorCode::invalid_argument, "{}: matches {} schemas of oneOf", path, matches);
      }
    }
    return ok_status();
  }

 private:
  const json::value* resolve(std::string_view ref) const {
    if (ref == "#") return &root_;
    std::string_view rest;
    const json::value* defs = nullptr;
    if (ref.starts_with("#/$defs/")) {
      rest = ref.substr(8);
      defs = root_.is_object() ? root_.get_object().if_contains("$defs") : nullptr;
    } else if (ref.starts_with("#/definitions/")) {
      rest = ref.substr(14);
      defs = root_.is_object() ? root_.get_object().if_contains("definitions") : nullptr;
    }
    if (defs == nullptr || !defs->is_object()) return nullptr;
    return defs->get_object().if_contains(rest);
  }

  static Status check_number(double d, const json::object& s, const std::string& path) {
    if (const json::value* m = s.if_contains("minimum"); m != nullptr && d < as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: {} is below the minimum {}", path, d, as_double(*m));
    }
    if (const json::value* m = s.if_contains("maximum"); m != nullptr && d > as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: {} is above the maximum {}", path, d, as_double(*m));
    }
    if (const json::value* m = s.if_contains("exclusiveMinimum"); m != nullptr && d <= as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: {} is not above {}", path, d, as_double(*m));
    }
    if (const json::value* m = s.if_contains("exclusiveMaximum"); m != nullptr && d >= as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: {} is not below {}", path, d, as_double(*m));
    }
    if (const json::value* m = s.if_contains("multipleOf"); m != nullptr && as_double(*m) > 0) {
      double q = d / as_double(*m);
      if (std::fabs(q - std::round(q)) > 1e-9) {
        return make_error(ErrorCode::invalid_argument, "{}: {} is not a multiple of {}", path, d, as_double(*m));
      }
    }
    return ok_status();
  }

  Status check_object(const json::object& o, const json::object& s, const std::string& path, int depth) {
    if (const json::value* req = s.if_contains("required")) {
      for (const auto& name : req->get_array()) {
        if (!o.contains(name.get_string())) {
          return make_error(ErrorCode::invalid_argument, "{}: missing required property '{}'", path,
                            std::string_view(name.get_string()));
        }
      }
    }
    if (const json::value* m = s.if_contains("minProperties"); m != nullptr && o.size() < as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: fewer than {} properties", path, as_double(*m));
    }
    if (const json::value* m = s.if_contains("maxProperties"); m != nullptr && o.size() > as_double(*m)) {
      return make_error(ErrorCode::invalid_argument, "{}: more than {} properties", path, as_double(*m));
    }
    const json::value* props = s.if_contains("properties");
    const json::value* extra = s.if_contains("additionalProperties");
    for (const auto& entry : o) {
      std::string at = fmt::format("{}.{}", path, std::string_view(entry.key()));
      const json::value* sub = (props != nullptr && props->is_object()) ? props->get_object().if_contains(entry.key())
                                                                         : nullptr;
      if (sub != nullptr) {
        OCCAM_TRY(validate(entry.value(), *sub, at, depth + 1));
      } else if (extra != nullptr) {
        if (extra->is_bool() && !extra->get_bool()) {
          return make_error(ErrorCode::invalid_argument, "{}: property not allowed", at);
        }
        OCCAM_TRY(validate(entry.value(), *extra, at, depth + 1));
      }
    }
    return ok_status();
  }

  const json::value& root_;
};

}  // namespace

Status check_schema(const json::value& schema, std::string_view root_path) {
  return check_node(schema, std::string(root_path), 0);
}

Status validate_json(const json::value& instance, const json::value& schema) {
  Validator validator(schema);
  return validator.validate(instance, schema, "$", 0);
}

}  // namespace occam::backends
