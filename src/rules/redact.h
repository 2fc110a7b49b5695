// Reversible redaction for remote calls: every finding is replaced by a placeholder such as
// "[EMAIL_1]" or "[IBAN_2]" (the same value gets the same placeholder within one Redactor, i.e. one
// request), and the model's answer is restored by putting the original values back.
//
// Placeholder grammar accepted by restore (what models do to placeholders in practice):
//   '[' SP{0,3} KIND ('_' | '\_') N SP{0,3} ']'
// where SP is a space or tab, KIND matches case-insensitively ("[email_1]"), '\_' is the markdown
// escape of '_', and N has no leading zero. Anything else (no brackets, "EMAIL 1", a different kind
// spelling) is left as written. Tokens of this shape already present in the original text are never
// assigned to a value, so restore(redact(x)) == x for every byte string x.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "rules/pii.h"

namespace occam::rules {

struct Placeholder {
  std::string token;  // canonical form, e.g. "[EMAIL_1]"
  std::string kind;
  std::string value;  // the original text
};

// One per request; not thread-safe (a request's messages are redacted in order).
class Redactor {
 public:
  explicit Redactor(const PiiScanner& scanner) : scanner_(&scanner) {}

  // Marks the placeholder-shaped tokens of `text` as taken. redact() does this for its own text;
  // call it first on every message of a request when they are redacted one by one, so that a
  // later message's literal "[EMAIL_1]" cannot collide with an earlier message's placeholder.
  void reserve(std::string_view text);

  // Scans `text` and replaces every finding.
  Result<std::string> redact(std::string_view text);
  // Replaces the given findings (from scanner.scan(text), possibly filtered by the caller: e.g. keep
  // only the kinds a route must not send). Findings must be sorted, disjoint and match `text`.
  Result<std::string> redact(std::string_view text, const std::vector<Finding>& findings);

  // Puts the original values back into a model's answer.
  std::string restore(std::string_view answer) const;

  const std::vector<Placeholder>& placeholders() const { return placeholders_; }

 private:
  friend class StreamRestorer;
  const std::string* value_of(std::string_view key) const;

  const PiiScanner* scanner_;
  std::vector<Placeholder> placeholders_;
  std::map<std::string, std::size_t> by_key_;    // "EMAIL_1" -> index in placeholders_
  std::map<std::string, std::size_t> by_value_;  // kind + '\0' + value -> index
  std::map<std::string, std::size_t> next_number_;
  std::set<std::string> reserved_;
};

// Restores a streamed answer (SSE deltas): push() returns the text that is final so far and holds
// back a possible placeholder prefix split across chunks ("[EMA" + "IL_1]"); finish() flushes.
// The concatenation of every push() and finish() equals restore() of the concatenated chunks.
class StreamRestorer {
 public:
  explicit StreamRestorer(const Redactor& redactor) : redactor_(&redactor) {}
  std::string push(std::string_view chunk);
  std::string finish();

 private:
  std::string drain(bool final);
  const Redactor* redactor_;
  std::string pending_;
};

}  // namespace occam::rules
