// Unicode helpers with llama.cpp's exact semantics (src/unicode.cpp at c392e50): code point flags
// (general category as llama.cpp groups it, plus its whitespace set), UTF-8 decoding that turns each
// invalid byte into U+FFFD, the first code point of the canonical decomposition, simple lowercase, and
// GPT-2's byte <-> printable-character mapping used by byte-level BPE.
//
// Categories come from utf8proc (Unicode 15.0) patched to Unicode 15.1, the version of llama.cpp's
// generated table; the BMP is precomputed into flat tables at first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace occam::tokenizer::unicode {

// Bits as in llama.cpp's unicode_cpt_flags (the low byte is the category, exactly one bit set).
enum Flag : uint16_t {
  kUndefined = 0x0001,    // unassigned (Cn)
  kNumber = 0x0002,       // \p{N}
  kLetter = 0x0004,       // \p{L}
  kSeparator = 0x0008,    // \p{Z}
  kAccentMark = 0x0010,   // \p{M}
  kPunctuation = 0x0020,  // \p{P}
  kSymbol = 0x0040,       // \p{S}
  kControl = 0x0080,      // \p{C} except Cn
  kCategoryMask = 0x00FF,
  kWhitespace = 0x0100,  // llama.cpp's whitespace set (\t..\r, space, U+0085, U+00A0, U+1680, ...)
};

inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;
inline constexpr uint32_t kReplacement = 0xFFFD;

// Flags of a code point; kUndefined beyond U+10FFFF. 0 is never returned for a valid code point, so
// llama.cpp's "out of range" (flags 0) can be represented by the caller.
uint16_t flags(uint32_t cpt);

// Simple lowercase mapping (the code point itself when it has none).
uint32_t to_lower(uint32_t cpt);

// First code point of the full canonical decomposition (NFD) of cpt; cpt when it does not decompose.
// llama.cpp's unicode_cpts_normalize_nfd maps each code point this way (accents of precomposed
// letters are dropped, combining marks already present stay).
uint32_t nfd_first(uint32_t cpt);

// Length of a UTF-8 sequence from its lead byte, as llama.cpp's unicode_len_utf8 (continuation and
// invalid bytes count as 1; no validation).
inline size_t utf8_len_from_lead(uint8_t lead) {
  static constexpr uint8_t kLookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLookup[lead >> 4];
}

// Decodes one code point at pos and advances pos. Follows llama.cpp's unicode_cpt_from_utf8: lead byte
// and continuation-byte shape are checked, overlong forms and surrogates are accepted as decoded; an
// invalid sequence consumes one byte and yields U+FFFD. A decoded value above U+10FFFF (lead bytes
// F4 90.. to F7, where llama.cpp throws) is also treated as invalid: one byte, U+FFFD.
uint32_t decode_utf8(std::string_view text, size_t& pos);

// Every code point of text, decoded as above.
void decode_utf8(std::string_view text, std::vector<uint32_t>& out);

// Appends the UTF-8 encoding of cpt (cpt <= U+10FFFF; surrogates are encoded as three bytes, as
// llama.cpp does).
void append_utf8(std::string& out, uint32_t cpt);
std::string to_utf8(uint32_t cpt);

// True when text is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// GPT-2 byte-level alphabet: byte b -> one printable code point (printable Latin-1 bytes map to
// themselves, the 68 others to U+0100 + n).
uint32_t byte_to_codepoint(uint8_t byte);
// The inverse: the byte of a code point of the alphabet, or -1.
int codepoint_to_byte(uint32_t cpt);

// llama.cpp's WordPiece "Chinese character" ranges (including its 0x2B920 quirk).
bool is_chinese_char(uint32_t cpt);

}  // namespace occam::tokenizer::unicode
