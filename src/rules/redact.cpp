#include "rules/redact.h"

#include <cctype>

namespace occam::rules {

namespace {

enum class Parse { match, no, incomplete };

struct ParsedToken {
  Parse state = Parse::no;
  std::size_t length = 0;
  std::string key;  // normalised "KIND_N"
};

constexpr std::size_t kMaxSpaces = 3;
constexpr std::size_t kMaxKind = 32;
constexpr std::size_t kMaxDigits = 6;

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses a placeholder at s[pos] == '['. `incomplete` means s ended while a match was still possible.
ParsedToken parse_token(std::string_view s, std::size_t pos) {
  ParsedToken t;
  std::size_t i = pos + 1;
  auto end_reached = [&] { return i >= s.size(); };
  std::size_t spaces = 0;
  while (!end_reached() && is_space(s[i]) && spaces < kMaxSpaces) ++i, ++spaces;
  if (end_reached()) return {Parse::incomplete, 0, {}};
  // KIND_N body: letters, digits, '_' and '\' (only as "\_"); the last '_' splits kind and number.
  std::size_t body_start = i;
  while (!end_reached() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                            (s[i] == '\\' && (i + 1 >= s.size() || s[i + 1] == '_')))) {
    ++i;
    if (i - body_start > kMaxKind + kMaxDigits + 4) return t;
  }
  if (end_reached()) return {Parse::incomplete, 0, {}};
  std::string_view body = s.substr(body_start, i - body_start);
  spaces = 0;
  while (!end_reached() && is_space(s[i]) && spaces < kMaxSpaces) ++i, ++spaces;
  if (end_reached()) return {Parse::incomplete, 0, {}};
  if (s[i] != ']') return t;
  std::size_t underscore = body.rfind('_');
  if (underscore == std::string_view::npos) return t;
  std::string_view number = body.substr(underscore + 1);
  std::string_view kind = body.substr(0, underscore);
  if (!kind.empty() && kind.back() == '\\') kind.remove_suffix(1);
  if (number.empty() || number.size() > kMaxDigits || number[0] == '0') return t;
  for (char c : number) {
    if (!is_digit(c)) return t;
  }
  if (kind.empty() || kind.size() > kMaxKind || !is_alpha(kind[0])) return t;
  std::string key;
  for (char c : kind) {
    if (c == '\\') return t;  // an escape anywhere but before the number separator
    key.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  key.push_back('_');
  key.append(number);
  t.state = Parse::match;
  t.length = i + 1 - pos;
  t.key = std::move(key);
  return t;
}

// Shared by restore() and the stream: appends the restored form of s[0..) to out and returns how
// many bytes were consumed (less than s.size() only when !final and a placeholder may be cut).
template <typename Lookup>
std::size_t restore_into(std::string_view s, bool final, const Lookup& lookup, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t open = s.find('[', i);
    if (open == std::string_view::npos) {
      out.append(s.substr(i));
      return s.size();
    }
    out.append(s.substr(i, open - i));
    ParsedToken t = parse_token(s, open);
    if (t.state == Parse::incomplete && !final) return open;
    if (t.state == Parse::match) {
      if (const std::string* value = lookup(t.key)) {
        out.append(*value);
      } else {
        out.append(s.substr(open, t.length));
      }
      i = open + t.length;
    } else {
      out.push_back('[');
      i = open + 1;
    }
  }
  return s.size();
}

}  // namespace

void Redactor::reserve(std::string_view text) {
  std::size_t open = text.find('[');
  while (open != std::string_view::npos) {
    ParsedToken t = parse_token(text, open);
    if (t.state == Parse::match) reserved_.insert(t.key);
    open = text.find('[', open + 1);
  }
}

Result<std::string> Redactor::redact(std::string_view text) {
  auto findings = scanner_->scan(text);
  if (!findings.ok()) return std::move(findings).error().with_context("redact");
  return redact(text, *findings);
}

Result<std::string> Redactor::redact(std::string_view text, const std::vector<Finding>& findings) {
  std::size_t previous_end = 0;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (f.start < previous_end || f.end <= f.start || f.end > text.size() ||
        text.substr(f.start, f.end - f.start) != f.text) {
      return make_error(ErrorCode::invalid_argument,
                        "redact: finding #{} ({} at bytes {}-{}) is out of order, overlaps or does not match the text",
                        i, f.kind, f.start, f.end);
    }
    previous_end = f.end;
  }
  reserve(text);
  std::string out;
  out.reserve(text.size());
  std::size_t cursor = 0;
  for (const Finding& f : findings) {
    out.append(text.substr(cursor, f.start - cursor));
    std::string value_key = f.kind;
    value_key.push_back('\0');
    value_key.append(f.text);
    auto known = by_value_.find(value_key);
    std::size_t index;
    if (known != by_value_.end()) {
      index = known->second;
    } else {
      std::size_t& n = next_number_[f.kind];
      std::string key;
      do {
        key = f.kind + "_" + std::to_string(++n);
      } while (reserved_.count(key) || by_key_.count(key));
      index = placeholders_.size();
      placeholders_.push_back({"[" + key + "]", f.kind, f.text});
      by_key_.emplace(key, index);
      by_value_.emplace(std::move(value_key), index);
    }
    out.append(placeholders_[index].token);
    cursor = f.end;
  }
  out.append(text.substr(cursor));
  return out;
}

const std::string* Redactor::value_of(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : &placeholders_[it->second].value;
}

std::string Redactor::restore(std::string_view answer) const {
  std::string out;
  out.reserve(answer.size());
  restore_into(answer, true, [this](std::string_view key) { return value_of(key); }, out);
  return out;
}

std::string StreamRestorer::drain(bool final) {
  std::string out;
  std::size_t consumed =
      restore_into(pending_, final, [this](std::string_view key) { return redactor_->value_of(key); }, out);
  pending_.erase(0, consumed);
  return out;
}

std::string StreamRestorer::push(std::string_view chunk) {
  pending_.append(chunk);
  return drain(false);
}

std::string StreamRestorer::finish() { return drain(true); }

}  // namespace occam::rules
