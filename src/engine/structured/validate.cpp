// A JSON-schema validator for the subset compile_schema accepts (and allOf). The gateway's own
// validator (backends/json_schema.h) sits above the engine, so the engine carries this small one.
#include <cmath>

#include <boost/json.hpp>

#include "engine/structured/grammar.h"

namespace occam::engine::structured {

namespace json = boost::json;

namespace {

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  return v.is_double() && std::isfinite(v.get_double()) && std::floor(v.get_double()) == v.get_double();
}

double to_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return to_double(a) == to_double(b);
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    const json::value& s = a.is_int64() ? a : b;  // one int64, one uint64
    const json::value& u = a.is_int64() ? b : a;
    return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!json_equal(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const json::value* other = y.if_contains(kv.key());
      if (other == nullptr || !json_equal(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

bool has_type(const json::value& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_bool();
  if (type == "integer") return is_integer(v);
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return false;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

Status fail(const std::string& path, std::string_view what) {
  return make_error(ErrorCode::invalid_argument, "{}: {}", path, what);
}

double number_of(const json::value& v) {
  return v.is_number() ? to_double(v) : 0;
}

}  // namespace

const json::value* resolve_ref(const json::value& root, std::string_view ref) {
  if (ref.empty() || ref[0] != '#') return nullptr;
  ref.remove_prefix(1);
  const json::value* at = &root;
  while (!ref.empty()) {
    if (ref[0] != '/') return nullptr;
    ref.remove_prefix(1);
    const size_t end = std::min(ref.find('/'), ref.size());
    std::string token;
    for (size_t i = 0; i < end; ++i) {
      if (ref[i] == '~' && i + 1 < end && (ref[i + 1] == '0' || ref[i + 1] == '1')) {
        token += ref[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += ref[i];
      }
    }
    ref.remove_prefix(end);
    if (at->is_object()) {
      at = at->get_object().if_contains(token);
    } else if (at->is_array()) {
      char* stop = nullptr;
      const unsigned long i = std::strtoul(token.c_str(), &stop, 10);
      if (token.empty() || *stop != '\0' || i >= at->get_array().size()) return nullptr;
      at = &at->get_array()[i];
    } else {
      return nullptr;
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}

Status validate_in(const json::value& v, const json::value& schema, const json::value& root,
                   std::string& path) {
  if (schema.is_bool())
    return schema.get_bool() ? ok_status() : fail(path, "no value is allowed (schema false)");
  if (!schema.is_object()) return fail(path, "schema is not an object");
  const json::object& s = schema.get_object();
  if (const json::value* ref = s.if_contains("$ref")) {
    const json::value* target = ref->is_string() ? resolve_ref(root, ref->get_string()) : nullptr;
    if (target == nullptr) return fail(path, "unresolvable $ref");
    OCCAM_TRY(validate_in(v, *target, root, path));
  }
  if (const json::value* type = s.if_contains("type")) {
    bool ok = false;
    if (type->is_string()) {
      ok = has_type(v, type->get_string());
    } else if (type->is_array()) {
      for (const json::value& t : type->get_array())
        ok = ok || (t.is_string() && has_type(v, t.get_string()));
    }
    if (const json::value* n = s.if_contains("nullable"); n && n->is_bool() && n->get_bool() && v.is_null()) {
      ok = true;  // OpenAPI 3.0
    }
    if (!ok) return fail(path, fmt::format("expected {}, found {}", json::serialize(*type), kind_name(v)));
  }
  if (const json::value* e = s.if_contains("enum"); e != nullptr && e->is_array()) {
    bool found = false;
    for (const json::value& x : e->get_array()) found = found || json_equal(x, v);
    if (!found) return fail(path, "value not in enum");
  }
  if (const json::value* c = s.if_contains("const"); c != nullptr && !json_equal(*c, v)) {
    return fail(path, "value differs from const");
  }
  if (v.is_string()) {
    const size_t n = code_points(v.get_string());
    if (const json::value* m = s.if_contains("minLength"); m && m->is_number() && n < number_of(*m)) {
      return fail(path, "string shorter than minLength");
    }
    if (const json::value* m = s.if_contains("maxLength"); m && m->is_number() && n > number_of(*m)) {
      return fail(path, "string longer than maxLength");
    }
  }
  if (v.is_number()) {
    const double x = to_double(v);
    const json::value* min = s.if_contains("minimum");
    const json::value* max = s.if_contains("maximum");
    const json::value* xmin = s.if_contains("exclusiveMinimum");
    const json::value* xmax = s.if_contains("exclusiveMaximum");
    const bool min_excl = xmin && xmin->is_bool() && xmin->get_bool();  // draft 4
    const bool max_excl = xmax && xmax->is_bool() && xmax->get_bool();
    if (min && min->is_number() && (min_excl ? x <= to_double(*min) : x < to_double(*min))) {
      return fail(path, "number below minimum");
    }
    if (max && max->is_number() && (max_excl ? x >= to_double(*max) : x > to_double(*max))) {
      return fail(path, "number above maximum");
    }
    if (xmin && xmin->is_number() && x <= to_double(*xmin))
      return fail(path, "number not above exclusiveMinimum");
    if (xmax && xmax->is_number() && x >= to_double(*xmax))
      return fail(path, "number not below exclusiveMaximum");
  }
  if (v.is_array()) {
    const json::array& a = v.get_array();
    if (const json::value* m = s.if_contains("minItems"); m && m->is_number() && a.size() < number_of(*m)) {
      return fail(path, "fewer items than minItems");
    }
    if (const json::value* m = s.if_contains("maxItems"); m && m->is_number() && a.size() > number_of(*m)) {
      return fail(path, "more items than maxItems");
    }
    if (const json::value* items = s.if_contains("items"); items != nullptr && !items->is_array()) {
      const size_t keep = path.size();
      for (size_t i = 0; i < a.size(); ++i) {
        path += fmt::format("[{}]", i);
        OCCAM_TRY(validate_in(a[i], *items, root, path));
        path.resize(keep);
      }
    }
  }
  if (v.is_object()) {
    const json::object& o = v.get_object();
    const json::object* props = nullptr;
    if (const json::value* p = s.if_contains("properties"); p && p->is_object()) props = &p->get_object();
    if (const json::value* req = s.if_contains("required"); req && req->is_array()) {
      for (const json::value& name : req->get_array()) {
        if (name.is_string() && !o.contains(name.get_string())) {
          return fail(path, fmt::format("missing required property {}", json::serialize(name)));
        }
      }
    }
    const json::value* extra = s.if_contains("additionalProperties");
    const size_t keep = path.size();
    for (const auto& kv : o) {
      path += fmt::format(".{}", std::string_view(kv.key()));
      const json::value* sub = props ? props->if_contains(kv.key()) : nullptr;
      if (sub != nullptr) {
        OCCAM_TRY(validate_in(kv.value(), *sub, root, path));
      } else if (extra != nullptr) {
        if (extra->is_bool() && !extra->get_bool()) return fail(path, "property not allowed");
        OCCAM_TRY(validate_in(kv.value(), *extra, root, path));
      }
      path.resize(keep);
    }
  }
  for (const char* key : {"anyOf", "oneOf", "allOf"}) {
    const json::value* list = s.if_contains(key);
    if (list == nullptr || !list->is_array()) continue;
    size_t matches = 0;
    for (const json::value& alt : list->get_array()) {
      std::string sub = path;
      if (validate_in(v, alt, root, sub).ok()) ++matches;
    }
    const size_t n = list->get_array().size();
    if (key[0] == 'a' && key[1] == 'n' && matches == 0) return fail(path, "no anyOf alternative matches");
    if (key[0] == 'o' && matches != 1) return fail(path, fmt::format("{} oneOf alternatives match", matches));
    if (key[1] == 'l' && matches != n) return fail(path, "an allOf alternative does not match");
  }
  return ok_status();
}

Status validate(const json::value& instance, const json::value& schema) {
  std::string path = "$";
  return validate_in(instance, schema, schema, path);
}

}  // namespace occam::engine::structured
