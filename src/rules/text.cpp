// Helpers shared by the detectors: group separators, word boundaries on UTF-8 text, digit groups.
#include <algorithm>

#include <utf8proc.h>

#include "rules/detector.h"

namespace occam::rules {

std::vector<DetectorRegistration>& detector_registry() {
  static std::vector<DetectorRegistration> registry;
  return registry;
}

std::size_t Detector::candidate_start(std::string_view, std::size_t, std::size_t end, std::size_t,
                                      std::size_t) const {
  return end;  // only called for patterns without leftmost-start tracking, which override this
}

std::size_t separator_length(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return 0;
  unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c == ' ' || c == '.' || c == '-') return 1;
  if (c == 0xC2 && pos + 1 < text.size() && static_cast<unsigned char>(text[pos + 1]) == 0xA0) return 2;
  if (c == 0xE2 && pos + 2 < text.size() && static_cast<unsigned char>(text[pos + 1]) == 0x80) {
    unsigned char c2 = static_cast<unsigned char>(text[pos + 2]);
    if (c2 == 0xAF || c2 == 0x89) return 3;
  }
  return 0;
}

std::size_t separator_length_before(std::string_view text, std::size_t pos) {
  for (std::size_t n = 1; n <= 3 && n <= pos; ++n) {
    if (separator_length(text, pos - n) == n) return n;
  }
  return 0;
}

namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Letters, marks and digits of any script make a word; everything else (punctuation, spaces,
// symbols, invalid bytes) separates words.
bool is_word_code_point(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool is_word_at(std::string_view text, std::size_t pos, std::string_view also) {
  unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return is_ascii_alnum(c) || also.find(static_cast<char>(c)) != std::string_view::npos;
  utf8proc_int32_t cp = -1;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                            static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
  return n > 0 && cp >= 0 && is_word_code_point(cp);
}

}  // namespace

bool word_boundary_before(std::string_view text, std::size_t pos, std::string_view also) {
  if (pos == 0 || pos > text.size()) return true;
  unsigned char c = static_cast<unsigned char>(text[pos - 1]);
  if (c < 0x80) return !(is_ascii_alnum(c) || also.find(static_cast<char>(c)) != std::string_view::npos);
  // Walk back to the lead byte of the code point that ends at pos (at most 3 continuation bytes).
  std::size_t lead = pos - 1;
  while (lead > 0 && pos - lead < 4 && (static_cast<unsigned char>(text[lead]) & 0xC0) == 0x80) --lead;
  utf8proc_int32_t cp = -1;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + lead),
                            static_cast<utf8proc_ssize_t>(pos - lead), &cp);
  if (n != static_cast<utf8proc_ssize_t>(pos - lead) || cp < 0) return true;  // invalid bytes
  return !is_word_code_point(cp);
}

bool word_boundary_after(std::string_view text, std::size_t pos, std::string_view also) {
  if (pos >= text.size()) return true;
  return !is_word_at(text, pos, also);
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t fixed_candidate_start(std::string_view text, std::size_t end, std::size_t count,
                                  bool (*significant)(char)) {
  std::size_t pos = end;
  for (std::size_t seen = 0; seen < count; ++seen) {
    if (seen > 0 && pos > 0 && !significant(text[pos - 1])) pos -= separator_length_before(text, pos);
    if (pos == 0 || !significant(text[pos - 1])) return end;
    --pos;
  }
  return pos;
}

std::string digits_of(std::string_view text, std::size_t start, std::size_t end) {
  std::string digits;
  for (std::size_t i = start; i < end && i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') digits.push_back(text[i]);
  }
  return digits;
}

std::vector<DigitGroup> digit_groups(std::string_view text, std::size_t start, std::size_t end) {
  std::vector<DigitGroup> groups;
  std::size_t i = start;
  end = std::min(end, text.size());
  while (i < end) {
    if (text[i] < '0' || text[i] > '9') break;
    std::size_t j = i;
    while (j < end && text[j] >= '0' && text[j] <= '9') ++j;
    std::size_t sep = separator_length(text, j);
    bool continues = sep > 0 && j + sep < end && text[j + sep] >= '0' && text[j + sep] <= '9';
    groups.push_back({i, j, continues ? sep : 0});
    if (!continues) break;
    i = j + sep;
  }
  return groups;
}

Finding make_finding(std::string_view kind, std::string_view text, std::size_t start, std::size_t end,
                     double confidence) {
  return Finding{std::string(kind), start, end, std::string(text.substr(start, end - start)), confidence};
}

}  // namespace occam::rules
