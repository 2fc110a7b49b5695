// PII detection for the rules tier. One Vectorscan pass over the text finds candidates for every
// detector (e-mail, phone, IBAN, payment card, NIR, SIREN, SIRET, IPv4, IPv6, user patterns); each
// candidate is then confirmed by its detector (checksums, lengths, boundaries) and overlapping
// findings are resolved. The router reads the findings and decides: pin to local tiers, redact
// before a remote call (redact.h), or refuse.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace occam::rules {

// One piece of personal data found in a text. Offsets are bytes into the scanned text
// (UTF-8 or not: the scanner never requires valid UTF-8), `text` == scanned.substr(start, end - start).
struct Finding {
  std::string kind;  // detector kind: "EMAIL", "PHONE", "IBAN", "CARD", "NIR", "SIREN", "SIRET", "IPV4",
                     // "IPV6", or a user pattern's name (upper-cased)
  std::size_t start = 0;
  std::size_t end = 0;
  std::string text;
  double confidence = 0.0;  // in (0, 1]: 1 = checksum-confirmed and unambiguous

  bool operator==(const Finding&) const = default;
};

// A user-supplied pattern from the configuration. The regex uses Vectorscan (PCRE-like) syntax and
// runs over bytes; its findings are reported as they match (no validator).
struct CustomPattern {
  std::string name;   // becomes the kind: letters, digits and '_' only, starting with a letter
  std::string regex;
  double confidence = 0.9;
};

struct PiiConfig {
  std::vector<CustomPattern> custom;
  std::vector<std::string> disabled_kinds;  // built-in kinds to leave out, e.g. {"SIREN"}
};

// Thread-safe after construction: scan() may be called from any number of threads at once (each
// call borrows a Vectorscan scratch from a pool; a new one is cloned when all are busy).
class PiiScanner {
 public:
  // Compiles every registered detector plus the custom patterns into one Vectorscan database.
  // Errors name the offending pattern (invalid regex, name clash, unknown disabled kind).
  static Result<PiiScanner> create(const PiiConfig& config = {});

  PiiScanner(PiiScanner&&) noexcept;
  PiiScanner& operator=(PiiScanner&&) noexcept;
  ~PiiScanner();

  // Findings sorted by start, never overlapping. Texts longer than 4 GiB - 1 are an error.
  Result<std::vector<Finding>> scan(std::string_view text) const;

  // The kinds this scanner can report: built-ins sorted by name, then custom patterns in config order.
  const std::vector<std::string>& kinds() const;

  // Every candidate pattern compiled into the database, as (kind, regex): for tools and the
  // naive one-regex-at-a-time baseline in bench/rules.cpp.
  std::vector<std::pair<std::string, std::string>> patterns() const;

 private:
  struct Impl;
  explicit PiiScanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The built-in detector kinds, sorted by name.
std::vector<std::string> builtin_pii_kinds();

}  // namespace occam::rules
