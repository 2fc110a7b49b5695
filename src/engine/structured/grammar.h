// The compiled form of a schema: a table of nodes (one per value position), and the matcher's state
// (a set of stacks of frames, one stack per live anyOf alternative).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/structured_output.h"

namespace occam::engine::structured {

enum class NodeKind : uint8_t { object, array, string, number, literal, any_of };

struct Property {
  std::string key;  // the serialized key with its colon: "\"name\":"
  int32_t value = -1;
  bool required = false;
};

struct LiteralTrie {
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> next;  // sorted by byte
    bool terminal = false;
  };
  std::vector<Node> nodes{1};
};

struct Node {
  NodeKind kind = NodeKind::literal;
  // object
  std::vector<Property> properties;
  int32_t free_value = -1;  // objects with free keys: the value node (key strings: key_node)
  int32_t key_node = -1;
  uint32_t max_free = 0;
  // array
  int32_t items = -1;
  uint32_t min_items = 0, max_items = 0;
  // string
  uint32_t min_chars = 0, max_chars = 0;
  // number: bounds of the value scaled by 10^fraction_digits (integers: fraction_digits = 0)
  bool integer = false;
  uint32_t integer_digits = 0, fraction_digits = 0;
  int64_t lo = 0, hi = 0;
  // literal
  LiteralTrie literal;
  // any_of
  std::vector<int32_t> alternatives;
};

struct Grammar {
  std::vector<Node> nodes;
  int32_t root = -1;
  uint32_t max_depth = 0;  // frames on a stack
  uint64_t max_bytes = 0;
};

inline constexpr uint32_t kMaxFrames = 24;
inline constexpr size_t kMaxStacks = 64;

struct Frame {
  int32_t node = 0;
  uint16_t phase = 0;
  uint16_t aux = 0;
  int32_t a = 0;  // object: next property index; array: items; string: chars; literal: trie node
  int32_t b = 0;  // object: candidate property; string: pending UTF-8; number: digits
  int64_t v = 0;  // number: scaled magnitude; object: key bytes matched
};

struct Stack {
  uint32_t size = 0;
  std::array<Frame, kMaxFrames> frames;
  bool operator==(const Stack& o) const;
};

struct Matcher::State {
  std::vector<Stack> stacks;
};

// One byte inside a string frame (the hot path of masking: most of a vocabulary fits in a string).
enum class StringStep { reject, inside, closed };
StringStep string_byte(const Node& n, Frame& f, uint8_t c);
inline constexpr uint16_t kStringOpenPhase = 0;
inline constexpr uint16_t kStringBodyPhase = 1;

// Advances every stack of `in` by one byte into `out` (cleared first); false when none survives.
bool step(const Grammar& g, const std::vector<Stack>& in, uint8_t byte, std::vector<Stack>& out);
bool stacks_complete(const Grammar& g, const std::vector<Stack>& stacks);
// The initial stacks (the root pushed, anyOf expanded).
std::vector<Stack> initial_stacks(const Grammar& g);

// validate() with `$ref`s resolved against `root`; `path` names the instance position ("$.a[2]").
Status validate_in(const boost::json::value& instance, const boost::json::value& schema,
                   const boost::json::value& root, std::string& path);
// "#", "#/$defs/x", "#/definitions/x/properties/y" (JSON pointer, ~0 ~1 escapes); nullptr otherwise.
const boost::json::value* resolve_ref(const boost::json::value& root, std::string_view ref);

}  // namespace occam::engine::structured
