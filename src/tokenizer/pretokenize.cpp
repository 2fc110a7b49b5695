#include "tokenizer/pretokenize.h"

#include <algorithm>
#include <cstddef>
#include <iterator>

#include "tokenizer/unicode.h"

namespace occam::tokenizer {
namespace {

using unicode::flags;
constexpr uint32_t kOutOfRange = 0xFFFFFFFF;
constexpr uint16_t kWordClasses = unicode::kWhitespace | unicode::kLetter | unicode::kNumber;

// Calls fn(begin, end) for each fragment of the code-point array; `lengths` are the fragments' sizes.
template <typename Fn>
void for_each_fragment(const std::vector<uint32_t>& lengths, Fn fn) {
  size_t start = 0;
  for (uint32_t length : lengths) {
    fn(start, start + length);
    start += length;
  }
}

// ---------------------------------------------------------------------------------------------
// The two splitters llama.cpp implements by hand (unicode_regex_split_custom_gpt2 / _llama3), with the
// same quirks: flags 0 outside the current fragment, and their own reading of (?!\S).

// One fragment as the hand-written splitters see it: code points and flags read as "nothing" outside
// [begin, end), and pieces emitted from where the previous one ended.
class Fragment {
 public:
  Fragment(const std::vector<uint32_t>& cpts, size_t begin, size_t end, std::vector<uint32_t>& out)
      : cpts_(cpts), begin_(begin), end_(end), last_(begin), out_(out) {}
  size_t end() const { return end_; }
  uint32_t cpt(size_t pos) const { return inside(pos) ? cpts_[pos] : kOutOfRange; }
  uint16_t flags_at(size_t pos) const { return inside(pos) ? flags(cpts_[pos]) : 0; }
  // Emits the piece [last emitted end, to) if not empty; returns its length.
  size_t emit(size_t to) {
    const size_t len = to - last_;
    if (len > 0) out_.push_back(static_cast<uint32_t>(len));
    last_ = to;
    return len;
  }

 private:
  bool inside(size_t pos) const { return pos >= begin_ && pos < end_; }
  const std::vector<uint32_t>& cpts_;
  size_t begin_, end_, last_;
  std::vector<uint32_t>& out_;
};

// 's|'t|'re|'ve|'m|'ll|'d at pos (case-insensitively when `fold`, as llama3's (?i:...)): its length or 0.
size_t contraction_at(const Fragment& f, size_t pos, bool fold) {
  if (f.cpt(pos) != '\'' || pos + 1 >= f.end()) return 0;
  auto at = [&](size_t p) { return fold ? unicode::to_lower(f.cpt(p)) : f.cpt(p); };
  const uint32_t next = at(pos + 1);
  if (next == 's' || next == 't' || next == 'm' || next == 'd') return 2;
  if (pos + 2 >= f.end()) return 0;
  const uint32_t next2 = at(pos + 2);
  const bool two =
      (next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l');
  return two ? 3 : 0;
}

// \s+(?!\S)|\s+|. at pos, the alternatives both splitters end with: returns the position after it.
size_t whitespace_or_one(const Fragment& f, size_t pos) {
  size_t n_ws = 0;
  while (f.flags_at(pos + n_ws) & unicode::kWhitespace) ++n_ws;
  if (n_ws > 1 && f.cpt(pos + n_ws) != kOutOfRange) return pos + n_ws - 1;  // leave one space to the word
  return pos + std::max<size_t>(n_ws, 1);
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const std::vector<uint32_t>& cpts, const std::vector<uint32_t>& in,
                std::vector<uint32_t>& out) {
  for_each_fragment(in, [&](size_t begin, size_t end) {
    Fragment frag(cpts, begin, end, out);
    // ` ?X+` for a class given as a predicate on flags.
    auto space_opt_run = [&](size_t& pos, uint32_t cpt, auto in_class) {
      uint16_t f2 = cpt == ' ' ? frag.flags_at(pos + 1) : frag.flags_at(pos);
      if (!in_class(f2)) return false;
      pos += (cpt == ' ');
      while (in_class(f2)) f2 = frag.flags_at(++pos);
      frag.emit(pos);
      return true;
    };
    for (size_t pos = begin; pos < end;) {
      const uint32_t cpt = frag.cpt(pos);
      if (const size_t len = contraction_at(frag, pos, false)) {
        pos += frag.emit(pos + len);
        continue;
      }
      if (space_opt_run(pos, cpt, [](uint16_t f) { return (f & unicode::kLetter) != 0; })) continue;
      if (space_opt_run(pos, cpt, [](uint16_t f) { return (f & unicode::kNumber) != 0; })) continue;
      if (space_opt_run(pos, cpt, [](uint16_t f) { return !(f & kWordClasses) && f != 0; })) continue;
      pos = whitespace_or_one(frag, pos);
      frag.emit(pos);
    }
  });
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(const std::vector<uint32_t>& cpts, const std::vector<uint32_t>& in,
                  std::vector<uint32_t>& out) {
  auto is_rn = [](uint32_t c) { return c == '\r' || c == '\n'; };
  for_each_fragment(in, [&](size_t begin, size_t end) {
    Fragment frag(cpts, begin, end, out);
    for (size_t pos = begin; pos < end;) {
      const uint32_t cpt = frag.cpt(pos);
      const uint16_t f = frag.flags_at(pos);
      if (const size_t len = contraction_at(frag, pos, true)) {
        pos += frag.emit(pos + len);
        continue;
      }
      if (!is_rn(cpt) && !(f & unicode::kNumber) &&
          ((f & unicode::kLetter) || (frag.flags_at(pos + 1) & unicode::kLetter))) {
        ++pos;
        while (frag.flags_at(pos) & unicode::kLetter) ++pos;
        frag.emit(pos);
        continue;
      }
      if (f & unicode::kNumber) {
        size_t first = pos;
        while (frag.flags_at(pos) & unicode::kNumber) {
          if (++pos - first >= 3) {
            frag.emit(pos);
            first = pos;
          }
        }
        frag.emit(pos);
        continue;
      }
      uint16_t f2 = cpt == ' ' ? frag.flags_at(pos + 1) : f;
      if (!(f2 & kWordClasses) && f != 0) {
        pos += (cpt == ' ');
        while (!(f2 & kWordClasses) && f2 != 0) f2 = frag.flags_at(++pos);
        while (is_rn(frag.cpt(pos))) ++pos;
        frag.emit(pos);
        continue;
      }
      size_t n_ws = 0, last_rn_end = 0;
      while (frag.flags_at(pos + n_ws) & unicode::kWhitespace) {
        if (is_rn(frag.cpt(pos + n_ws))) last_rn_end = pos + n_ws + 1;
        ++n_ws;
      }
      pos = last_rn_end > 0 ? last_rn_end : whitespace_or_one(frag, pos);
      frag.emit(pos);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Regexes llama.cpp hands to std::regex. A matcher returns the length of the leftmost-first match
// starting exactly at pos (0: none) within [pos, end); the driver emits matches and the gaps between.

template <typename Match>
void split_regex(const std::vector<uint32_t>& in, std::vector<uint32_t>& out, Match match) {
  for_each_fragment(in, [&](size_t begin, size_t end) {
    size_t pos = begin, last = begin;
    while (pos < end) {
      const size_t len = match(pos, end);
      if (len == 0) {
        ++pos;
        continue;
      }
      if (pos > last) out.push_back(static_cast<uint32_t>(pos - last));
      out.push_back(static_cast<uint32_t>(len));
      pos += len;
      last = pos;
    }
    if (last < end) out.push_back(static_cast<uint32_t>(end - last));
  });
}

// Collapsed text (see pretokenize.h): one byte per code point.
uint8_t collapse(uint32_t cpt) {
  if (cpt < 128) return static_cast<uint8_t>(cpt);
  const uint16_t f = flags(cpt);
  if (f & unicode::kWhitespace) return 0x0B;
  switch (f & unicode::kCategoryMask) {
    case unicode::kNumber:
      return 0xD1;
    case unicode::kLetter:
      return 0xD2;
    case unicode::kPunctuation:
      return 0xD3;
    case unicode::kAccentMark:
      return 0xD4;
    case unicode::kSymbol:
      return 0xD5;
    default:
      return 0xD0;
  }
}

// Character classes of llama.cpp's collapsed regexes: \p{X} becomes [\xDn <ASCII members>], with the
// ASCII members of its k_ucat_map; \s is std::regex's (isspace in the C locale).
bool c_space(uint8_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D);
}
bool c_number(uint8_t c) {
  return c == 0xD1 || (c >= '0' && c <= '9');
}
bool c_letter(uint8_t c) {
  return c == 0xD2 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool c_punct(uint8_t c) {
  return c == 0xD3 || (c >= 0x21 && c <= 0x23) || (c >= 0x25 && c <= 0x2A) || (c >= 0x2C && c <= 0x2F) ||
         c == 0x3A || c == 0x3B || c == 0x3F || c == 0x40 || (c >= 0x5B && c <= 0x5D) || c == 0x5F ||
         c == 0x7B || c == 0x7D;
}
bool c_other(uint8_t c) {
  return !c_space(c) && !c_letter(c) && !c_number(c);
}  // [^\s\p{L}\p{N}]

// The code-point view of regexes without \p: non-ASCII whitespace is U+000B, \s is ASCII isspace.
uint32_t w_char(uint32_t cpt) {
  return cpt >= 0x80 && (flags(cpt) & unicode::kWhitespace) ? 0x0B : cpt;
}
bool w_space(uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

// The length of the run of elements satisfying pred from pos.
template <typename T, typename Pred>
size_t match_run(const std::vector<T>& c, size_t pos, size_t end, Pred pred) {
  size_t p = pos;
  while (p < end && pred(c[p])) ++p;
  return p - pos;
}

// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t match_qwen2(const std::vector<uint8_t>& c, size_t pos, size_t end) {
  auto at = [&](size_t p) -> int { return p < end ? c[p] : -1; };
  const int c0 = at(pos);
  if (c0 == '\'') {
    const int c1 = at(pos + 1) | 0x20, c2 = at(pos + 2) | 0x20;
    if (at(pos + 1) >= 0) {
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
      if (at(pos + 2) >= 0 &&
          ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))) {
        return 3;
      }
    }
  }
  const auto u0 = static_cast<uint8_t>(c0);
  if (c_letter(u0)) return match_run(c, pos, end, c_letter);
  if (u0 != '\r' && u0 != '\n' && !c_number(u0) && pos + 1 < end && c_letter(c[pos + 1])) {
    return 1 + match_run(c, pos + 1, end, c_letter);
  }
  if (c_number(u0)) return 1;
  const size_t lead = u0 == ' ' ? 1 : 0;
  if (pos + lead < end && c_other(c[pos + lead])) {
    size_t len = lead + match_run(c, pos + lead, end, c_other);
    len += match_run(c, pos + len, end, [](uint8_t x) { return x == '\r' || x == '\n'; });
    return len;
  }
  const size_t n_ws = match_run(c, pos, end, c_space);
  if (n_ws == 0) return 0;
  for (size_t k = n_ws; k > 0; --k) {  // \s*[\r\n]+ ends after the last \r or \n of the run
    if (c[pos + k - 1] == '\r' || c[pos + k - 1] == '\n') return k;
  }
  if (pos + n_ws == end) return n_ws;  // \s+(?!\S) at the end of the fragment
  if (n_ws >= 2) return n_ws - 1;      // \s+(?!\S): leave the last space to the next word
  return n_ws;                         // \s+
}

// deepseek-llm's letter class (cased letters of the BMP and a few supplementary scripts).
constexpr uint32_t kDeepseekLetters[][2] = {
    {0x0041, 0x005A},   {0x0061, 0x007A},   {0x00B5, 0x00B5},   {0x00C0, 0x00D6},   {0x00D8, 0x00F6},
    {0x00F8, 0x01BA},   {0x01BC, 0x01BF},   {0x01C4, 0x0293},   {0x0295, 0x02AF},   {0x0370, 0x0373},
    {0x0376, 0x0377},   {0x037B, 0x037D},   {0x037F, 0x037F},   {0x0386, 0x0386},   {0x0388, 0x038A},
    {0x038C, 0x038C},   {0x038E, 0x03A1},   {0x03A3, 0x03F5},   {0x03F7, 0x0481},   {0x048A, 0x052F},
    {0x0531, 0x0556},   {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

bool deepseek_letter(uint32_t c) {
  for (const auto& r : kDeepseekLetters) {
    if (c >= r[0] && c <= r[1]) return true;
  }
  return false;
}
// [!-/:-~！-／：-～‘-‟　-。]
bool deepseek_punct(uint32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x7E) || (c >= 0xFF01 && c <= 0xFF0F) ||
         (c >= 0xFF1A && c <= 0xFF5E) || (c >= 0x2018 && c <= 0x201F) || (c >= 0x3000 && c <= 0x3002);
}
// [一-龥ࠀ-一가-퟿]
bool deepseek_cjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x0800 && c <= 0x4E00) || (c >= 0xAC00 && c <= 0xD7FF);
}

// \s?X+ over a view where \s is `space`.
template <typename T, typename Space, typename Pred>
size_t match_space_opt_run(const std::vector<T>& c, size_t pos, size_t end, Space space, Pred pred) {
  if (space(c[pos]) && pos + 1 < end && pred(c[pos + 1])) return 1 + match_run(c, pos + 1, end, pred);
  return match_run(c, pos, end, pred);
}

// \s+$ : only the trailing whitespace run of each fragment can match.
void split_trailing_space(const std::vector<uint32_t>& w, const std::vector<uint32_t>& in,
                          std::vector<uint32_t>& out) {
  for_each_fragment(in, [&](size_t begin, size_t end) {
    size_t t = end;
    while (t > begin && w_space(w[t - 1])) --t;
    if (t > begin) out.push_back(static_cast<uint32_t>(t - begin));
    if (t < end) out.push_back(static_cast<uint32_t>(end - t));
  });
}

}  // namespace

std::string_view to_string(PreTokenizer pre) {
  switch (pre) {
    case PreTokenizer::gpt2:
      return "gpt2";
    case PreTokenizer::llama3:
      return "llama3";
    case PreTokenizer::qwen2:
      return "qwen2";
    case PreTokenizer::starcoder:
      return "starcoder";
    case PreTokenizer::falcon:
      return "falcon";
    case PreTokenizer::deepseek_llm:
      return "deepseek-llm";
    case PreTokenizer::deepseek_coder:
      return "deepseek-coder";
    case PreTokenizer::fallback:
      return "default";
  }
  return "?";
}

void pretokenize(PreTokenizer pre, const std::vector<uint32_t>& cpts, std::vector<uint32_t>& lengths) {
  if (cpts.empty()) return;
  std::vector<uint32_t> offsets{static_cast<uint32_t>(cpts.size())};
  std::vector<uint32_t> next;
  next.reserve(cpts.size() / 3 + 4);

  std::vector<uint8_t> collapsed;
  auto need_collapsed = [&] {
    if (collapsed.empty()) {
      collapsed.resize(cpts.size());
      for (size_t i = 0; i < cpts.size(); ++i) collapsed[i] = collapse(cpts[i]);
    }
  };
  std::vector<uint32_t> wide;
  auto need_wide = [&] {
    if (wide.empty()) {
      wide.resize(cpts.size());
      for (size_t i = 0; i < cpts.size(); ++i) wide[i] = w_char(cpts[i]);
    }
  };
  auto is_rn = [](uint32_t c) { return c == '\r' || c == '\n'; };
  // Each pass splits every current fragment further, as llama.cpp applies its regexes in turn.
  auto pass = [&](auto split) {
    split(offsets, next);
    offsets.swap(next);
    next.clear();
  };
  auto regex_pass = [&](auto match) {
    pass([&](const auto& in, auto& out) { split_regex(in, out, match); });
  };
  auto gpt2_pass = [&] { pass([&](const auto& in, auto& out) { split_gpt2(cpts, in, out); }); };

  switch (pre) {
    case PreTokenizer::gpt2:
      gpt2_pass();
      break;
    case PreTokenizer::llama3:
      pass([&](const auto& in, auto& out) { split_llama3(cpts, in, out); });
      break;
    case PreTokenizer::qwen2:
      need_collapsed();
      regex_pass([&](size_t pos, size_t end) { return match_qwen2(collapsed, pos, end); });
      break;
    case PreTokenizer::starcoder:  // "\p{N}", then GPT-2's
      need_collapsed();
      regex_pass([&](size_t pos, size_t) -> size_t { return c_number(collapsed[pos]) ? 1 : 0; });
      gpt2_pass();
      break;
    case PreTokenizer::falcon:    // "[\p{P}\$\+<=>\^~\|`]+", GPT-2's, "[0-9][0-9][0-9]"
    case PreTokenizer::fallback:  // "[\p{P}\$\+<=>\^~\|]+", GPT-2's, "\p{N}+", "[0-9][0-9][0-9]"
    {
      need_collapsed();
      const bool backtick = pre == PreTokenizer::falcon;
      auto punct = [backtick](uint8_t x) {
        return c_punct(x) || x == '$' || x == '+' || x == '<' || x == '=' || x == '>' || x == '^' ||
               x == '~' || x == '|' || (backtick && x == '`');
      };
      regex_pass([&](size_t pos, size_t end) { return match_run(collapsed, pos, end, punct); });
      gpt2_pass();
      if (pre == PreTokenizer::fallback) {
        regex_pass([&](size_t pos, size_t end) { return match_run(collapsed, pos, end, c_number); });
      }
      regex_pass([&](size_t pos, size_t end) -> size_t {
        auto digit = [&](size_t p) { return cpts[p] >= '0' && cpts[p] <= '9'; };
        return pos + 3 <= end && digit(pos) && digit(pos + 1) && digit(pos + 2) ? 3 : 0;
      });
      break;
    }
    case PreTokenizer::deepseek_llm:
      need_wide();
      need_collapsed();
      regex_pass([&](size_t pos, size_t) -> size_t { return is_rn(wide[pos]) ? 1 : 0; });
      regex_pass([&](size_t pos, size_t end) {
        return match_space_opt_run(wide, pos, end, w_space, deepseek_letter);
      });
      regex_pass([&](size_t pos, size_t end) {
        return match_space_opt_run(wide, pos, end, w_space, deepseek_punct);
      });
      pass([&](const auto& in, auto& out) { split_trailing_space(wide, in, out); });
      regex_pass([&](size_t pos, size_t end) { return match_run(wide, pos, end, deepseek_cjk); });
      regex_pass([&](size_t pos, size_t end) { return match_run(collapsed, pos, end, c_number); });
      break;
    case PreTokenizer::deepseek_coder:
      need_wide();
      need_collapsed();
      regex_pass([&](size_t pos, size_t) -> size_t { return is_rn(wide[pos]) ? 1 : 0; });
      regex_pass([&](size_t pos, size_t end) {
        return match_space_opt_run(collapsed, pos, end, c_space, c_letter);
      });
      regex_pass(
          [&](size_t pos, size_t end) { return match_space_opt_run(collapsed, pos, end, c_space, c_punct); });
      regex_pass([&](size_t pos, size_t end) { return match_run(wide, pos, end, deepseek_cjk); });
      regex_pass([&](size_t pos, size_t) -> size_t { return c_number(collapsed[pos]) ? 1 : 0; });
      break;
  }
  lengths.insert(lengths.end(), offsets.begin(), offsets.end());
}

}  // namespace occam::tokenizer
