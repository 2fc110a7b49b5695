// Tokenizer::from_gguf: llama.cpp's llama_vocab::impl::load (c392e50) for the SPM, BPE and WPM types:
// defaults per model and pre-tokenizer, GGUF keys, load-time attribute fix-ups, caches.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace occam::tokenizer {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";

enum GgufTokenType : int32_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

uint32_t attr_from_type(int32_t type) {
  switch (type) {
    case kTypeUnknown:
      return kAttrUnknown;
    case kTypeUnused:
      return kAttrUnused;
    case kTypeNormal:
      return kAttrNormal;
    case kTypeControl:
      return kAttrControl;
    case kTypeUserDefined:
      return kAttrUserDefined;
    case kTypeByte:
      return kAttrByte;
    default:
      return kAttrUndefined;
  }
}

struct PreInfo {
  std::string_view name;
  PreTokenizer pre;
  bool clean_spaces;
  bool ignore_merges;
  bool add_bos;
};

// tokenizer.ggml.pre names llama.cpp maps to the pre-tokenizers implemented here.
constexpr PreInfo kPreTokenizers[] = {
    {"default", PreTokenizer::fallback, true, false, false},
    {"llama3", PreTokenizer::llama3, true, true, true},
    {"llama-v3", PreTokenizer::llama3, true, true, true},
    {"llama-bpe", PreTokenizer::llama3, true, true, true},
    {"falcon3", PreTokenizer::llama3, true, true, true},
    {"pixtral", PreTokenizer::llama3, true, true, true},
    {"dbrx", PreTokenizer::llama3, true, false, false},
    {"smaug-bpe", PreTokenizer::llama3, true, false, false},
    {"chatglm-bpe", PreTokenizer::llama3, true, false, false},
    {"glm4", PreTokenizer::llama3, true, false, false},
    {"deepseek-llm", PreTokenizer::deepseek_llm, false, false, false},
    {"deepseek-coder", PreTokenizer::deepseek_coder, false, false, false},
    {"falcon", PreTokenizer::falcon, true, false, false},
    {"mpt", PreTokenizer::gpt2, true, false, false},
    {"gpt-2", PreTokenizer::gpt2, true, false, false},
    {"phi-2", PreTokenizer::gpt2, true, false, false},
    {"jina-es", PreTokenizer::gpt2, true, false, false},
    {"jina-de", PreTokenizer::gpt2, true, false, false},
    {"gigachat", PreTokenizer::gpt2, true, false, false},
    {"jina-v1-en", PreTokenizer::gpt2, true, false, false},
    {"jina-v2-es", PreTokenizer::gpt2, true, false, false},
    {"jina-v2-de", PreTokenizer::gpt2, true, false, false},
    {"jina-v2-code", PreTokenizer::gpt2, true, false, false},
    {"roberta-bpe", PreTokenizer::gpt2, true, false, false},
    {"olmo", PreTokenizer::gpt2, true, false, false},
    {"jais", PreTokenizer::gpt2, true, false, false},
    {"starcoder", PreTokenizer::starcoder, true, false, false},
    {"refact", PreTokenizer::starcoder, true, false, false},
    {"command-r", PreTokenizer::starcoder, false, false, false},
    {"smollm", PreTokenizer::starcoder, false, false, false},
    {"codeshell", PreTokenizer::starcoder, true, false, false},
    {"exaone", PreTokenizer::starcoder, true, false, false},
    {"minerva-7b", PreTokenizer::starcoder, true, false, false},
    {"qwen2", PreTokenizer::qwen2, false, false, false},
    {"deepseek-r1-qwen", PreTokenizer::qwen2, false, false, false},
    {"stablelm2", PreTokenizer::qwen2, true, false, false},
    {"megrez", PreTokenizer::qwen2, true, false, false},
};

std::string supported_pre_names() {
  std::string out;
  for (const PreInfo& info : kPreTokenizers) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

// Texts llama.cpp recognises when the GGUF does not name the token (auto-detection at load).
constexpr std::string_view kEotTexts[] = {"<|eot_id|>",    "<|im_end|>", "<|end|>", "<end_of_turn>",
                                          "<|endoftext|>", "<EOT>",      "_<EOT>",  "<｜end▁of▁sentence｜>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>",
                                             "▁<PRE>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>",
                                             "▁<SUF>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>",
                                             "▁<MID>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<PAD>"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",    "<|im_end|>", "<|end|>", "<end_of_turn>",
                                          "<|endoftext|>", "<|eom_id|>", "<EOT>",   "_<EOT>"};

template <size_t N>
bool text_in(std::string_view text, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), text) != std::end(list);
}

Result<std::vector<int32_t>> read_int_array(const gguf::ArrayView& array, std::string_view key) {
  if (array.element_type() == gguf::ValueType::i32) return array.to_vector<int32_t>();
  if (array.element_type() == gguf::ValueType::u32) {
    OCCAM_ASSIGN_OR_RETURN(std::vector<uint32_t> values, array.to_vector<uint32_t>());
    return std::vector<int32_t>(values.begin(), values.end());
  }
  return make_error(ErrorCode::invalid_argument, "tokenizer: key '{}': expected an array of i32, found {}",
                    key, gguf::to_string(array.element_type()));
}

}  // namespace

std::string Tokenizer::Impl::compute_piece(TokenId id) const {
  const std::string& text = strings[static_cast<size_t>(id)];
  const uint32_t attr = attrs[static_cast<size_t>(id)];
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) {
    std::string out;
    if (type == VocabType::bpe) {
      // Byte-level alphabet back to bytes; llama.cpp's llama_decode_text marks foreign characters.
      size_t pos = 0;
      while (pos < text.size()) {
        const size_t start = pos;
        const uint32_t cpt = unicode::decode_utf8(text, pos);
        const int byte = unicode::codepoint_to_byte(cpt);
        if (byte >= 0) {
          out.push_back(static_cast<char>(byte));
        } else {
          out += "[UNK_BYTE_0x";
          for (char c : unicode::to_utf8(cpt)) out += fmt::format("{:02x}", static_cast<uint8_t>(c));
          out += text;
          out += "]";
          (void)start;
        }
      }
      return out;
    }
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
        out.push_back(' ');
        i += kSpaceMarker.size();
      } else {
        out.push_back(text[i++]);
      }
    }
    return out;
  }
  if ((attr & kAttrByte) && type != VocabType::wpm) {
    // "<0xNN>": llama.cpp parses text[3..5) with strtol (0 when it is not hex).
    const std::string hex = text.size() >= 5 ? text.substr(3, 2) : std::string();
    return std::string(1, static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
  }
  return {};
}

Result<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
  static std::atomic<uint64_t> next_cache_id{1};
  auto impl = std::make_unique<Impl>();
  Impl& v = *impl;
  v.cache_id = next_cache_id.fetch_add(1);

  OCCAM_ASSIGN_OR_RETURN(std::string_view model, file.get_string("tokenizer.ggml.model"));
  v.model = std::string(model);
  OCCAM_ASSIGN_OR_RETURN(std::string_view pre, file.get_or<std::string_view>("tokenizer.ggml.pre", ""));
  v.pre = std::string(pre);

  SpecialTokens& sp = v.special;
  if (model == "llama") {
    v.type = VocabType::spm;
    sp.bos = 1;
    sp.eos = 2;
    sp.unk = 0;
    v.add_space_prefix = true;
    v.add_bos = true;
  } else if (model == "bert") {
    v.type = VocabType::wpm;
    sp.bos = 101;
    sp.unk = 100;
    sp.sep = 102;
    sp.pad = 0;
    sp.mask = 103;
    v.add_bos = true;
    v.clean_spaces = true;
  } else if (model == "gpt2") {
    v.type = VocabType::bpe;
    sp.bos = 11;
    sp.eos = 11;
    const PreInfo* info = nullptr;
    const std::string_view pre_name = pre.empty() ? std::string_view("default") : pre;
    for (const PreInfo& candidate : kPreTokenizers) {
      if (candidate.name == pre_name) info = &candidate;
    }
    if (info == nullptr) {
      return make_error(ErrorCode::unsupported,
                        "tokenizer: pre-tokenizer '{}' (tokenizer.ggml.pre) is not supported; supported: {}",
                        pre, supported_pre_names());
    }
    v.pre_tokenizer = info->pre;
    v.clean_spaces = info->clean_spaces;
    v.ignore_merges = info->ignore_merges;
    v.add_bos = info->add_bos;
    if (pre_name == "chatglm-bpe" || pre_name == "glm4") sp.bos = kNoToken;
  } else {
    return make_error(
        ErrorCode::unsupported,
        "tokenizer: model '{}' (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), "
        "gpt2 (byte-level BPE), bert (WordPiece)",
        model);
  }
  OCCAM_ASSIGN_OR_RETURN(v.add_space_prefix,
                         file.get_or<bool>("tokenizer.ggml.add_space_prefix", v.add_space_prefix));

  // Tokens, scores, types.
  OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView tokens, file.get_array("tokenizer.ggml.tokens"));
  if (tokens.element_type() != gguf::ValueType::string) {
    return make_error(ErrorCode::invalid_argument,
                      "tokenizer: key 'tokenizer.ggml.tokens': expected an array of "
                      "strings, found {}",
                      gguf::to_string(tokens.element_type()));
  }
  const uint64_t n_tokens = tokens.size();
  if (n_tokens == 0 || n_tokens > static_cast<uint64_t>(INT32_MAX / 2)) {
    return make_error(ErrorCode::invalid_argument, "tokenizer: key 'tokenizer.ggml.tokens': {} tokens",
                      n_tokens);
  }
  v.n_tokens = n_tokens;
  v.strings.reserve(n_tokens);
  for (uint64_t i = 0; i < n_tokens; ++i) {
    v.strings.emplace_back(tokens.string(i));
    v.max_token_len = std::max(v.max_token_len, v.strings.back().size());
  }
  v.scores.assign(n_tokens, 0.0f);
  if (const gguf::KeyValue* kv = file.find("tokenizer.ggml.scores")) {
    OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView scores, kv->value.as_array());
    if (scores.size() < n_tokens) {
      return make_error(ErrorCode::invalid_argument,
                        "tokenizer: key 'tokenizer.ggml.scores': {} scores for {} tokens", scores.size(),
                        n_tokens);
    }
    if (scores.element_type() == gguf::ValueType::f32) {
      OCCAM_ASSIGN_OR_RETURN(std::vector<float> values, scores.to_vector<float>());
      std::copy_n(values.begin(), n_tokens, v.scores.begin());
    } else if (scores.element_type() == gguf::ValueType::i32) {
      OCCAM_ASSIGN_OR_RETURN(std::vector<int32_t> values, scores.to_vector<int32_t>());
      for (uint64_t i = 0; i < n_tokens; ++i) v.scores[i] = static_cast<float>(values[i]);
    } else {
      return make_error(ErrorCode::invalid_argument,
                        "tokenizer: key 'tokenizer.ggml.scores': expected f32 or i32 "
                        "elements, found {}",
                        gguf::to_string(scores.element_type()));
    }
  }
  v.attrs.assign(n_tokens, kAttrNormal);
  if (const gguf::KeyValue* kv = file.find("tokenizer.ggml.token_type")) {
    OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView types, kv->value.as_array());
    OCCAM_ASSIGN_OR_RETURN(std::vector<int32_t> values, read_int_array(types, "tokenizer.ggml.token_type"));
    if (values.size() < n_tokens) {
      return make_error(ErrorCode::invalid_argument,
                        "tokenizer: key 'tokenizer.ggml.token_type': {} types for {} "
                        "tokens",
                        values.size(), n_tokens);
    }
    for (uint64_t i = 0; i < n_tokens; ++i) v.attrs[i] = attr_from_type(values[i]);
  }
  v.index.build(v.strings);

  // Special ids: a default outside the vocabulary is dropped; a key outside it is ignored.
  struct SpecialKey {
    std::string_view key;
    TokenId* id;
  };
  const SpecialKey special_keys[] = {
      {"tokenizer.ggml.bos_token_id", &sp.bos},
      {"tokenizer.ggml.eos_token_id", &sp.eos},
      {"tokenizer.ggml.eot_token_id", &sp.eot},
      {"tokenizer.ggml.eom_token_id", &sp.eom},
      {"tokenizer.ggml.unknown_token_id", &sp.unk},
      {"tokenizer.ggml.seperator_token_id", &sp.sep},
      {"tokenizer.ggml.padding_token_id", &sp.pad},
      {"tokenizer.ggml.mask_token_id", &sp.mask},
      {"tokenizer.ggml.fim_pre_token_id", &sp.fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &sp.fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &sp.fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &sp.fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &sp.fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &sp.fim_sep},
      {"tokenizer.ggml.prefix_token_id", &sp.fim_pre},
      {"tokenizer.ggml.suffix_token_id", &sp.fim_suf},
      {"tokenizer.ggml.middle_token_id", &sp.fim_mid},
      // WordPiece's [CLS] is llama.cpp's BOS slot (older converters wrote cls_token_id).
      {"tokenizer.ggml.cls_token_id", v.type == VocabType::wpm ? &sp.bos : nullptr},
  };
  for (const SpecialKey& entry : special_keys) {
    if (entry.id == nullptr) continue;
    if (*entry.id >= 0 && static_cast<uint64_t>(*entry.id) >= n_tokens) *entry.id = kNoToken;
    if (!file.contains(entry.key)) continue;
    OCCAM_ASSIGN_OR_RETURN(int64_t value, file.get_integer<int64_t>(entry.key));
    if (value >= 0 && static_cast<uint64_t>(value) < n_tokens) *entry.id = static_cast<TokenId>(value);
  }
  OCCAM_ASSIGN_OR_RETURN(v.add_bos, file.get_or<bool>("tokenizer.ggml.add_bos_token", v.add_bos));
  OCCAM_ASSIGN_OR_RETURN(v.add_eos, file.get_or<bool>("tokenizer.ggml.add_eos_token", v.add_eos));
  if (v.add_bos && sp.bos == kNoToken) {
    return make_error(ErrorCode::invalid_argument,
                      "tokenizer: add_bos_token is true but no BOS token is set");
  }
  if (v.add_eos && sp.eos == kNoToken) {
    return make_error(ErrorCode::invalid_argument,
                      "tokenizer: add_eos_token is true but no EOS token is set");
  }
  if (v.type == VocabType::wpm && (sp.bos == kNoToken || sp.sep == kNoToken)) {
    return make_error(ErrorCode::invalid_argument,
                      "tokenizer: WordPiece vocabulary without [CLS] or [SEP] id");
  }

  // Auto-detection by text (lowest id wins where llama.cpp's hash-map order decides), marking the
  // token as control as llama.cpp does.
  auto detect = [&](TokenId& slot, const auto& texts) {
    if (slot != kNoToken) return;
    for (size_t i = 0; i < n_tokens; ++i) {
      if (text_in(v.strings[i], texts)) {
        slot = static_cast<TokenId>(i);
        v.attrs[i] |= kAttrControl;
        return;
      }
    }
  };
  detect(sp.eot, kEotTexts);
  detect(sp.eom, kEomTexts);
  detect(sp.fim_pre, kFimPreTexts);
  detect(sp.fim_suf, kFimSufTexts);
  detect(sp.fim_mid, kFimMidTexts);
  detect(sp.fim_pad, kFimPadTexts);
  detect(sp.fim_rep, kFimRepTexts);
  detect(sp.fim_sep, kFimSepTexts);
  for (size_t i = 0; i < n_tokens; ++i) {
    if ((v.attrs[i] & kAttrControl) && v.strings[i].find("unused") != std::string::npos)
      v.attrs[i] |= kAttrUnused;
  }
  for (size_t i = 0; i < n_tokens; ++i) {
    if (text_in(v.strings[i], kEogTexts)) {
      v.eog.push_back(static_cast<TokenId>(i));
      v.attrs[i] |= kAttrControl;
    }
  }
  for (TokenId id : {sp.eos, sp.eot, sp.eom, sp.fim_pad, sp.fim_rep, sp.fim_sep}) {
    if (id != kNoToken) v.eog.push_back(id);
  }
  std::sort(v.eog.begin(), v.eog.end());
  v.eog.erase(std::unique(v.eog.begin(), v.eog.end()), v.eog.end());

  // Special tokens matched in raw text, longest first (ties by id, for a deterministic order).
  for (size_t i = 0; i < n_tokens; ++i) {
    if (v.attrs[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      v.special_cache.push_back(static_cast<TokenId>(i));
  }
  std::stable_sort(v.special_cache.begin(), v.special_cache.end(), [&](TokenId a, TokenId b) {
    return v.strings[static_cast<size_t>(a)].size() > v.strings[static_cast<size_t>(b)].size();
  });

  for (size_t rank = 0; rank < v.special_cache.size(); ++rank) {
    const auto i = static_cast<size_t>(v.special_cache[rank]);
    v.special_trie_all.insert(v.strings[i], static_cast<int32_t>(rank));
    if (!(v.attrs[i] & (kAttrControl | kAttrUnknown)))
      v.special_trie_plain.insert(v.strings[i], static_cast<int32_t>(rank));
  }

  v.pieces.resize(n_tokens);
  for (size_t i = 0; i < n_tokens; ++i) v.pieces[i] = v.compute_piece(static_cast<TokenId>(i));

  // Per-model attributes llama.cpp sets by name.
  {
    OCCAM_ASSIGN_OR_RETURN(std::string_view general_name, file.get_or<std::string_view>("general.name", ""));
    std::string name(general_name);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    auto set_attr = [&](std::string_view text, uint32_t attr, bool on) {
      const TokenId id = v.find_token(text);
      if (id == kNoToken) return;
      if (on) {
        v.attrs[static_cast<size_t>(id)] |= attr;
      } else {
        v.attrs[static_cast<size_t>(id)] &= ~attr;
      }
    };
    if (v.pre == "jina-v2-de" || v.pre == "jina-v2-es" || v.pre == "jina-v2-code") {
      set_attr("<mask>", kAttrLstrip, true);
    } else if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
      for (TokenId id : v.special_cache) v.attrs[static_cast<size_t>(id)] |= kAttrRstrip;
      set_attr("</s>", kAttrRstrip, true);
      for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) set_attr(text, kAttrRstrip, false);
    }
  }

  if (v.type == VocabType::spm) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      const char name[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
      TokenId id = v.find_token(name);
      if (id == kNoToken) {
        const char raw = static_cast<char>(b);
        id = v.find_token(std::string_view(&raw, 1));
      }
      v.byte_tokens[static_cast<size_t>(b)] = id;
    }
    v.spm_chunkable = true;
    for (const std::string& text : v.strings) {
      if (!unicode::is_valid_utf8(text)) {
        v.spm_chunkable = false;
        break;
      }
      for (size_t k = text.find(kSpaceMarker, 1); k != std::string::npos;
           k = text.find(kSpaceMarker, k + 1)) {
        if (k < kSpaceMarker.size() ||
            text.compare(k - kSpaceMarker.size(), kSpaceMarker.size(), kSpaceMarker) != 0) {
          v.spm_chunkable = false;
          break;
        }
      }
      if (!v.spm_chunkable) break;
    }
  }

  if (v.type == VocabType::bpe) {
    OCCAM_ASSIGN_OR_RETURN(gguf::ArrayView merges, file.get_array("tokenizer.ggml.merges"));
    if (merges.element_type() != gguf::ValueType::string) {
      return make_error(ErrorCode::invalid_argument,
                        "tokenizer: key 'tokenizer.ggml.merges': expected an array of "
                        "strings, found {}",
                        gguf::to_string(merges.element_type()));
    }
    if (merges.size() > static_cast<uint64_t>(INT32_MAX / 4)) {
      return make_error(ErrorCode::invalid_argument, "tokenizer: {} merges", merges.size());
    }
    auto intern = [&](std::string_view s) -> int32_t {
      const int32_t found = v.index.find(s);
      if (found >= 0) return found;
      v.strings.emplace_back(s);
      const auto id = static_cast<int32_t>(v.strings.size() - 1);
      v.index.insert(id);
      return id;
    };
    v.merges.reserve(merges.size());
    std::string joined;
    for (uint64_t i = 0; i < merges.size(); ++i) {
      const std::string_view merge = merges.string(i);
      const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
      if (space == std::string_view::npos) continue;  // llama.cpp files it as ("", ""): never applies
      const std::string_view first = merge.substr(0, space), second = merge.substr(space + 1);
      joined.assign(first);
      joined += second;
      const int32_t a = intern(first);
      const int32_t b = intern(second);
      const int32_t c = intern(joined);
      v.merges.insert(a, b, static_cast<int32_t>(i), c);
    }
    for (int b = 0; b < 256; ++b) {
      v.byte_symbols[static_cast<size_t>(b)] =
          v.index.find(unicode::to_utf8(unicode::byte_to_codepoint(static_cast<uint8_t>(b))));
    }
  }
  return Tokenizer(std::move(impl));
}

}  // namespace occam::tokenizer
