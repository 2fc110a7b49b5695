// SIRET: SIREN + 5-digit establishment number ("732 829 320 00074" or compact), Luhn over the 14
// digits; La Poste's establishments (SIREN 356 000 000) instead have a digit sum divisible by 5.
// A 14-digit Luhn-valid number starting with 30-39 is also a valid Diners card: the keyword SIRET/SIREN/RCS
// nearby makes the SIRET win (0.97 > 0.95); without it the card wins.
#include <string>

#include "rules/checksum.h"
#include "rules/detector.h"
#include "rules/detectors/company_context.h"

namespace occam::rules {
namespace {

class SiretDetector final : public Detector {
 public:
  std::string_view kind() const override { return "SIRET"; }
  std::vector<CandidatePattern> patterns() const override {
    std::string s = std::string(kGroupSeparator) + "?";
    return {{"[0-9]{3}" + s + "[0-9]{3}" + s + "[0-9]{3}" + s + "[0-9]{5}", false}};
  }

  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t,
                              std::size_t) const override {
    return fixed_candidate_start(text, end, 14, is_ascii_digit);
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    if (!word_boundary_before(text, start) || !word_boundary_after(text, end)) return;
    std::string digits = digits_of(text, start, end);
    if (digits.size() != 14) return;
    bool valid = luhn_valid(digits);
    if (!valid && digits.compare(0, 9, "356000000") == 0) {
      int sum = 0;
      for (char c : digits) sum += c - '0';
      valid = sum % 5 == 0;
    }
    if (!valid) return;
    out.push_back(make_finding("SIRET", text, start, end, company_number_context(text, start) ? 0.97 : 0.6));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("SIRET", SiretDetector);
}  // namespace occam::rules
