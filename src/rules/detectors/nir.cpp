// French NIR (numéro de sécurité sociale): sex (1, 2; 3, 4, 7, 8 for provisional numbers), year (2),
// month (01-12, 20-42 or 50-99 when unknown), department (2 digits, or 2A / 2B for Corsica), commune (3),
// order (3) and a 2-digit key = 97 - (first 13 digits mod 97). Written compact or in its usual groups
// "1 84 12 76 451 089 46" with any group separator.
#include <string>

#include "rules/checksum.h"
#include "rules/detector.h"

namespace occam::rules {
namespace {

class NirDetector final : public Detector {
 public:
  std::string_view kind() const override { return "NIR"; }
  std::vector<CandidatePattern> patterns() const override {
    std::string s = std::string(kGroupSeparator) + "?";
    return {{"[123478]" + s + "[0-9]{2}" + s + "[0-9]{2}" + s + "(?:[0-9]{2}|2[ABab])" + s + "[0-9]{3}" + s +
                 "[0-9]{3}" + s + "[0-9]{2}",
             false}};
  }

  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t,
                              std::size_t) const override {
    return fixed_candidate_start(text, end, 15, [](char c) {
      return is_ascii_digit(c) || c == 'A' || c == 'B' || c == 'a' || c == 'b';
    });
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    if (!word_boundary_before(text, start) || !word_boundary_after(text, end)) return;
    std::string chars;
    for (std::size_t i = start; i < end; ++i) {
      char c = text[i];
      if ((c >= '0' && c <= '9') || c == 'A' || c == 'B' || c == 'a' || c == 'b') chars.push_back(c);
    }
    if (chars.size() != 15) return;
    int month = (chars[3] - '0') * 10 + (chars[4] - '0');
    if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return;
    auto key = nir_key(std::string_view(chars).substr(0, 13));
    int written = (chars[13] - '0') * 10 + (chars[14] - '0');
    if (!key || *key != written) return;
    // Provisional numbers (sex digit 3, 4, 7, 8) are rare; a 15-digit card starting with 3 or 4 whose
    // digits happen to satisfy the key is likelier, so let the card win that tie.
    bool provisional = chars[0] != '1' && chars[0] != '2';
    out.push_back(make_finding("NIR", text, start, end, provisional ? 0.7 : 0.99));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("NIR", NirDetector);
}  // namespace occam::rules
