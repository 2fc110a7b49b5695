// WordPiece as llama.cpp's llm_tokenizer_wpm (c392e50): every code point is replaced by the first code
// point of its NFD decomposition (which drops the accents of precomposed letters) and lowercased;
// whitespace separates words; NUL, U+FFFD and control characters are dropped; punctuation, ASCII
// symbols and CJK ideographs are words of their own. Each word, prefixed with U+2581, is cut greedily
// into the longest vocabulary entries; a word with an unmatched position becomes the unknown token.
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace occam::tokenizer {

void Tokenizer::Impl::encode_wpm(std::string_view text, std::vector<TokenId>& out) const {
  std::vector<uint32_t> cpts;
  unicode::decode_utf8(text, cpts);

  std::vector<std::string> words(1);
  for (uint32_t raw : cpts) {
    const uint32_t cpt = unicode::nfd_first(raw);
    const uint16_t f = unicode::flags(cpt);
    if (f & unicode::kWhitespace) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (cpt == 0 || cpt == unicode::kReplacement || (f & unicode::kControl)) continue;
    const uint32_t lower = unicode::to_lower(cpt);
    if ((f & unicode::kPunctuation) || (cpt < 0x7F && (f & unicode::kSymbol)) ||
        unicode::is_chinese_char(cpt)) {
      if (!words.back().empty()) words.emplace_back();
      unicode::append_utf8(words.back(), lower);
      words.emplace_back();
    } else {
      unicode::append_utf8(words.back(), lower);
    }
  }
  if (words.back().empty()) words.pop_back();

  std::string word1;
  for (const std::string& word : words) {
    if (word.empty()) continue;
    word1.assign("\xE2\x96\x81");
    word1 += word;
    const size_t n = word1.size();
    const size_t first = out.size();
    for (size_t i = 0; i < n; ++i) {
      bool match = false;
      for (size_t j = std::min(n, i + max_token_len + 1); j > i; --j) {
        const TokenId id = find_token(std::string_view(word1).substr(i, j - i));
        if (id != kNoToken) {
          out.push_back(id);
          match = true;
          i = j - 1;
          break;
        }
      }
      if (!match) {
        out.resize(first);
        break;
      }
    }
    if (out.size() == first && special.unk != kNoToken) out.push_back(special.unk);
  }
}

}  // namespace occam::tokenizer
