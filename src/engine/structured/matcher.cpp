// The byte automaton: each stack is a path through the schema (object / array / string / number /
// literal frames); a byte either advances the top frame, pushes a child, or completes the top frame
// (numbers and literals end when the next byte cannot extend them) and goes to its parent.
#include <algorithm>
#include <cstring>

#include "engine/structured/grammar.h"

namespace occam::engine::structured {

namespace {

enum ObjectPhase : uint16_t {
  o_open,
  o_first,
  o_after,
  o_key_start,
  o_key,
  f_first,
  f_colon,
  f_after,
  f_key_start
};
enum ArrayPhase : uint16_t { a_open, a_first, a_after };
enum StringPhase : uint16_t { s_open, s_body, s_utf8, s_escape, s_u0, s_uhex };
enum NumberPhase : uint16_t { n_start, n_minus, n_zero, n_int, n_dot, n_frac };

constexpr int64_t kPow10[] = {1,           10,           100,           1000,           10000,
                              100000,      1000000,      10000000,      100000000,      1000000000,
                              10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000};

bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}
bool is_hex(uint8_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Index of the first required property at or after `from` (the last candidate key), else the last one.
int32_t candidate_limit(const Node& n, int32_t from) {
  const auto count = static_cast<int32_t>(n.properties.size());
  for (int32_t i = from; i < count; ++i) {
    if (n.properties[static_cast<size_t>(i)].required) return i;
  }
  return count - 1;
}

bool required_left(const Node& n, int32_t from) {
  for (size_t i = static_cast<size_t>(from); i < n.properties.size(); ++i) {
    if (n.properties[i].required) return true;
  }
  return false;
}

// Numbers: the value so far is sign, integer part I (int_digits digits), fraction f (frac_digits digits).
// Frame fields: v = I, a = f, b = int_digits, aux = negative | frac_digits << 1.
struct NumberView {
  bool negative;
  int64_t integer;
  int64_t fraction;
  uint32_t int_digits;
  uint32_t frac_digits;
};

NumberView number_view(const Frame& f) {
  return {(f.aux & 1) != 0, f.v, f.a, static_cast<uint32_t>(f.b), static_cast<uint32_t>(f.aux >> 1)};
}

// Bounds of the magnitude for this sign, in units of 10^-fraction_digits.
bool magnitude_bounds(const Node& n, bool negative, int64_t& lo, int64_t& hi) {
  if (negative) {
    lo = std::max<int64_t>(-n.hi, 0);
    hi = -n.lo;
  } else {
    lo = std::max<int64_t>(n.lo, 0);
    hi = n.hi;
  }
  return lo <= hi;
}

// Whether some completion of the number in `phase` lands in the bounds.
bool number_feasible(const Node& n, uint16_t phase, const NumberView& x) {
  int64_t lo, hi;
  if (!magnitude_bounds(n, x.negative, lo, hi)) return false;
  const int64_t scale = kPow10[n.fraction_digits];
  auto hits = [&](int64_t from, int64_t to) { return from <= hi && to >= lo; };
  switch (phase) {
    case n_start:
    case n_minus:
      return hits(0, kPow10[n.integer_digits] * scale - 1);
    case n_zero:
    case n_dot:
      return hits(x.integer * scale, x.integer * scale + scale - 1);
    case n_int:
      for (uint32_t e = 0; x.int_digits + e <= n.integer_digits; ++e) {
        if (hits(x.integer * kPow10[e] * scale, (x.integer + 1) * kPow10[e] * scale - 1)) return true;
      }
      return false;
    case n_frac: {
      const int64_t unit = kPow10[n.fraction_digits - x.frac_digits];
      const int64_t m = x.integer * scale + x.fraction * unit;
      return hits(m, m + unit - 1);
    }
    default:
      return false;
  }
}

bool number_complete(const Node& n, const Frame& f) {
  if (f.phase != n_zero && f.phase != n_int && f.phase != n_frac) return false;
  const NumberView x = number_view(f);
  int64_t lo, hi;
  if (!magnitude_bounds(n, x.negative, lo, hi)) return false;
  const int64_t m = x.integer * kPow10[n.fraction_digits] +
                    x.fraction * kPow10[n.fraction_digits - std::min(x.frac_digits, n.fraction_digits)];
  return m >= lo && m <= hi;
}

bool frame_complete(const Grammar& g, const Frame& f) {
  const Node& n = g.nodes[static_cast<size_t>(f.node)];
  if (n.kind == NodeKind::number) return number_complete(n, f);
  if (n.kind == NodeKind::literal) return n.literal.nodes[static_cast<size_t>(f.a)].terminal;
  return false;
}

void feed(const Grammar& g, Stack s, uint8_t c, std::vector<Stack>& out);

// Pushes `node` (one stack per anyOf alternative) with `phase`, then feeds `c` if c >= 0.
void push(const Grammar& g, const Stack& s, int32_t node, int c, std::vector<Stack>& out,
          uint16_t phase = 0) {
  const Node& n = g.nodes[static_cast<size_t>(node)];
  if (n.kind == NodeKind::any_of) {
    for (int32_t alt : n.alternatives) push(g, s, alt, c, out, phase);
    return;
  }
  if (s.size >= kMaxFrames || out.size() >= kMaxStacks) return;  // compile_schema keeps depth below
  Stack t = s;
  Frame& f = t.frames[t.size++];
  f = Frame{};
  f.node = node;
  f.phase = phase;
  if (c >= 0) {
    feed(g, t, static_cast<uint8_t>(c), out);
  } else {
    out.push_back(t);
  }
}

}  // namespace

StringStep string_byte(const Node& n, Frame& f, uint8_t c) {
  const auto chars = static_cast<uint32_t>(f.a);
  switch (f.phase) {
    case s_open:
      if (c != '"') return StringStep::reject;
      f.phase = s_body;
      break;
    case s_body:
      if (c == '"') return chars < n.min_chars ? StringStep::reject : StringStep::closed;
      if (c < 0x20 || chars >= n.max_chars) return StringStep::reject;
      if (c == '\\') {
        f.phase = s_escape;
      } else if (c < 0x80) {
        ++f.a;
      } else {
        // UTF-8 lead byte: b = continuation bytes left | first continuation's range << 8.
        int left;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
          left = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
          left = 2;
          if (c == 0xE0) lo = 0xA0;
          if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
          left = 3;
          if (c == 0xF0) lo = 0x90;
          if (c == 0xF4) hi = 0x8F;
        } else {
          return StringStep::reject;
        }
        ++f.a;
        f.b = left | lo << 8 | hi << 16;
        f.phase = s_utf8;
      }
      break;
    case s_utf8: {
      const auto lo = static_cast<uint8_t>(f.b >> 8), hi = static_cast<uint8_t>(f.b >> 16);
      if (c < lo || c > hi) return StringStep::reject;
      const int left = (f.b & 0xFF) - 1;
      f.b = left | 0x80 << 8 | 0xBF << 16;
      if (left == 0) f.phase = s_body;
      break;
    }
    case s_escape:
      if (c == 'u') {
        f.phase = s_u0;
      } else if (std::strchr("\"\\/bfnrt", c) != nullptr && c != 0) {
        ++f.a;
        f.phase = s_body;
      } else {
        return StringStep::reject;
      }
      break;
    case s_u0:
      // \u0XXX only: no surrogate halves, whose pairing the automaton would have to track.
      if (c != '0') return StringStep::reject;
      f.phase = s_uhex;
      f.aux = 3;
      break;
    case s_uhex:
      if (!is_hex(c)) return StringStep::reject;
      if (--f.aux == 0) {
        ++f.a;
        f.phase = s_body;
      }
      break;
    default:
      return StringStep::reject;
  }
  return StringStep::inside;
}

namespace {

void feed(const Grammar& g, Stack s, uint8_t c, std::vector<Stack>& out) {
  while (s.size > 0) {
    Frame& f = s.frames[s.size - 1];
    const Node& n = g.nodes[static_cast<size_t>(f.node)];
    bool pass = false;  // the frame is complete and `c` belongs to its parent
    switch (n.kind) {
      case NodeKind::object:
        switch (f.phase) {
          case o_open:
            if (c != '{') return;
            f.phase = n.free_value >= 0 ? f_first : o_first;
            out.push_back(s);
            return;
          case o_first:
          case o_after:
            if (c == '}') {
              if (required_left(n, f.a)) return;
              --s.size;
              out.push_back(s);
              return;
            }
            if (f.a >= static_cast<int32_t>(n.properties.size())) return;
            if (f.phase == o_after) {
              if (c != ',') return;
              f.phase = o_key_start;
              out.push_back(s);
              return;
            }
            [[fallthrough]];
          case o_key_start:
            if (c != '"') return;
            f.phase = o_key;
            f.b = f.a;
            f.v = 1;
            out.push_back(s);
            return;
          case o_key: {
            const int32_t limit = candidate_limit(n, f.a);
            const std::string& current = n.properties[static_cast<size_t>(f.b)].key;
            const auto matched = static_cast<size_t>(f.v);
            for (int32_t j = f.b; j <= limit; ++j) {
              const std::string& key = n.properties[static_cast<size_t>(j)].key;
              if (key.size() > matched && static_cast<uint8_t>(key[matched]) == c &&
                  key.compare(0, matched, current, 0, matched) == 0) {
                f.b = j;
                f.v = static_cast<int64_t>(matched + 1);
                if (key.size() == matched + 1) {
                  f.phase = o_after;
                  f.a = j + 1;
                  push(g, s, n.properties[static_cast<size_t>(j)].value, -1, out);
                } else {
                  out.push_back(s);
                }
                return;
              }
            }
            return;
          }
          case f_first:
          case f_after:
            if (c == '}') {
              --s.size;
              out.push_back(s);
              return;
            }
            if (f.phase == f_after) {
              if (c != ',' || f.aux >= n.max_free) return;
              f.phase = f_key_start;
              out.push_back(s);
              return;
            }
            if (f.aux >= n.max_free) return;
            [[fallthrough]];
          case f_key_start:
            if (c != '"') return;
            f.phase = f_colon;
            ++f.aux;
            push(g, s, n.key_node, -1, out, s_body);
            return;
          case f_colon:
            if (c != ':') return;
            f.phase = f_after;
            push(g, s, n.free_value, -1, out);
            return;
          default:
            return;
        }
      case NodeKind::array:
        switch (f.phase) {
          case a_open:
            if (c != '[') return;
            f.phase = a_first;
            out.push_back(s);
            return;
          case a_first:
            if (c == ']') {
              if (n.min_items > 0) return;
              --s.size;
              out.push_back(s);
              return;
            }
            if (n.max_items == 0) return;
            f.phase = a_after;
            f.a = 1;
            push(g, s, n.items, c, out);
            return;
          case a_after:
            if (c == ']') {
              if (static_cast<uint32_t>(f.a) < n.min_items) return;
              --s.size;
              out.push_back(s);
              return;
            }
            if (c != ',' || static_cast<uint32_t>(f.a) >= n.max_items) return;
            ++f.a;
            push(g, s, n.items, -1, out);
            return;
          default:
            return;
        }
      case NodeKind::string:
        switch (string_byte(n, f, c)) {
          case StringStep::reject:
            return;
          case StringStep::inside:
            out.push_back(s);
            return;
          case StringStep::closed:
            --s.size;
            out.push_back(s);
            return;
        }
        return;
      case NodeKind::number: {
        Frame next = f;
        NumberView x = number_view(f);
        bool ok = true;
        switch (f.phase) {
          case n_start:
          case n_minus:
            if (c == '-' && f.phase == n_start) {
              next.phase = n_minus;
              next.aux = 1;
            } else if (c == '0') {
              next.phase = n_zero;
              next.b = 1;
            } else if (c >= '1' && c <= '9') {
              next.phase = n_int;
              next.v = c - '0';
              next.b = 1;
            } else {
              return;
            }
            break;
          case n_zero:
          case n_int:
            if (c == '.' && !n.integer) {
              next.phase = n_dot;
            } else if (is_digit(c) && f.phase == n_int && x.int_digits < n.integer_digits) {
              next.v = x.integer * 10 + (c - '0');
              ++next.b;
            } else {
              ok = false;
            }
            break;
          case n_dot:
          case n_frac:
            if (is_digit(c) && x.frac_digits < n.fraction_digits) {
              next.phase = n_frac;
              next.a = static_cast<int32_t>(x.fraction * 10 + (c - '0'));
              next.aux = static_cast<uint16_t>((x.negative ? 1 : 0) | (x.frac_digits + 1) << 1);
            } else {
              ok = false;
            }
            break;
          default:
            return;
        }
        if (ok && number_feasible(n, next.phase, number_view(next))) {
          f = next;
          out.push_back(s);
          return;
        }
        if (!number_complete(n, f)) return;
        pass = true;
        break;
      }
      case NodeKind::literal: {
        const LiteralTrie::Node& t = n.literal.nodes[static_cast<size_t>(f.a)];
        const auto it = std::lower_bound(t.next.begin(), t.next.end(), std::pair<uint8_t, int32_t>(c, -1));
        if (it != t.next.end() && it->first == c) {
          f.a = it->second;
          if (n.literal.nodes[static_cast<size_t>(f.a)].next.empty()) --s.size;  // nothing can extend it
          out.push_back(s);
          return;
        }
        if (!t.terminal) return;
        pass = true;
        break;
      }
      case NodeKind::any_of:
        return;  // never on a stack
    }
    if (!pass) return;
    --s.size;  // complete: the byte goes to the parent
  }
}

}  // namespace

bool Stack::operator==(const Stack& o) const {
  if (size != o.size) return false;
  for (uint32_t i = 0; i < size; ++i) {
    const Frame &x = frames[i], &y = o.frames[i];
    if (x.node != y.node || x.phase != y.phase || x.aux != y.aux || x.a != y.a || x.b != y.b || x.v != y.v) {
      return false;
    }
  }
  return true;
}

bool step(const Grammar& g, const std::vector<Stack>& in, uint8_t byte, std::vector<Stack>& out) {
  out.clear();
  for (const Stack& s : in) {
    if (out.size() >= kMaxStacks) break;
    feed(g, s, byte, out);
  }
  return !out.empty();
}

bool stacks_complete(const Grammar& g, const std::vector<Stack>& stacks) {
  for (const Stack& s : stacks) {
    if (s.size == 0) return true;
    if (s.size == 1 && frame_complete(g, s.frames[0])) return true;
  }
  return false;
}

std::vector<Stack> initial_stacks(const Grammar& g) {
  std::vector<Stack> out;
  push(g, Stack{}, g.root, -1, out);
  return out;
}

Matcher::Matcher(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)), state_(std::make_unique<State>()) {
  reset();
}
Matcher::~Matcher() = default;
Matcher::Matcher(const Matcher& o) : grammar_(o.grammar_), state_(std::make_unique<State>(*o.state_)) {}
Matcher& Matcher::operator=(const Matcher& o) {
  grammar_ = o.grammar_;
  state_ = std::make_unique<State>(*o.state_);
  return *this;
}

void Matcher::reset() {
  state_->stacks = initial_stacks(*grammar_);
}

const Grammar& Matcher::grammar() const {
  return *grammar_;
}

bool Matcher::advance(std::string_view bytes) {
  std::vector<Stack> cur = state_->stacks, next;
  for (char ch : bytes) {
    if (!step(*grammar_, cur, static_cast<uint8_t>(ch), next)) return false;
    cur.swap(next);
  }
  state_->stacks = std::move(cur);
  return true;
}

bool Matcher::complete() const {
  return stacks_complete(*grammar_, state_->stacks);
}

bool Matcher::can_continue() const {
  std::vector<Stack> next;
  for (int c = 0; c < 256; ++c) {
    if (step(*grammar_, state_->stacks, static_cast<uint8_t>(c), next)) return true;
  }
  return false;
}

}  // namespace occam::engine::structured
