// Splits template source into text and tag tokens the way Jinja2's lexer does with Hugging Face's
// settings: trim_blocks, lstrip_blocks, `-`/`+` whitespace control, comments, raw blocks, newline
// normalisation and the removal of one trailing newline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::jinja {

struct Pos {
  int line = 1;
  int column = 1;
};

enum class TokenKind : uint8_t {
  text,            // literal output (raw blocks included)
  variable_begin,  // {{
  variable_end,    // }}
  block_begin,     // {%
  block_end,       // %}
  name,
  string,          // value holds the decoded literal
  integer,
  floating,
  op,              // value holds the operator: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  eof,
};

struct Token {
  TokenKind kind;
  std::string value;
  Pos pos;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Errors name line and column: "template:3:7: unterminated string".
Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options = {});

}  // namespace occam::jinja
