// bench_tokenizer: encode throughput (MB/s, one thread) of every vocabulary of
// ../shared/reference/tokenizer on French (orangesum_fr documents) and English (banking77 + clinc150
// texts), each document encoded on its own as a request would be (add_special = true), one pass with a
// fresh tokenizer. Rates are per second of the encoding thread's CPU time (wall time suffers when the
// machine is shared).
// Reference measured in the same run: llama.cpp pre-tokenizes Qwen2 text with std::regex over its
// "collapsed" text; the same split with std::regex vs our hand-written matcher, on the same French
// text, also checked to give identical words.
//
//   build/release/bench/bench_tokenizer [MAX_MB_PER_LANGUAGE]     (OCCAM_SHARED or ../shared)
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/shared_data.h"
#include "gguf/gguf.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"

namespace {

using namespace occam;

std::vector<std::string> read_jsonl_field(const std::filesystem::path& path, const char* field,
                                          size_t max_bytes, size_t& bytes) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (bytes < max_bytes && std::getline(in, line)) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(line, ec);
    if (ec || !doc.is_object()) continue;
    const auto* v = doc.as_object().if_contains(field);
    if (v == nullptr || !v->is_string()) continue;
    out.emplace_back(v->as_string().c_str(), v->as_string().size());
    bytes += out.back().size();
  }
  return out;
}

// CPU time of this thread: the figures stay meaningful when the (shared) machine is busy.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One pass over the documents with a freshly loaded tokenizer (its word cache starts empty, so the
// figure includes the merges of every distinct word once, as a real stream of requests would);
// returns MB/s.
double encode_rate(const tokenizer::Tokenizer& tok, const std::vector<std::string>& docs, size_t bytes,
                   size_t& tokens) {
  std::vector<tokenizer::TokenId> ids;
  tokens = 0;
  const double t0 = thread_seconds();
  for (const std::string& d : docs) {
    tok.encode(d, {.add_special = true}, ids);
    tokens += ids.size();
  }
  return static_cast<double>(bytes) / 1e6 / (thread_seconds() - t0);
}

// llama.cpp's unicode_regex_split for one regex with \p{..}: collapse the text and the regex, run
// std::regex (optimize | nosubs), return the word lengths.
std::string collapse_regex(const std::string& expr) {
  const std::map<std::string, std::string> classes = {
      {"\\p{N}", "\xD1\x30-\x39"},
      {"\\p{L}", "\xD2\x41-\x5A\x61-\x7A"},
  };
  std::string out;
  bool inside = false;
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] == '[' && (i == 0 || expr[i - 1] != '\\')) {
      out += '[';
      inside = true;
      continue;
    }
    if (inside && expr[i] == ']' && expr[i - 1] != '\\') {
      out += ']';
      inside = false;
      continue;
    }
    auto it = classes.find(expr.substr(i, 5));
    if (it != classes.end()) {
      out += inside ? it->second : "[" + it->second + "]";
      i += 4;
      continue;
    }
    out += expr[i];
  }
  return out;
}

std::vector<uint32_t> regex_split_collapsed(const std::vector<uint32_t>& cpts, const std::regex& re) {
  std::string collapsed(cpts.size(), '\0');
  for (size_t i = 0; i < cpts.size(); ++i) {
    const uint32_t c = cpts[i];
    if (c < 128) {
      collapsed[i] = static_cast<char>(c);
      continue;
    }
    const uint16_t f = tokenizer::unicode::flags(c);
    char x = static_cast<char>(0xD0);
    if (f & tokenizer::unicode::kWhitespace)
      x = 0x0B;
    else if (f & tokenizer::unicode::kNumber)
      x = static_cast<char>(0xD1);
    else if (f & tokenizer::unicode::kLetter)
      x = static_cast<char>(0xD2);
    else if (f & tokenizer::unicode::kPunctuation)
      x = static_cast<char>(0xD3);
    else if (f & tokenizer::unicode::kAccentMark)
      x = static_cast<char>(0xD4);
    else if (f & tokenizer::unicode::kSymbol)
      x = static_cast<char>(0xD5);
    collapsed[i] = x;
  }
  std::vector<uint32_t> out;
  int64_t last = 0;
  for (std::cregex_iterator it(collapsed.data(), collapsed.data() + collapsed.size(), re), end; it != end;
       ++it) {
    if (it->position() > last) out.push_back(static_cast<uint32_t>(it->position() - last));
    out.push_back(static_cast<uint32_t>(it->length()));
    last = it->position() + it->length();
  }
  if (last < static_cast<int64_t>(collapsed.size()))
    out.push_back(static_cast<uint32_t>(collapsed.size() - last));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const double max_mb = argc > 1 ? std::atof(argv[1]) : 2.0;
  const auto max_bytes = static_cast<size_t>(max_mb * 1e6);
  auto shared = occam::shared_dir();
  if (!shared.ok()) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", shared.error().message().c_str());
    return 1;
  }
  const auto datasets = *shared / "datasets";
  size_t fr_bytes = 0, en_bytes = 0;
  const auto fr = read_jsonl_field(datasets / "orangesum_fr/orangesum_abstract_test.jsonl", "document",
                                   max_bytes, fr_bytes);
  auto en = read_jsonl_field(datasets / "banking77/banking77.jsonl", "text", max_bytes / 2, en_bytes);
  const auto en2 = read_jsonl_field(datasets / "clinc150/clinc150.jsonl", "text", max_bytes, en_bytes);
  en.insert(en.end(), en2.begin(), en2.end());
  std::printf(
      "corpus: French %zu documents, %.2f MB (orangesum_fr); English %zu texts, %.2f MB (banking77 + "
      "clinc150)\n",
      fr.size(), fr_bytes / 1e6, en.size(), en_bytes / 1e6);

  const char* vocabs[] = {"llama-spm", "phi-3",  "gpt-2",  "llama-bpe",    "qwen2",          "mpt",
                          "starcoder", "refact", "falcon", "deepseek-llm", "deepseek-coder", "bert-bge"};
  std::printf(
      "\n| vocabulary | type | pre-tokenizer | French MB/s | English MB/s | French bytes/token | English "
      "bytes/token |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const char* name : vocabs) {
    auto file =
        gguf::File::open(*shared / "reference/tokenizer" / (std::string("ggml-vocab-") + name + ".gguf"));
    if (!file.ok()) {
      std::fprintf(stderr, "%s\n", file.error().message().c_str());
      return 1;
    }
    auto tok = tokenizer::Tokenizer::from_gguf(*file);
    auto tok_en = tokenizer::Tokenizer::from_gguf(*file);
    if (!tok.ok() || !tok_en.ok()) {
      std::fprintf(stderr, "%s\n", (tok.ok() ? tok_en : tok).error().message().c_str());
      return 1;
    }
    size_t fr_tokens = 0, en_tokens = 0;
    const double fr_rate = encode_rate(*tok, fr, fr_bytes, fr_tokens);
    const double en_rate = encode_rate(*tok_en, en, en_bytes, en_tokens);
    std::printf("| %s | %s | %s | %.1f | %.1f | %.2f | %.2f |\n", name,
                std::string(to_string(tok->type())).c_str(),
                tok->pre_name().empty() ? "-" : std::string(tok->pre_name()).c_str(), fr_rate, en_rate,
                static_cast<double>(fr_bytes) / static_cast<double>(fr_tokens),
                static_cast<double>(en_bytes) / static_cast<double>(en_tokens));
  }

  // Reference: Qwen2's pre-tokenizer regex with std::regex (llama.cpp's path) vs the hand-written one.
  std::string text;
  for (const std::string& d : fr) {
    if (text.size() > 300000) break;
    text += d;
    text += '\n';
  }
  std::vector<uint32_t> cpts;
  tokenizer::unicode::decode_utf8(text, cpts);
  const std::regex re(
      collapse_regex("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?"
                     "\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
      std::regex_constants::optimize | std::regex_constants::nosubs);
  double t0 = thread_seconds();
  const auto by_regex = regex_split_collapsed(cpts, re);
  const double regex_s = thread_seconds() - t0;
  std::vector<uint32_t> ours;
  int reps = 0;
  t0 = thread_seconds();
  do {
    ours.clear();
    tokenizer::pretokenize(tokenizer::PreTokenizer::qwen2, cpts, ours);
    ++reps;
  } while (thread_seconds() - t0 < 0.2);
  const double ours_s = (thread_seconds() - t0) / reps;
  std::printf(
      "\nqwen2 pre-tokenizer on %.2f MB of French: std::regex (llama.cpp's path) %.1f MB/s, hand-written "
      "%.1f MB/s, "
      "ratio %.1fx; words identical: %s (%zu words)\n",
      text.size() / 1e6, text.size() / 1e6 / regex_s, text.size() / 1e6 / ours_s, regex_s / ours_s,
      by_regex == ours ? "yes" : "NO", ours.size());
  return by_regex == ours ? 0 : 1;
}
