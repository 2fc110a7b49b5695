// fuzz-deps: core gguf tokenizer
// libFuzzer: JSON-schema compilation for structured output, then a random walk of the automaton.
// Oracles: whatever the automaton calls complete must parse as JSON and validate against the schema,
// stay within the grammar's byte bound, and the vocabulary-trie mask must equal a brute-force pass.
// The first byte seeds the walk; the rest is the schema text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "engine/structured_output.h"
// The structured-output sources are compiled in directly instead of linking the whole engine: they
// need neither the kernels nor the model code (and so the fuzz build does not either).
#include "engine/structured/matcher.cpp"
#include "engine/structured/schema_compile.cpp"
#include "engine/structured/token_vocabulary.cpp"
#include "engine/structured/validate.cpp"

namespace {

namespace json = boost::json;
namespace st = occam::engine::structured;

// A small vocabulary of JSON fragments (multi-character tokens, single bytes, UTF-8 pieces) and an
// end token (id 0).
const st::TokenVocabulary& vocabulary() {
  static const std::shared_ptr<const st::TokenVocabulary> vocab = [] {
    std::vector<std::string> pieces = {""};
    for (const char* p :
         {"{",   "}",   "[",   "]",     ",",    ":",     "\"",       "\":",          "\":\"", "\"},",
          "\"}", "},",  "]}",  "null",  "true", "false", "tr",       "ue",           "0",     "1",
          "12",  "-",   ".",   "5",     "9",    "00",    "a",        "ab",           "name",  "\"name\":",
          "\\",  "\\n", "\\u", "0041",  "\xC3", "\xA9",  "\xC3\xA9", "\xE2\x82\xAC", " ",     "e",
          "E",   "+",   "x",   "\"a\"", "1.5",  "-0",    "[]",       "{}",           "\"\""}) {
      pieces.emplace_back(p);
    }
    for (int c = 0; c < 256; ++c) pieces.emplace_back(1, static_cast<char>(c));
    return st::TokenVocabulary::build(std::move(pieces), {}, {0});
  }();
  return *vocab;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  boost::system::error_code ec;
  const json::value schema = json::parse(text, ec);
  if (ec) return 0;
  st::Limits limits;
  limits.max_string_chars = 8;
  limits.max_items = 3;
  limits.max_free_properties = 2;
  limits.max_any_depth = 2;
  limits.max_nodes = 2000;
  auto grammar = st::compile_schema(schema, limits);
  if (!grammar.ok()) return 0;
  const st::TokenVocabulary& vocab = vocabulary();
  std::mt19937 rng(data[0]);
  st::Matcher m(*grammar);
  std::string out;
  std::vector<uint8_t> allowed;
  for (int step = 0; step < 400; ++step) {
    if (m.complete() && (!m.can_continue() || rng() % 8 == 0)) break;
    vocab.allowed_tokens(m, allowed);
    if (step % 16 == 0) {  // the trie walk agrees with trying every token
      for (size_t id = 0; id < vocab.size(); ++id) {
        st::Matcher copy = m;
        const bool expect = id == 0 ? m.complete() : copy.advance(vocab.piece(static_cast<int32_t>(id)));
        check((allowed[id] != 0) == expect);
      }
    }
    std::vector<int32_t> choices;
    for (size_t id = 1; id < allowed.size(); ++id) {
      if (allowed[id]) choices.push_back(static_cast<int32_t>(id));
    }
    check(!choices.empty() || m.complete());  // never a dead end before the answer is whole
    if (choices.empty()) break;
    const int32_t token = choices[rng() % choices.size()];
    check(m.advance(vocab.piece(token)));
    out += vocab.piece(token);
  }
  if (!m.complete()) return 0;  // the walk's step budget ran out first
  check(out.size() <= st::max_bytes(**grammar));
  const json::value answer = json::parse(out, ec);
  check(!ec);
  check(st::validate(answer, schema).ok());
  return 0;
}
