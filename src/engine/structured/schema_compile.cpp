// JSON schema -> grammar nodes. Every keyword is either compiled, ignored as an annotation, or refused
// with its schema path: a schema that is only partly understood must not constrain partly.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include <boost/json.hpp>

#include "engine/structured/grammar.h"

namespace occam::engine::structured {

namespace json = boost::json;

namespace {

constexpr std::array kAnnotations = {"title", "description", "examples",   "default",  "$schema",
                                     "$id",   "$comment",    "deprecated", "readOnly", "writeOnly",
                                     "$defs", "definitions", "strict"};
constexpr std::array kKeywords = {"type",
                                  "properties",
                                  "required",
                                  "additionalProperties",
                                  "items",
                                  "minItems",
                                  "maxItems",
                                  "enum",
                                  "const",
                                  "minLength",
                                  "maxLength",
                                  "minimum",
                                  "maximum",
                                  "exclusiveMinimum",
                                  "exclusiveMaximum",
                                  "anyOf",
                                  "oneOf",
                                  "$ref",
                                  "nullable"};

template <size_t N>
bool one_of(std::string_view key, const std::array<const char*, N>& list) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

constexpr int64_t kPowersOf10[] = {1,           10,           100,          1000,      10000,
                                   100000,      1000000,      10000000,     100000000, 1000000000,
                                   10000000000, 100000000000, 1000000000000};

Node make_node(NodeKind kind) {
  Node n;
  n.kind = kind;
  return n;
}

uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}
uint64_t sat_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

class Compiler {
 public:
  Compiler(const json::value& root, const Limits& limits) : root_(root), limits_(limits) {
    limits_.max_integer_digits = std::clamp<uint32_t>(limits_.max_integer_digits, 1, 12);
    limits_.max_fraction_digits = std::min<uint32_t>(limits_.max_fraction_digits, 6);
  }

  Result<int32_t> compile(const json::value& schema, const std::string& path) {
    // Bounds the work of $ref chains that fan out (each use of a definition is compiled again).
    if (nodes_.size() >= limits_.max_nodes || ++calls_ > 4 * uint64_t{limits_.max_nodes}) {
      return error(ErrorCode::resource_exhausted, path,
                   fmt::format("schema compiles to more than {} nodes", limits_.max_nodes));
    }
    if (schema.is_bool()) {
      if (schema.get_bool()) return any(0);
      return error(ErrorCode::invalid_argument, path, "schema false allows no value");
    }
    if (!schema.is_object()) return error(ErrorCode::invalid_argument, path, "expected a schema object");
    const json::object& s = schema.get_object();
    for (const auto& kv : s) {
      if (!one_of(kv.key(), kAnnotations) && !one_of(kv.key(), kKeywords)) {
        return error(ErrorCode::unsupported, path + "." + std::string(kv.key()),
                     "keyword not supported by structured output");
      }
    }
    auto constraints_beside = [&](std::string_view keyword) {
      for (const auto& kv : s) {
        if (kv.key() != keyword && one_of(kv.key(), kKeywords)) return true;
      }
      return false;
    };
    if (const json::value* ref = s.if_contains("$ref")) {
      if (constraints_beside("$ref")) {
        return error(ErrorCode::unsupported, path + ".$ref", "$ref beside other constraints");
      }
      const json::value* target = ref->is_string() ? resolve_ref(root_, ref->get_string()) : nullptr;
      if (target == nullptr)
        return error(ErrorCode::invalid_argument, path + ".$ref", "unresolvable (local refs only)");
      const std::string name(ref->get_string());
      if (std::find(refs_.begin(), refs_.end(), name) != refs_.end()) {
        return error(ErrorCode::unsupported, path + ".$ref", "recursive $ref '" + name + "'");
      }
      refs_.push_back(name);
      auto node = compile(*target, path + ".$ref");
      refs_.pop_back();
      return node;
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      const json::value* list = s.if_contains(key);
      if (list == nullptr) continue;
      const std::string here = path + "." + key;
      if (constraints_beside(key)) return error(ErrorCode::unsupported, here, "beside other constraints");
      if (!list->is_array() || list->get_array().empty()) {
        return error(ErrorCode::invalid_argument, here, "expected a non-empty array");
      }
      std::vector<int32_t> alts;
      for (size_t i = 0; i < list->get_array().size(); ++i) {
        OCCAM_ASSIGN_OR_RETURN(int32_t alt, compile(list->get_array()[i], fmt::format("{}[{}]", here, i)));
        alts.push_back(alt);
      }
      if (key[0] == 'o') {
        // Exactly one must match: only alternatives that cannot start alike are accepted.
        std::array<uint8_t, 256> seen{};
        for (size_t i = 0; i < alts.size(); ++i) {
          std::array<uint8_t, 256> first{};
          first_bytes(alts[i], first);
          for (int c = 0; c < 256; ++c) {
            if (first[static_cast<size_t>(c)] && seen[static_cast<size_t>(c)]) {
              return error(ErrorCode::unsupported, fmt::format("{}[{}]", here, i),
                           "oneOf alternatives that may both match (use anyOf)");
            }
            seen[static_cast<size_t>(c)] |= first[static_cast<size_t>(c)];
          }
        }
      }
      return any_of(std::move(alts));
    }
    if (s.contains("enum") || s.contains("const")) return literals(schema, path);

    std::vector<std::string> types;
    if (const json::value* type = s.if_contains("type")) {
      if (type->is_string()) {
        types.emplace_back(type->get_string());
      } else if (type->is_array() && !type->get_array().empty()) {
        for (const json::value& t : type->get_array()) {
          if (!t.is_string())
            return error(ErrorCode::invalid_argument, path + ".type", "expected type names");
          types.emplace_back(t.get_string());
        }
      } else {
        return error(ErrorCode::invalid_argument, path + ".type", "expected a type name or a list of them");
      }
    } else {
      // No type: the keywords say which one is meant (the output satisfies them either way).
      if (s.contains("properties") || s.contains("required") || s.contains("additionalProperties")) {
        types.emplace_back("object");
      } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
        types.emplace_back("array");
      } else if (s.contains("minLength") || s.contains("maxLength")) {
        types.emplace_back("string");
      } else if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
                 s.contains("exclusiveMaximum")) {
        types.emplace_back("number");
      } else {
        return any(0);
      }
    }
    if (const json::value* nullable = s.if_contains("nullable");
        nullable && nullable->is_bool() && nullable->get_bool()) {
      types.emplace_back("null");  // OpenAPI 3.0
    }
    std::vector<int32_t> alts;
    for (const std::string& type : types) {
      OCCAM_ASSIGN_OR_RETURN(int32_t node, typed(s, type, path));
      alts.push_back(node);
    }
    if (alts.size() == 1) return alts[0];
    return any_of(std::move(alts));
  }

  Result<int32_t> any(uint32_t level) {
    if (level < any_.size() && any_[level] >= 0) return any_[level];
    std::vector<int32_t> alts;
    OCCAM_ASSIGN_OR_RETURN(int32_t str, add_string(0, limits_.max_string_chars));
    alts.push_back(str);
    OCCAM_ASSIGN_OR_RETURN(int32_t num, add_number(false, std::nullopt, std::nullopt, false, false, "any"));
    alts.push_back(num);
    alts.push_back(literal_node({"true", "false", "null"}));
    if (level < limits_.max_any_depth) {
      OCCAM_ASSIGN_OR_RETURN(int32_t inner, any(level + 1));
      OCCAM_ASSIGN_OR_RETURN(int32_t key, add_string(0, limits_.max_string_chars));
      Node obj = make_node(NodeKind::object);
      obj.free_value = inner;
      obj.key_node = key;
      obj.max_free = limits_.max_free_properties;
      alts.push_back(add(std::move(obj)));
      Node arr = make_node(NodeKind::array);
      arr.items = inner;
      arr.max_items = limits_.max_items;
      alts.push_back(add(std::move(arr)));
    }
    const int32_t node = any_of(std::move(alts));
    if (any_.size() <= level) any_.resize(level + 1, -1);
    any_[level] = node;
    return node;
  }

  Result<int32_t> free_object(int32_t value) {
    OCCAM_ASSIGN_OR_RETURN(int32_t key, add_string(0, limits_.max_string_chars));
    Node obj = make_node(NodeKind::object);
    obj.free_value = value;
    obj.key_node = key;
    obj.max_free = limits_.max_free_properties;
    return add(std::move(obj));
  }

  void first_bytes(int32_t node, std::array<uint8_t, 256>& out) const {
    const Node& n = nodes_[static_cast<size_t>(node)];
    switch (n.kind) {
      case NodeKind::object:
        out['{'] = 1;
        break;
      case NodeKind::array:
        out['['] = 1;
        break;
      case NodeKind::string:
        out['"'] = 1;
        break;
      case NodeKind::number:
        out['-'] = 1;
        for (int c = '0'; c <= '9'; ++c) out[static_cast<size_t>(c)] = 1;
        break;
      case NodeKind::literal:
        for (const auto& [c, next] : n.literal.nodes[0].next) out[c] = 1;
        break;
      case NodeKind::any_of:
        for (int32_t alt : n.alternatives) first_bytes(alt, out);
        break;
    }
  }

  Result<std::shared_ptr<const Grammar>> finish(int32_t root) {
    auto g = std::make_shared<Grammar>();
    g->root = root;
    g->nodes = std::move(nodes_);
    std::vector<uint32_t> depth(g->nodes.size(), 0);
    std::vector<uint64_t> bytes(g->nodes.size(), 0);
    // Children are always added before their parents, so one pass in index order sees them first.
    for (size_t i = 0; i < g->nodes.size(); ++i) {
      const Node& n = g->nodes[i];
      auto d = [&](int32_t c) { return depth[static_cast<size_t>(c)]; };
      auto b = [&](int32_t c) { return bytes[static_cast<size_t>(c)]; };
      switch (n.kind) {
        case NodeKind::object:
          if (n.free_value >= 0) {
            depth[i] = 1 + std::max(d(n.free_value), d(n.key_node));
            bytes[i] = sat_add(2, sat_mul(n.max_free, sat_add(b(n.key_node), sat_add(b(n.free_value), 2))));
          } else {
            uint32_t deepest = 0;
            uint64_t total = 2;
            for (const Property& p : n.properties) {
              deepest = std::max(deepest, d(p.value));
              total = sat_add(total, sat_add(p.key.size() + 1, b(p.value)));
            }
            depth[i] = 1 + deepest;
            bytes[i] = total;
          }
          break;
        case NodeKind::array:
          depth[i] = 1 + d(n.items);
          bytes[i] = sat_add(2, sat_mul(n.max_items, sat_add(b(n.items), 1)));
          break;
        case NodeKind::string:
          depth[i] = 1;
          bytes[i] = 2 + uint64_t{6} * n.max_chars;  // \u0XXX is the longest character
          break;
        case NodeKind::number:
          depth[i] = 1;
          bytes[i] = 2 + n.integer_digits + n.fraction_digits;
          break;
        case NodeKind::literal: {
          depth[i] = 1;
          // Longest path in the literal trie (children have larger indices).
          std::vector<uint64_t> len(n.literal.nodes.size(), 0);
          for (size_t t = n.literal.nodes.size(); t-- > 0;) {
            for (const auto& [c, next] : n.literal.nodes[t].next) {
              len[t] = std::max(len[t], 1 + len[static_cast<size_t>(next)]);
            }
          }
          bytes[i] = len[0];
          break;
        }
        case NodeKind::any_of:
          for (int32_t alt : n.alternatives) {
            depth[i] = std::max(depth[i], d(alt));
            bytes[i] = std::max(bytes[i], b(alt));
          }
          break;
      }
    }
    g->max_depth = depth[static_cast<size_t>(root)];
    g->max_bytes = bytes[static_cast<size_t>(root)];
    if (g->max_depth >= kMaxFrames) {
      return make_error(ErrorCode::unsupported, "{}: schema nested {} levels deep (at most {})", root_path_,
                        g->max_depth, kMaxFrames - 1);
    }
    return std::shared_ptr<const Grammar>(std::move(g));
  }

  std::string root_path_;

 private:
  Error error(ErrorCode code, const std::string& path, std::string_view what) {
    return make_error(code, "{}: {}", path, what);
  }

  int32_t add(Node node) {
    nodes_.push_back(std::move(node));
    return static_cast<int32_t>(nodes_.size() - 1);
  }

  Result<int32_t> checked_add(Node node, const std::string& path) {
    if (nodes_.size() >= limits_.max_nodes) {
      return error(ErrorCode::resource_exhausted, path,
                   fmt::format("schema compiles to more than {} nodes", limits_.max_nodes));
    }
    return add(std::move(node));
  }

  int32_t any_of(std::vector<int32_t> alts) {
    if (alts.size() == 1) return alts[0];
    Node n = make_node(NodeKind::any_of);
    n.alternatives = std::move(alts);
    return add(std::move(n));
  }

  int32_t literal_node(const std::vector<std::string>& texts) {
    Node n = make_node(NodeKind::literal);
    for (const std::string& text : texts) {
      int32_t at = 0;
      for (char ch : text) {
        const auto c = static_cast<uint8_t>(ch);
        auto& next = n.literal.nodes[static_cast<size_t>(at)].next;
        auto it = std::lower_bound(next.begin(), next.end(), std::pair<uint8_t, int32_t>(c, -1));
        if (it != next.end() && it->first == c) {
          at = it->second;
        } else {
          const auto created = static_cast<int32_t>(n.literal.nodes.size());
          next.insert(it, {c, created});
          n.literal.nodes.emplace_back();
          at = created;
        }
      }
      n.literal.nodes[static_cast<size_t>(at)].terminal = true;
    }
    return add(std::move(n));
  }

  Result<int32_t> add_string(uint32_t min_chars, uint32_t max_chars) {
    Node n = make_node(NodeKind::string);
    n.min_chars = min_chars;
    n.max_chars = max_chars;
    return checked_add(std::move(n), root_path_);
  }

  Result<int32_t> add_number(bool integer, std::optional<double> min, std::optional<double> max,
                             bool min_excl, bool max_excl, const std::string& path) {
    Node n = make_node(NodeKind::number);
    n.integer = integer;
    n.integer_digits = limits_.max_integer_digits;
    n.fraction_digits = integer ? 0 : limits_.max_fraction_digits;
    const double scale = static_cast<double>(kPowersOf10[n.fraction_digits]);
    const int64_t reach =
        kPowersOf10[n.integer_digits] * kPowersOf10[n.fraction_digits];  // beyond any output
    n.lo = -reach;
    n.hi = reach;
    if (min) {
      if (!std::isfinite(*min)) return error(ErrorCode::invalid_argument, path, "minimum is not finite");
      const double x = *min * scale;
      if (x >= static_cast<double>(reach)) {
        return error(ErrorCode::unsupported, path,
                     fmt::format("minimum beyond {} integer digits", n.integer_digits));
      }
      if (x > static_cast<double>(-reach)) {
        n.lo = static_cast<int64_t>(std::ceil(x));
        if (min_excl && static_cast<double>(n.lo) == x) ++n.lo;
      }
    }
    if (max) {
      if (!std::isfinite(*max)) return error(ErrorCode::invalid_argument, path, "maximum is not finite");
      const double x = *max * scale;
      if (x <= static_cast<double>(-reach)) {
        return error(ErrorCode::unsupported, path,
                     fmt::format("maximum beyond {} integer digits", n.integer_digits));
      }
      if (x < static_cast<double>(reach)) {
        n.hi = static_cast<int64_t>(std::floor(x));
        if (max_excl && static_cast<double>(n.hi) == x) --n.hi;
      }
    }
    if (n.lo > n.hi) return error(ErrorCode::invalid_argument, path, "no number lies within the bounds");
    return checked_add(std::move(n), path);
  }

  Result<std::optional<uint32_t>> count(const json::object& s, const char* key, const std::string& path) {
    const json::value* v = s.if_contains(key);
    if (v == nullptr) return std::optional<uint32_t>{};
    if (!is_whole(*v) || to_double(*v) < 0 || to_double(*v) > 1e6) {
      return error(ErrorCode::invalid_argument, path + "." + key,
                   "expected a non-negative integer (≤ 1000000)");
    }
    return std::optional<uint32_t>(static_cast<uint32_t>(to_double(*v)));
  }

  static bool is_whole(const json::value& v) {
    return v.is_int64() || v.is_uint64() || (v.is_double() && std::floor(v.get_double()) == v.get_double());
  }
  static double to_double(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.is_double() ? v.get_double() : 0;
  }

  Result<int32_t> typed(const json::object& s, const std::string& type, const std::string& path) {
    if (type == "null") return literal_node({"null"});
    if (type == "boolean") return literal_node({"true", "false"});
    if (type == "string") {
      OCCAM_ASSIGN_OR_RETURN(auto min, count(s, "minLength", path));
      OCCAM_ASSIGN_OR_RETURN(auto max, count(s, "maxLength", path));
      const uint32_t lo = min.value_or(0);
      const uint32_t hi = max.value_or(std::max(lo, limits_.max_string_chars));
      if (lo > hi) return error(ErrorCode::invalid_argument, path, "minLength above maxLength");
      return add_string(lo, hi);
    }
    if (type == "integer" || type == "number") {
      std::optional<double> min, max;
      bool min_excl = false, max_excl = false;
      for (const char* key : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
        const json::value* v = s.if_contains(key);
        if (v == nullptr) continue;
        const std::string_view name = key;
        const bool exclusive = name.starts_with("exclusive");
        const bool lower = name == "minimum" || name == "exclusiveMinimum";
        if (v->is_bool()) {  // draft 4: a flag on minimum / maximum
          if (!exclusive) return error(ErrorCode::invalid_argument, path + "." + key, "expected a number");
          (lower ? min_excl : max_excl) = v->get_bool();
          continue;
        }
        if (!v->is_number()) return error(ErrorCode::invalid_argument, path + "." + key, "expected a number");
        const double x = to_double(*v);
        if (lower) {
          if (!min || x > *min || (x == *min && exclusive)) {
            min = x;
            if (exclusive) min_excl = true;
          }
        } else if (!max || x < *max || (x == *max && exclusive)) {
          max = x;
          if (exclusive) max_excl = true;
        }
      }
      return add_number(type == "integer", min, max, min_excl, max_excl, path);
    }
    if (type == "array") {
      OCCAM_ASSIGN_OR_RETURN(auto min, count(s, "minItems", path));
      OCCAM_ASSIGN_OR_RETURN(auto max, count(s, "maxItems", path));
      Node n = make_node(NodeKind::array);
      n.min_items = min.value_or(0);
      n.max_items = max.value_or(std::max(n.min_items, limits_.max_items));
      if (n.min_items > n.max_items)
        return error(ErrorCode::invalid_argument, path, "minItems above maxItems");
      if (const json::value* items = s.if_contains("items")) {
        if (items->is_array())
          return error(ErrorCode::unsupported, path + ".items", "tuple items not supported");
        OCCAM_ASSIGN_OR_RETURN(n.items, compile(*items, path + ".items"));
      } else {
        OCCAM_ASSIGN_OR_RETURN(n.items, any(0));
      }
      return checked_add(std::move(n), path);
    }
    if (type == "object") return object(s, path);
    return error(ErrorCode::invalid_argument, path + ".type", "unknown type '" + type + "'");
  }

  Result<int32_t> object(const json::object& s, const std::string& path) {
    const json::value* extra = s.if_contains("additionalProperties");
    const bool extra_allowed = extra == nullptr || !extra->is_bool() || extra->get_bool();
    const json::object* props = nullptr;
    if (const json::value* p = s.if_contains("properties")) {
      if (!p->is_object())
        return error(ErrorCode::invalid_argument, path + ".properties", "expected an object");
      props = &p->get_object();
    }
    std::vector<std::string> required;
    if (const json::value* r = s.if_contains("required")) {
      if (!r->is_array())
        return error(ErrorCode::invalid_argument, path + ".required", "expected an array of names");
      for (const json::value& name : r->get_array()) {
        if (!name.is_string()) {
          return error(ErrorCode::invalid_argument, path + ".required", "expected an array of names");
        }
        required.emplace_back(name.get_string());
      }
    }
    auto extra_value = [&]() -> Result<int32_t> {
      if (extra != nullptr && !extra->is_bool()) return compile(*extra, path + ".additionalProperties");
      return any(0);
    };
    if ((props == nullptr || props->empty()) && required.empty()) {
      if (!extra_allowed) return literal_node({"{}"});
      OCCAM_ASSIGN_OR_RETURN(int32_t value, extra_value());
      return free_object(value);
    }
    Node n = make_node(NodeKind::object);
    std::set<std::string> seen;
    if (props != nullptr) {
      for (const auto& kv : *props) {
        Property p;
        p.key = json::serialize(json::string(kv.key())) + ":";
        OCCAM_ASSIGN_OR_RETURN(p.value, compile(kv.value(), path + ".properties." + std::string(kv.key())));
        p.required = std::find(required.begin(), required.end(), kv.key()) != required.end();
        seen.emplace(kv.key());
        n.properties.push_back(std::move(p));
      }
    }
    for (const std::string& name : required) {
      if (seen.count(name) != 0) continue;
      if (!extra_allowed) {
        return error(ErrorCode::invalid_argument, path + ".required",
                     "'" + name + "' is required but not allowed (additionalProperties false)");
      }
      Property p;
      p.key = json::serialize(json::string(name)) + ":";
      OCCAM_ASSIGN_OR_RETURN(p.value, extra_value());
      p.required = true;
      seen.emplace(name);
      n.properties.push_back(std::move(p));
    }
    return checked_add(std::move(n), path);
  }

  Result<int32_t> literals(const json::value& schema, const std::string& path) {
    const json::object& s = schema.get_object();
    std::vector<const json::value*> values;
    if (const json::value* c = s.if_contains("const")) values.push_back(c);
    if (const json::value* e = s.if_contains("enum")) {
      if (!e->is_array()) return error(ErrorCode::invalid_argument, path + ".enum", "expected an array");
      for (const json::value& v : e->get_array()) values.push_back(&v);
    }
    std::vector<std::string> texts;
    for (const json::value* v : values) {
      std::string where = "$";
      // Keep the values the rest of the schema allows too (type, bounds, the other list).
      if (!validate_in(*v, schema, root_, where).ok()) continue;
      texts.push_back(json::serialize(*v));
    }
    if (texts.empty())
      return error(ErrorCode::invalid_argument, path, "no enum / const value satisfies the schema");
    if (nodes_.size() >= limits_.max_nodes) {
      return error(ErrorCode::resource_exhausted, path,
                   fmt::format("schema compiles to more than {} nodes", limits_.max_nodes));
    }
    return literal_node(texts);
  }

  const json::value& root_;
  Limits limits_;
  std::vector<Node> nodes_;
  std::vector<std::string> refs_;
  std::vector<int32_t> any_;
  uint64_t calls_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> compile_schema(const json::value& schema, const Limits& limits,
                                                      std::string_view path) {
  Compiler compiler(schema, limits);
  compiler.root_path_ = std::string(path);
  OCCAM_ASSIGN_OR_RETURN(int32_t root, compiler.compile(schema, std::string(path)));
  return compiler.finish(root);
}

std::shared_ptr<const Grammar> json_object_grammar(const Limits& limits) {
  static const json::value schema = {{"type", "object"}};
  auto g = compile_schema(schema, limits);
  return g.ok() ? *g : nullptr;  // cannot fail: a plain object schema within the limits' clamps
}

uint64_t max_bytes(const Grammar& grammar) {
  return grammar.max_bytes;
}

}  // namespace occam::engine::structured
