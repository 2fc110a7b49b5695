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

// ---------------------------------------------------------------------------------------------
// The two splitters llama.cpp implements by hand (unicode_regex_split_custom_gpt2 / _llama3), with the
// same quirks: flags 0 outside the current fragment, and their own reading of (?!\S).

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const std::vector<uint32_t>& cpts, const std::vector<uint32_t>& in,
                std::vector<uint32_t>& out) {
  size_t start = 0;
  for (uint32_t length : in) {
    const size_t ini = start, end = start + length;
    start = end;
    auto cpt_at = [&](size_t pos) { return pos >= ini && pos < end ? cpts[pos] : kOutOfRange; };
    auto flags_at = [&](size_t pos) -> uint16_t { return pos >= ini && pos < end ? flags(cpts[pos]) : 0; };
    size_t prev_end = ini;
    auto add = [&](size_t to) {
      const size_t len = to - prev_end;
      if (len > 0) out.push_back(static_cast<uint32_t>(len));
      prev_end = to;
      return len;
    };
    for (size_t pos = ini; pos < end;) {
      const uint32_t cpt = cpt_at(pos);
      const uint16_t f = flags_at(pos);
      if (cpt == '\'' && pos + 1 < end) {
        const uint32_t next = cpt_at(pos + 1);
        if (next == 's' || next == 't' || next == 'm' || next == 'd') {
          pos += add(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const uint32_t next2 = cpt_at(pos + 2);
          if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') ||
              (next == 'l' && next2 == 'l')) {
            pos += add(pos + 3);
            continue;
          }
        }
      }
      uint16_t f2 = cpt == ' ' ? flags_at(pos + 1) : f;
      if (f2 & unicode::kLetter) {
        pos += (cpt == ' ');
        while (f2 & unicode::kLetter) f2 = flags_at(++pos);
        add(pos);
        continue;
      }
      if (f2 & unicode::kNumber) {
        pos += (cpt == ' ');
        while (f2 & unicode::kNumber) f2 = flags_at(++pos);
        add(pos);
        continue;
      }
      if (!(f2 & kWordClasses) && f2 != 0) {
        pos += (cpt == ' ');
        while (!(f2 & kWordClasses) && f2 != 0) f2 = flags_at(++pos);
        add(pos);
        continue;
      }
      size_t n_ws = 0;
      while (flags_at(pos + n_ws) & unicode::kWhitespace) ++n_ws;
      if (n_ws > 1 && cpt_at(pos + n_ws) != kOutOfRange) {
        pos += n_ws - 1;
        add(pos);
        continue;
      }
      if (n_ws > 0) {
        pos += n_ws;
        add(pos);
        continue;
      }
      add(++pos);
    }
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(const std::vector<uint32_t>& cpts, const std::vector<uint32_t>& in,
                  std::vector<uint32_t>& out) {
  size_t start = 0;
  for (uint32_t length : in) {
    const size_t ini = start, end = start + length;
    start = end;
    auto cpt_at = [&](size_t pos) { return pos >= ini && pos < end ? cpts[pos] : kOutOfRange; };
    auto flags_at = [&](size_t pos) -> uint16_t { return pos >= ini && pos < end ? flags(cpts[pos]) : 0; };
    size_t prev_end = ini;
    auto add = [&](size_t to) {
      const size_t len = to - prev_end;
      if (len > 0) out.push_back(static_cast<uint32_t>(len));
      prev_end = to;
      return len;
    };
    for (size_t pos = ini; pos < end;) {
      const uint32_t cpt = cpt_at(pos);
      const uint16_t f = flags_at(pos);
      if (cpt == '\'' && pos + 1 < end) {
        const uint32_t next = unicode::to_lower(cpt_at(pos + 1));
        if (next == 's' || next == 't' || next == 'm' || next == 'd') {
          pos += add(pos + 2);
          continue;
        }
        if (pos + 2 < end) {
          const uint32_t next2 = unicode::to_lower(cpt_at(pos + 2));
          if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') ||
              (next == 'l' && next2 == 'l')) {
            pos += add(pos + 3);
            continue;
          }
        }
      }
      if (!(cpt == '\r' || cpt == '\n' || (f & unicode::kNumber))) {
        if ((f & unicode::kLetter) || (flags_at(pos + 1) & unicode::kLetter)) {
          ++pos;
          while (flags_at(pos) & unicode::kLetter) ++pos;
          add(pos);
          continue;
        }
      }
      if (f & unicode::kNumber) {
        size_t first = pos;
        while (flags_at(pos) & unicode::kNumber) {
          if (++pos - first >= 3) {
            add(pos);
            first = pos;
          }
        }
        add(pos);
        continue;
      }
      uint16_t f2 = cpt == ' ' ? flags_at(pos + 1) : f;
      if (!(f2 & kWordClasses) && f != 0) {
        pos += (cpt == ' ');
        while (!(f2 & kWordClasses) && f2 != 0) f2 = flags_at(++pos);
        uint32_t c2 = cpt_at(pos);
        while (c2 == '\r' || c2 == '\n') c2 = cpt_at(++pos);
        add(pos);
        continue;
      }
      size_t n_ws = 0, last_rn_end = 0;
      while (flags_at(pos + n_ws) & unicode::kWhitespace) {
        const uint32_t c2 = cpt_at(pos + n_ws);
        if (c2 == '\r' || c2 == '\n') last_rn_end = pos + n_ws + 1;
        ++n_ws;
      }
      if (last_rn_end > 0) {
        pos = last_rn_end;
        add(pos);
        continue;
      }
      if (n_ws > 1 && cpt_at(pos + n_ws) != kOutOfRange) {
        pos += n_ws - 1;
        add(pos);
        continue;
      }
      if (n_ws > 0) {
        pos += n_ws;
        add(pos);
        continue;
      }
      add(++pos);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Regexes llama.cpp hands to std::regex. A matcher returns the length of the leftmost-first match
// starting exactly at pos (0: none) within [pos, end); the driver emits matches and the gaps between.

template <typename Match>
void split_regex(const std::vector<uint32_t>& in, std::vector<uint32_t>& out, Match match) {
  size_t start = 0;
  for (uint32_t length : in) {
    const size_t ini = start, end = start + length;
    start = end;
    size_t pos = ini, last = ini;
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
  }
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

template <typename Pred>
size_t run(const std::vector<uint8_t>& c, size_t pos, size_t end, Pred pred) {
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
  if (c_letter(u0)) return run(c, pos, end, c_letter);
  if (u0 != '\r' && u0 != '\n' && !c_number(u0) && pos + 1 < end && c_letter(c[pos + 1])) {
    return 1 + run(c, pos + 1, end, c_letter);
  }
  if (c_number(u0)) return 1;
  const size_t lead = u0 == ' ' ? 1 : 0;
  if (pos + lead < end && c_other(c[pos + lead])) {
    size_t len = lead + run(c, pos + lead, end, c_other);
    len += run(c, pos + len, end, [](uint8_t x) { return x == '\r' || x == '\n'; });
    return len;
  }
  const size_t n_ws = run(c, pos, end, c_space);
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
  if (space(c[pos]) && pos + 1 < end && pred(c[pos + 1])) {
    size_t p = pos + 1;
    while (p < end && pred(c[p])) ++p;
    return p - pos;
  }
  size_t p = pos;
  while (p < end && pred(c[p])) ++p;
  return p - pos;
}

template <typename T, typename Pred>
size_t match_run(const std::vector<T>& c, size_t pos, size_t end, Pred pred) {
  size_t p = pos;
  while (p < end && pred(c[p])) ++p;
  return p - pos;
}

// \s+$ : only the trailing whitespace run of each fragment can match.
void split_trailing_space(const std::vector<uint32_t>& w, const std::vector<uint32_t>& in,
                          std::vector<uint32_t>& out) {
  size_t start = 0;
  for (uint32_t length : in) {
    const size_t ini = start, end = start + length;
    start = end;
    size_t t = end;
    while (t > ini && w_space(w[t - 1])) --t;
    if (t > ini) out.push_back(static_cast<uint32_t>(t - ini));
    if (t < end) out.push_back(static_cast<uint32_t>(end - t));
  }
}

void swap_into(std::vector<uint32_t>& offsets, std::vector<uint32_t>& next) {
  offsets.swap(next);
  next.clear();
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

  switch (pre) {
    case PreTokenizer::gpt2:
      split_gpt2(cpts, offsets, next);
      swap_into(offsets, next);
      break;
    case PreTokenizer::llama3:
      split_llama3(cpts, offsets, next);
      swap_into(offsets, next);
      break;
    case PreTokenizer::qwen2:
      need_collapsed();
      split_regex(offsets, next, [&](size_t pos, size_t end) { return match_qwen2(collapsed, pos, end); });
      swap_into(offsets, next);
      break;
    case PreTokenizer::starcoder:  // "\p{N}", then GPT-2's
      need_collapsed();
      split_regex(offsets, next,
                  [&](size_t pos, size_t) -> size_t { return c_number(collapsed[pos]) ? 1 : 0; });
      swap_into(offsets, next);
      split_gpt2(cpts, offsets, next);
      swap_into(offsets, next);
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
      split_regex(offsets, next,
                  [&](size_t pos, size_t end) { return match_run(collapsed, pos, end, punct); });
      swap_into(offsets, next);
      split_gpt2(cpts, offsets, next);
      swap_into(offsets, next);
      if (pre == PreTokenizer::fallback) {
        split_regex(offsets, next,
                    [&](size_t pos, size_t end) { return match_run(collapsed, pos, end, c_number); });
        swap_into(offsets, next);
      }
      split_regex(offsets, next, [&](size_t pos, size_t end) -> size_t {
        auto digit = [&](size_t p) { return cpts[p] >= '0' && cpts[p] <= '9'; };
        return pos + 3 <= end && digit(pos) && digit(pos + 1) && digit(pos + 2) ? 3 : 0;
      });
      swap_into(offsets, next);
      break;
    }
    case PreTokenizer::deepseek_llm:
      need_wide();
      need_collapsed();
      split_regex(offsets, next, [&](size_t pos, size_t) -> size_t { return is_rn(wide[pos]) ? 1 : 0; });
      swap_into(offsets, next);
      split_regex(offsets, next, [&](size_t pos, size_t end) {
        return match_space_opt_run(wide, pos, end, w_space, deepseek_letter);
      });
      swap_into(offsets, next);
      split_regex(offsets, next, [&](size_t pos, size_t end) {
        return match_space_opt_run(wide, pos, end, w_space, deepseek_punct);
      });
      swap_into(offsets, next);
      split_trailing_space(wide, offsets, next);
      swap_into(offsets, next);
      split_regex(offsets, next,
                  [&](size_t pos, size_t end) { return match_run(wide, pos, end, deepseek_cjk); });
      swap_into(offsets, next);
      split_regex(offsets, next,
                  [&](size_t pos, size_t end) { return match_run(collapsed, pos, end, c_number); });
      swap_into(offsets, next);
      break;
    case PreTokenizer::deepseek_coder:
      need_wide();
      need_collapsed();
      split_regex(offsets, next, [&](size_t pos, size_t) -> size_t { return is_rn(wide[pos]) ? 1 : 0; });
      swap_into(offsets, next);
      split_regex(offsets, next, [&](size_t pos, size_t end) {
        return match_space_opt_run(collapsed, pos, end, c_space, c_letter);
      });
      swap_into(offsets, next);
      split_regex(offsets, next, [&](size_t pos, size_t end) {
        return match_space_opt_run(collapsed, pos, end, c_space, c_punct);
      });
      swap_into(offsets, next);
      split_regex(offsets, next,
                  [&](size_t pos, size_t end) { return match_run(wide, pos, end, deepseek_cjk); });
      swap_into(offsets, next);
      split_regex(offsets, next,
                  [&](size_t pos, size_t) -> size_t { return c_number(collapsed[pos]) ? 1 : 0; });
      swap_into(offsets, next);
      break;
  }
  lengths.insert(lengths.end(), offsets.begin(), offsets.end());
}

}  // namespace occam::tokenizer
