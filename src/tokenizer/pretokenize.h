// Byte-level BPE pre-tokenizers: split text (as code points) into words exactly as llama.cpp's
// unicode_regex_split does for each `tokenizer.ggml.pre` family. Written as hand-made matchers over
// code points, one per regex, instead of a regex engine:
//   - the two regexes llama.cpp runs with its own code (GPT-2's and Llama 3's) use full Unicode flags;
//   - the regexes llama.cpp runs through std::regex see "collapsed" text (every code point >= 128
//     replaced by one byte per category: \p{N} 0xD1, \p{L} 0xD2, \p{P} 0xD3, \p{M} 0xD4, \p{S} 0xD5,
//     other 0xD0, whitespace 0x0B) and ASCII classes from llama.cpp's table, so the matchers do too;
//   - regexes without \p{..} run on code points with non-ASCII whitespace mapped to U+000B.
// Each matcher reproduces ECMAScript leftmost-first backtracking for its regex.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace occam::tokenizer {

enum class PreTokenizer {
  gpt2,            // gpt-2, mpt, olmo, jais, phi-2, jina-*, roberta-bpe, ...
  llama3,          // llama-bpe (Llama 3), dbrx, smaug-bpe, chatglm-bpe, falcon3, pixtral
  qwen2,           // qwen2, deepseek-r1-qwen, stablelm2, megrez
  starcoder,       // starcoder, refact, command-r, smollm, codeshell, exaone, minerva-7b
  falcon,          // falcon
  deepseek_llm,    // deepseek-llm
  deepseek_coder,  // deepseek-coder
  fallback,        // "default" (or no pre key): llama.cpp's default BPE regexes
};

std::string_view to_string(PreTokenizer pre);

// Splits cpts into consecutive words; appends each word's length (in code points) to lengths.
void pretokenize(PreTokenizer pre, const std::vector<uint32_t>& cpts, std::vector<uint32_t>& lengths);

}  // namespace occam::tokenizer
