#include "tokenizer/jinja/lexer.h"

#include <algorithm>

#include "tokenizer/jinja/utf8.h"

namespace occam::jinja {
namespace {

// Jinja2 normalises every newline to \n and, with keep_trailing_newline=False, drops one final newline.
std::string normalize_source(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options) : src_(std::move(source)), options_(options) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<std::vector<Token>> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      const size_t tag = find_tag(pos);
      if (tag == std::string::npos) {
        emit_text(src_.substr(pos), pos);
        break;
      }
      const char opener = src_[tag + 1];
      size_t after = tag + 2;
      char sign = 0;
      if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
      std::string_view text(src_.data() + pos, tag - pos);
      size_t raw_end = 0;
      const bool raw = opener == '%' && match_raw_begin(after, raw_end);
      text = strip_before(text, sign, opener != '{', line_starting);
      emit_text(std::string(text), pos);
      if (opener == '#') {
        OCCAM_ASSIGN_OR_RETURN(pos, skip_comment(tag, after, line_starting));
      } else if (raw) {
        OCCAM_ASSIGN_OR_RETURN(pos, lex_raw(tag, raw_end, line_starting));
      } else {
        OCCAM_ASSIGN_OR_RETURN(pos, lex_tag(tag, after, opener == '%', line_starting));
      }
    }
    tokens_.push_back({TokenKind::eof, "", pos_of(src_.size())});
    return std::move(tokens_);
  }

 private:
  Pos pos_of(size_t offset) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line = static_cast<size_t>(it - line_starts_.begin());
    return Pos{static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  Error error_at(size_t offset, std::string_view message) const {
    const Pos p = pos_of(offset);
    return make_error(ErrorCode::invalid_argument, "template:{}:{}: TemplateSyntaxError: {}", p.line, p.column,
                      message);
  }

  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  void emit_text(std::string text, size_t offset) {
    if (!text.empty()) tokens_.push_back({TokenKind::text, std::move(text), pos_of(offset)});
  }

  size_t skip_space(size_t i) const {
    while (i < src_.size() && is_ascii_space(src_[i])) ++i;
    return i;
  }

  // Python's `\s*` over Unicode whitespace (used after `-%}`).
  size_t skip_py_space(size_t i) const {
    const std::string_view rest = py_lstrip_space(std::string_view(src_).substr(i));
    return src_.size() - rest.size();
  }

  // `{%[-+]? raw \s* (-%}\s* | %})`: raw blocks start only with exactly this shape.
  bool match_raw_begin(size_t after, size_t& end) const {
    size_t i = skip_space(after);
    if (src_.compare(i, 3, "raw") != 0) return false;
    i = skip_space(i + 3);
    if (src_.compare(i, 3, "-%}") == 0) {
      end = skip_py_space(i + 3);
      return true;
    }
    if (src_.compare(i, 2, "%}") == 0) {
      end = i + 2;
      return true;
    }
    return false;
  }

  // Whitespace control before a tag: `-` strips all whitespace; otherwise lstrip_blocks removes the
  // spaces and tabs between the last line start and a block or comment tag.
  std::string_view strip_before(std::string_view text, char sign, bool block_like, bool line_starting) const {
    if (sign == '-') return py_rstrip_space(text);
    if (sign == '+' || !options_.lstrip_blocks || !block_like) return text;
    const size_t newline = text.rfind('\n');
    const size_t line_pos = newline == std::string_view::npos ? 0 : newline + 1;
    if (line_pos == 0 && !line_starting) return text;
    const std::string_view tail = text.substr(line_pos);
    if (!tail.empty() && py_lstrip_space(tail).empty()) return text.substr(0, line_pos);
    return text;
  }

  // After a block or comment end: `-` strips all following whitespace, plain ends drop one newline
  // when trim_blocks is on. Returns the new position; sets line_starting when the consumed end ends a line.
  size_t after_block_end(size_t end_start, size_t end_len, char sign, bool& line_starting) const {
    size_t i = end_start + end_len;
    if (sign == '-') {
      i = skip_py_space(i);
    } else if (sign == 0 && options_.trim_blocks && i < src_.size() && src_[i] == '\n') {
      ++i;
    }
    line_starting = i > end_start + end_len && src_[i - 1] == '\n';
    return i;
  }

  Result<size_t> skip_comment(size_t tag, size_t content, bool& line_starting) {
    for (size_t j = src_.find("#}", content); j != std::string::npos; j = src_.find("#}", j + 1)) {
      char sign = 0;
      size_t end_start = j;
      if (j > content && (src_[j - 1] == '-' || src_[j - 1] == '+')) {
        sign = src_[j - 1];
        end_start = j - 1;
      }
      return after_block_end(end_start, j + 2 - end_start, sign, line_starting);
    }
    return error_at(tag, "missing end of comment tag");
  }

  Result<size_t> lex_raw(size_t tag, size_t content, bool& line_starting) {
    // A raw block's `%}` never trims; whether its content starts a line depends on what `-%}` ate.
    const bool content_line_starting = src_[content - 1] == '\n';
    for (size_t j = src_.find("{%", content); j != std::string::npos; j = src_.find("{%", j + 1)) {
      size_t i = j + 2;
      char sign = 0;
      if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) sign = src_[i++];
      i = skip_space(i);
      if (src_.compare(i, 6, "endraw") != 0) continue;
      i = skip_space(i + 6);
      char end_sign = 0;
      if (src_.compare(i, 3, "+%}") == 0 || src_.compare(i, 3, "-%}") == 0) {
        end_sign = src_[i];
        ++i;
      } else if (src_.compare(i, 2, "%}") != 0) {
        continue;
      }
      std::string_view text(src_.data() + content, j - content);
      text = strip_before(text, sign, true, content_line_starting);
      emit_text(std::string(text), content);
      return after_block_end(i, 2, end_sign, line_starting);
    }
    return error_at(tag, "missing end of raw directive");
  }

  Result<size_t> lex_tag(size_t tag, size_t i, bool block, bool& line_starting) {
    tokens_.push_back({block ? TokenKind::block_begin : TokenKind::variable_begin, "", pos_of(tag)});
    std::vector<char> balance;
    while (true) {
      i = skip_space(i);
      if (i >= src_.size()) {
        return error_at(tag, block ? "unexpected end of template, expected end of statement"
                                   : "unexpected end of template, expected end of print statement");
      }
      if (balance.empty()) {
        const std::string_view close = block ? "%}" : "}}";
        char sign = 0;
        size_t end_start = i;
        if ((src_[i] == '-' || (block && src_[i] == '+')) && src_.compare(i + 1, 2, close) == 0) {
          sign = src_[i];
          ++i;
        }
        if (src_.compare(i, 2, close) == 0) {
          tokens_.push_back({block ? TokenKind::block_end : TokenKind::variable_end, "", pos_of(end_start)});
          if (block) return after_block_end(end_start, i + 2 - end_start, sign, line_starting);
          size_t next = i + 2;
          if (sign == '-') next = skip_py_space(next);
          line_starting = next > i + 2 && src_[next - 1] == '\n';
          return next;
        }
        i = end_start;
      }
      const char c = src_[i];
      if (c == '\'' || c == '"') {
        OCCAM_ASSIGN_OR_RETURN(i, lex_string(i));
      } else if (is_digit(c)) {
        i = lex_number(i);
      } else if (is_name_start(c)) {
        size_t j = i;
        while (j < src_.size() && is_name_char(src_[j])) ++j;
        tokens_.push_back({TokenKind::name, src_.substr(i, j - i), pos_of(i)});
        i = j;
      } else {
        static constexpr std::string_view two[] = {"//", "**", "==", "!=", "<=", ">="};
        size_t len = 0;
        for (std::string_view op : two) {
          if (src_.compare(i, 2, op) == 0) len = 2;
        }
        if (len == 0) {
          if (std::string_view("+-*/%~<>=()[]{},.:|;").find(c) == std::string_view::npos) {
            return error_at(i, fmt::format("unexpected char '{}'", c));
          }
          len = 1;
          if (c == '(' || c == '[' || c == '{') {
            balance.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
          } else if (c == ')' || c == ']' || c == '}') {
            if (balance.empty()) return error_at(i, fmt::format("unexpected '{}'", c));
            if (balance.back() != c) {
              return error_at(i, fmt::format("unexpected '{}', expected '{}'", c, balance.back()));
            }
            balance.pop_back();
          }
        }
        tokens_.push_back({TokenKind::op, src_.substr(i, len), pos_of(i)});
        i += len;
      }
    }
  }

  size_t lex_digits(size_t i) const {
    while (i < src_.size() && (is_digit(src_[i]) || (src_[i] == '_' && i + 1 < src_.size() && is_digit(src_[i + 1])))) {
      ++i;
    }
    return i;
  }

  size_t lex_number(size_t start) {
    size_t i = lex_digits(start);
    bool is_float = false;
    const bool after_dot = !tokens_.empty() && tokens_.back().kind == TokenKind::op && tokens_.back().value == ".";
    if (!after_dot) {
      if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
        i = lex_digits(i + 1);
        is_float = true;
      }
      if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
        size_t j = i + 1;
        if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
        if (j < src_.size() && is_digit(src_[j])) {
          i = lex_digits(j);
          is_float = true;
        }
      }
    }
    std::string text = src_.substr(start, i - start);
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    tokens_.push_back({is_float ? TokenKind::floating : TokenKind::integer, std::move(text), pos_of(start)});
    return i;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // A string literal with Python's escapes (Jinja2 decodes literals with "unicode-escape").
  Result<size_t> lex_string(size_t start) {
    const char quote = src_[start];
    std::string value;
    size_t i = start + 1;
    while (true) {
      if (i >= src_.size()) return error_at(start, "unexpected end of string");
      const char c = src_[i];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) return error_at(start, "unexpected end of string");
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;
        case '\\': value.push_back('\\'); break;
        case '\'': value.push_back('\''); break;
        case '"': value.push_back('"'); break;
        case 'a': value.push_back('\a'); break;
        case 'b': value.push_back('\b'); break;
        case 'f': value.push_back('\f'); break;
        case 'n': value.push_back('\n'); break;
        case 'r': value.push_back('\r'); break;
        case 't': value.push_back('\t'); break;
        case 'v': value.push_back('\v'); break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t cp = 0;
          for (size_t k = 0; k < digits; ++k) {
            const int h = i + k < src_.size() ? hex_value(src_[i + k]) : -1;
            if (h < 0) return error_at(i - 2, fmt::format("truncated \\{} escape in string", e));
            cp = cp * 16 + static_cast<char32_t>(h);
          }
          if (cp > 0x10FFFF) return error_at(i - 2, "illegal Unicode character in string");
          utf8_append(value, cp);
          i += digits;
          break;
        }
        case 'N': return error_at(i - 2, "unsupported \\N{...} escape in string");
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k) {
              cp = cp * 8 + static_cast<char32_t>(src_[i++] - '0');
            }
            utf8_append(value, cp);
          } else {
            value.push_back('\\');
            value.push_back(e);
          }
      }
    }
    tokens_.push_back({TokenKind::string, std::move(value), pos_of(start)});
    return i + 1;
  }

  std::string src_;
  LexerOptions options_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options) {
  return Lexer(normalize_source(source), options).run();
}

}  // namespace occam::jinja
