// IBAN (ISO 13616): country code, two check digits, BBAN; written compact or in groups (usually of 4)
// separated by spaces or no-break spaces; either case. Confirmed by the MOD 97-10 check, and by the
// country's length when the country is in the table below (other countries: 15-34 characters).
#include <cctype>
#include <string>
#include <unordered_map>

#include "rules/checksum.h"
#include "rules/detector.h"

namespace occam::rules {
namespace {

// IBAN lengths per country (SWIFT IBAN registry; French overseas territories use the FR format).
const std::unordered_map<std::string, int>& iban_lengths() {
  static const std::unordered_map<std::string, int> lengths = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
      {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
      {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
      {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
      {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
      {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
      {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
      {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
      {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
      {"GF", 27}, {"GP", 27}, {"MQ", 27}, {"RE", 27}, {"PF", 27}, {"TF", 27}, {"YT", 27}, {"NC", 27},
      {"PM", 27}, {"WF", 27}, {"BL", 27}, {"MF", 27},
  };
  return lengths;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::size_t kMinLength = 15;
constexpr std::size_t kMaxLength = 34;

class IbanDetector final : public Detector {
 public:
  std::string_view kind() const override { return "IBAN"; }
  std::vector<CandidatePattern> patterns() const override {
    return {{"[A-Za-z]{2}[0-9]{2}(?:" + std::string(kGroupSeparator) + "?[A-Za-z0-9]){11,}", false}};
  }

  // The start of the run of letters and digits (single separators inside) that ends at `end`; it may
  // begin several words before the IBAN, confirm() tries each group start.
  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t previous_start,
                              std::size_t previous_end) const override {
    std::size_t pos = end;
    while (pos > 0) {
      if (pos == previous_end) return previous_start;
      if (is_alnum(text[pos - 1])) {
        --pos;
        continue;
      }
      std::size_t sep = separator_length_before(text, pos);
      if (sep == 0 || pos < sep + 1 || !is_alnum(text[pos - sep - 1])) break;
      pos -= sep;
    }
    return pos;
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    // The leftmost start may belong to a group before the IBAN ("réf AB12 FR76 ..."), so every group
    // start inside the candidate is tried.
    std::size_t s = start;
    while (s + 4 <= end) {
      bool group_start = s == start || separator_length(text, s - 1) == 1 ||
                         (s >= 2 && separator_length(text, s - 2) == 2) || (s >= 3 && separator_length(text, s - 3) == 3);
      if (group_start && is_alpha(text[s]) && is_alpha(text[s + 1]) && is_digit(text[s + 2]) && is_digit(text[s + 3]) &&
          word_boundary_before(text, s)) {
        std::size_t found_end = match_at(text, s, end, out);
        if (found_end != 0) {
          s = found_end;
          continue;
        }
      }
      ++s;
    }
  }

 private:
  // Tries an IBAN starting at s; returns its end (0 if none).
  static std::size_t match_at(std::string_view text, std::size_t s, std::size_t end, std::vector<Finding>& out) {
    std::string compact;
    std::vector<std::size_t> ends;  // ends[k] = byte offset after the (k+1)-th character
    std::size_t i = s;
    while (i < end && compact.size() < kMaxLength) {
      if (!is_alnum(text[i])) break;
      compact.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
      ends.push_back(++i);
      std::size_t sep = separator_length(text, i);
      if (sep > 0 && text[i] != '.' && i + sep < end && is_alnum(text[i + sep])) i += sep;
    }
    auto country = iban_lengths().find(compact.substr(0, 2));
    auto accept = [&](std::size_t length, double confidence) -> std::size_t {
      if (length > compact.size() || length < kMinLength) return 0;
      std::size_t e = ends[length - 1];
      if (!word_boundary_after(text, e)) return 0;
      std::string_view candidate(compact.data(), length);
      auto remainder = iban_mod97(candidate);
      if (!remainder || *remainder != 1) return 0;
      out.push_back(make_finding("IBAN", text, s, e, confidence));
      return e;
    };
    if (country != iban_lengths().end()) {
      // The BBAN of a known country has its length; a text with a valid checksum at another length
      // is something else.
      return accept(static_cast<std::size_t>(country->second), 0.99);
    }
    for (std::size_t length = compact.size(); length >= kMinLength; --length) {
      if (std::size_t e = accept(length, 0.8)) return e;
    }
    return 0;
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("IBAN", IbanDetector);
}  // namespace occam::rules
