// Token byte strings in a prefix trie, and the allowed-token walk: a depth-first walk of the trie that
// carries the automaton's state one byte per level and prunes a subtree as soon as its prefix is
// rejected, so a step costs the accepted part of the trie, not vocabulary × token length.
#include <algorithm>
#include <numeric>

#include "engine/structured/grammar.h"
#include "gguf/gguf.h"

namespace occam::engine::structured {

namespace {

// GPT-2's bytes_to_unicode, inverted: printable Latin-1 bytes stand for themselves, the others
// (0-32, 127-160, 173) for U+0100 + their rank.
std::array<int, 324> gpt2_unicode_to_byte() {
  std::array<int, 324> out;
  out.fill(-1);
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[static_cast<size_t>(printable ? b : 256 + extra++)] = b;
  }
  return out;
}

// Decodes one UTF-8 code point at s[i] (advancing i); -1 when truncated or not a lead byte.
int32_t next_code_point(std::string_view s, size_t& i) {
  const auto c = static_cast<uint8_t>(s[i]);
  const int n = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (n < 0 || i + static_cast<size_t>(n) >= s.size()) {
    i = s.size();
    return -1;
  }
  int32_t cp = n == 0 ? c : c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) cp = cp << 6 | (static_cast<uint8_t>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(n) + 1;
  return cp;
}

struct Walker {
  const Grammar& g;
  const std::vector<TokenVocabulary::Node>& nodes;
  const std::vector<int32_t>& sorted;
  std::vector<std::vector<Stack>>& levels;
  std::vector<uint8_t>& allowed;
  std::vector<Stack> scratch{};

  void mark(const TokenVocabulary::Node& n) {
    for (uint32_t t = 0; t < n.n_tokens; ++t) allowed[static_cast<size_t>(sorted[n.tokens_begin + t])] = 1;
  }

  void walk(uint32_t node, size_t depth) {
    if (levels.size() < depth + 2) levels.resize(depth + 2);
    for (uint32_t c = nodes[node].first_child; c != 0; c = nodes[c].next_sibling) {
      const TokenVocabulary::Node& child = nodes[c];
      if (!step(g, levels[depth], child.byte, levels[depth + 1])) continue;
      mark(child);
      if (child.first_child == 0) continue;
      const std::vector<Stack>& next = levels[depth + 1];
      if (next.size() == 1 && next[0].size > 0) {
        const Frame& top = next[0].frames[next[0].size - 1];
        const Node& n = g.nodes[static_cast<size_t>(top.node)];
        if (n.kind == NodeKind::string && top.phase != kStringOpenPhase) {
          walk_string(c, depth + 1, depth + 1, n, top);
          continue;
        }
      }
      walk(c, depth + 1);
    }
  }

  // Inside a string only the top frame changes: carry that frame alone (no stack copies) until the
  // closing quote hands the rest of the token back to the general walk. levels[start] holds the stack
  // as it was when the string walk began; its top frame is replaced by the current one on the way out.
  void walk_string(uint32_t node, size_t depth, size_t start, const Node& n, const Frame& frame) {
    for (uint32_t c = nodes[node].first_child; c != 0; c = nodes[c].next_sibling) {
      const TokenVocabulary::Node& child = nodes[c];
      Frame f = frame;
      const StringStep r = string_byte(n, f, child.byte);
      if (r == StringStep::reject) continue;
      if (r == StringStep::inside) {
        mark(child);
        if (child.first_child != 0) walk_string(c, depth + 1, start, n, f);
        continue;
      }
      // Closing quote: rebuild the full state before this byte, and let the general walk go on.
      if (levels.size() < depth + 2) levels.resize(depth + 2);
      scratch = levels[start];
      scratch[0].frames[scratch[0].size - 1] = frame;
      if (!step(g, scratch, child.byte, levels[depth + 1])) continue;
      mark(child);
      if (child.first_child != 0) walk(c, depth + 1);
    }
  }
};

// A prefix trie of `ids` (sorted by piece in place). Sorted insertion: a node's children arrive in
// increasing byte order, so each node's last child is all the state the construction needs.
void build_trie(const std::vector<std::string>& pieces, std::vector<int32_t>& ids,
                std::vector<TokenVocabulary::Node>& nodes) {
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return pieces[static_cast<size_t>(a)] < pieces[static_cast<size_t>(b)];
  });
  nodes.assign(1, TokenVocabulary::Node{});
  std::vector<uint32_t> last_child(1, 0);
  for (size_t rank = 0; rank < ids.size(); ++rank) {
    uint32_t at = 0;
    for (char ch : pieces[static_cast<size_t>(ids[rank])]) {
      const auto c = static_cast<uint8_t>(ch);
      const uint32_t last = last_child[at];
      if (last != 0 && nodes[last].byte == c) {
        at = last;
        continue;
      }
      const auto created = static_cast<uint32_t>(nodes.size());
      TokenVocabulary::Node node;
      node.byte = c;
      nodes.push_back(node);
      last_child.push_back(0);
      if (last == 0) {
        nodes[at].first_child = created;
      } else {
        nodes[last].next_sibling = created;
      }
      last_child[at] = created;
      at = created;
    }
    TokenVocabulary::Node& end = nodes[at];
    if (end.n_tokens == 0) end.tokens_begin = static_cast<uint32_t>(rank);
    ++end.n_tokens;
  }
}

// Code points of a piece that can stand inside a JSON string as it is (the automaton's own rules:
// no quote, backslash or control byte, whole valid UTF-8 without surrogates); -1 otherwise.
int plain_length(std::string_view p) {
  int n = 0;
  for (size_t i = 0; i < p.size(); ++n) {
    const auto c = static_cast<uint8_t>(p[i]);
    if (c == '"' || c == '\\' || c < 0x20) return -1;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t left;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      left = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      left = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      left = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return -1;
    }
    if (i + left >= p.size()) return -1;
    for (size_t k = 1; k <= left; ++k) {
      const auto b = static_cast<uint8_t>(p[i + k]);
      if (b < lo || b > hi) return -1;
      lo = 0x80;
      hi = 0xBF;
    }
    i += left + 1;
  }
  return n;
}

}  // namespace

std::shared_ptr<const TokenVocabulary> TokenVocabulary::build(std::vector<std::string> pieces,
                                                              const std::vector<bool>& excluded,
                                                              std::vector<int32_t> end_tokens) {
  std::shared_ptr<TokenVocabulary> v(new TokenVocabulary());
  v->pieces_ = std::move(pieces);
  v->end_tokens_ = std::move(end_tokens);
  const size_t n = v->pieces_.size();
  std::vector<int> lengths;
  for (size_t id = 0; id < n; ++id) {
    const bool end = std::find(v->end_tokens_.begin(), v->end_tokens_.end(), static_cast<int32_t>(id)) !=
                     v->end_tokens_.end();
    if (v->pieces_[id].empty() || end || (id < excluded.size() && excluded[id])) continue;
    v->sorted_.push_back(static_cast<int32_t>(id));
    const int len = plain_length(v->pieces_[id]);
    if (len < 0) {
      v->special_sorted_.push_back(static_cast<int32_t>(id));
    } else {
      v->plain_.push_back(static_cast<int32_t>(id));
      lengths.push_back(len);
    }
  }
  build_trie(v->pieces_, v->sorted_, v->nodes_);
  build_trie(v->pieces_, v->special_sorted_, v->special_nodes_);
  std::vector<size_t> order(v->plain_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  std::vector<int32_t> plain(order.size());
  const int longest = lengths.empty() ? 0 : *std::max_element(lengths.begin(), lengths.end());
  v->plain_upto_.assign(static_cast<size_t>(longest) + 1, 0);
  for (size_t i = 0; i < order.size(); ++i) {
    plain[i] = v->plain_[order[i]];
    ++v->plain_upto_[static_cast<size_t>(lengths[order[i]])];
  }
  for (size_t l = 1; l < v->plain_upto_.size(); ++l) v->plain_upto_[l] += v->plain_upto_[l - 1];
  v->plain_ = std::move(plain);
  return v;
}

Result<std::shared_ptr<const TokenVocabulary>> TokenVocabulary::from_gguf(const gguf::File& file,
                                                                          std::vector<int32_t> end_tokens) {
  OCCAM_ASSIGN_OR_RETURN(std::string_view model, file.get_string("tokenizer.ggml.model"));
  OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView tokens, file.get_array("tokenizer.ggml.tokens"));
  std::vector<int32_t> types;
  if (file.contains("tokenizer.ggml.token_type")) {
    OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView t, file.get_array("tokenizer.ggml.token_type"));
    OCCAM_ASSIGN_OR_RETURN(types, t.to_vector<int32_t>());
  }
  const bool spm = model == "llama";
  if (!spm && model != "gpt2") {
    return make_error(ErrorCode::unsupported, "structured output: tokenizer model '{}' (llama or gpt2 only)",
                      model);
  }
  static const std::array<int, 324> unmap = gpt2_unicode_to_byte();
  const size_t n = tokens.size();
  std::vector<std::string> pieces(n);
  std::vector<bool> excluded(n, false);
  for (size_t id = 0; id < n; ++id) {
    const std::string_view text = tokens.string(id);
    const int32_t type = id < types.size() ? types[id] : 1;
    // 2 unknown, 3 control, 5 unused: never part of an answer.
    if (type == 2 || type == 3 || type == 5) {
      excluded[id] = true;
      continue;
    }
    std::string& out = pieces[id];
    if (type == 4) {  // user-defined: the text itself
      out = text;
    } else if (spm) {
      if (type == 6 && text.size() == 6 && text.starts_with("<0x")) {
        out.push_back(static_cast<char>(std::stoi(std::string(text.substr(3, 2)), nullptr, 16)));
      } else {
        for (size_t i = 0; i < text.size(); ++i) {
          if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
            out += ' ';
            i += 2;
          } else {
            out += text[i];
          }
        }
      }
    } else {
      for (size_t i = 0; i < text.size();) {
        const int32_t cp = next_code_point(text, i);
        if (cp < 0 || cp >= static_cast<int32_t>(unmap.size()) || unmap[static_cast<size_t>(cp)] < 0) {
          excluded[id] = true;  // not a byte-level piece
          break;
        }
        out.push_back(static_cast<char>(unmap[static_cast<size_t>(cp)]));
      }
      if (excluded[id]) out.clear();
    }
  }
  return build(std::move(pieces), excluded, std::move(end_tokens));
}

std::string_view TokenVocabulary::piece(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < pieces_.size()
             ? std::string_view(pieces_[static_cast<size_t>(id)])
             : std::string_view();
}

void TokenVocabulary::allowed_tokens(const Matcher& matcher, std::vector<uint8_t>& allowed) const {
  allowed.assign(pieces_.size(), 0);
  thread_local std::vector<std::vector<Stack>> levels;
  if (levels.empty()) levels.resize(2);
  const Grammar& g = matcher.grammar();
  const std::vector<Stack>& stacks = matcher.state().stacks;
  levels[0] = stacks;
  bool in_string = false;
  if (stacks.size() == 1 && stacks[0].size > 0) {
    const Frame& top = stacks[0].frames[stacks[0].size - 1];
    const structured::Node& n = g.nodes[static_cast<size_t>(top.node)];
    if (n.kind == NodeKind::string && top.phase == kStringBodyPhase && !plain_upto_.empty()) {
      in_string = true;
      const uint32_t room = n.max_chars - static_cast<uint32_t>(top.a);
      const uint32_t count = plain_upto_[std::min<size_t>(room, plain_upto_.size() - 1)];
      for (uint32_t i = 0; i < count; ++i) allowed[static_cast<size_t>(plain_[i])] = 1;
    }
  }
  Walker walker{g, in_string ? special_nodes_ : nodes_, in_string ? special_sorted_ : sorted_, levels,
                allowed};
  walker.walk(0, 0);
  if (matcher.complete()) {
    for (int32_t id : end_tokens_) {
      if (id >= 0 && static_cast<size_t>(id) < allowed.size()) allowed[static_cast<size_t>(id)] = 1;
    }
  }
}

}  // namespace occam::engine::structured
