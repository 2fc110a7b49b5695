// `occam tokenize -m MODEL.gguf [--parse-special] [--no-special-tokens] [--pieces] [--] TEXT` prints the
// token ids as a JSON array ([{"id":..,"piece":".."}, ...] with --pieces); TEXT "-" reads stdin.
// `occam detokenize -m MODEL.gguf IDS...` prints the text of the ids.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace occam::cli {
namespace {

Result<tokenizer::Tokenizer> load_tokenizer(const std::string& path) {
  OCCAM_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  auto tok = tokenizer::Tokenizer::from_gguf(file);
  if (!tok.ok()) return std::move(tok).error().with_context(fmt::format("'{}'", path));
  return tok;
}

// A JSON string; bytes that are not valid UTF-8 (a piece can be half a character) become U+FFFD.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < s.size()) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7F) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++pos;
      continue;
    }
    size_t len = tokenizer::unicode::utf8_len_from_lead(c);
    if (pos + len <= s.size() && tokenizer::unicode::is_valid_utf8(s.substr(pos, len))) {
      out.append(s.substr(pos, len));
      pos += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++pos;
    }
  }
  out += '"';
  return out;
}

std::string hex_bytes(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool parse_special = false;
  bool no_special_tokens = false;
  bool pieces = false;
};

CommandRun setup_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  app.add_option("-m,--model", args->model, "GGUF file with a tokenizer (a model or a vocab-only file)")
      ->required();
  app.add_flag("--parse-special", args->parse_special,
               "recognise control tokens written in the text (<|im_start|>)");
  app.add_flag("--no-special-tokens", args->no_special_tokens, "add no BOS/EOS (or [CLS]/[SEP])");
  app.add_flag("--pieces", args->pieces, "print each id with its piece: [{\"id\":..,\"piece\":\"..\"}]");
  app.add_option("text", args->text, "text to tokenize; \"-\" reads standard input")->required();
  return [args]() -> int {
    auto tok = load_tokenizer(args->model);
    if (!tok.ok()) {
      std::fprintf(stderr, "occam tokenize: %s\n", tok.error().message().c_str());
      return kExitFailure;
    }
    std::string text = args->text;
    if (text == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    const auto ids =
        tok->encode(text, {.add_special = !args->no_special_tokens, .parse_special = args->parse_special});
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ", ";
      if (args->pieces) {
        const std::string_view piece = tok->token_to_piece(ids[i]);
        out += fmt::format("{{\"id\": {}, \"piece\": {}", ids[i], json_string(piece));
        if (!tokenizer::unicode::is_valid_utf8(piece))
          out += fmt::format(", \"bytes\": \"{}\"", hex_bytes(piece));
        out += "}";
      } else {
        out += std::to_string(ids[i]);
      }
    }
    out += "]\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  };
}

struct DetokenizeArgs {
  std::string model;
  std::vector<int64_t> ids;
  bool no_special = false;
};

CommandRun setup_detokenize(CLI::App& app) {
  auto args = std::make_shared<DetokenizeArgs>();
  app.add_option("-m,--model", args->model, "GGUF file with a tokenizer")->required();
  app.add_flag("--no-special", args->no_special, "render control tokens (<s>, <|im_end|>) as nothing");
  app.add_option("ids", args->ids, "token ids")->required();
  return [args]() -> int {
    auto tok = load_tokenizer(args->model);
    if (!tok.ok()) {
      std::fprintf(stderr, "occam detokenize: %s\n", tok.error().message().c_str());
      return kExitFailure;
    }
    std::vector<tokenizer::TokenId> ids;
    for (int64_t id : args->ids) {
      if (id < 0 || static_cast<uint64_t>(id) >= tok->vocab_size()) {
        std::fprintf(stderr, "occam detokenize: id %lld is outside the vocabulary (size %zu)\n",
                     static_cast<long long>(id), tok->vocab_size());
        return kExitUsage;
      }
      ids.push_back(static_cast<tokenizer::TokenId>(id));
    }
    std::string text = tok->decode(ids, {.unparse_special = !args->no_special});
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  };
}

}  // namespace

OCCAM_REGISTER_COMMAND(tokenize, "Print the token ids of a text (JSON array)", setup_tokenize);
OCCAM_REGISTER_COMMAND(detokenize, "Print the text of token ids", setup_detokenize);

}  // namespace occam::cli
