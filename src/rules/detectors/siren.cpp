// SIREN: the 9-digit French company number ("732 829 320" or compact), whose Luhn check holds.
// One random 9-digit number in ten passes Luhn, so a bare number is a weak finding; the word
// "SIREN" or "RCS" shortly before it makes it a strong one.
#include <string>

#include "rules/checksum.h"
#include "rules/detector.h"
#include "rules/detectors/company_context.h"

namespace occam::rules {
namespace {

class SirenDetector final : public Detector {
 public:
  std::string_view kind() const override { return "SIREN"; }
  std::vector<CandidatePattern> patterns() const override {
    std::string s = std::string(kGroupSeparator) + "?";
    return {{"[0-9]{3}" + s + "[0-9]{3}" + s + "[0-9]{3}", false}};
  }

  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t,
                              std::size_t) const override {
    return fixed_candidate_start(text, end, 9, is_ascii_digit);
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    if (!word_boundary_before(text, start) || !word_boundary_after(text, end)) return;
    std::string digits = digits_of(text, start, end);
    if (digits.size() != 9 || !luhn_valid(digits)) return;
    out.push_back(make_finding("SIREN", text, start, end, company_number_context(text, start) ? 0.97 : 0.5));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("SIREN", SirenDetector);
}  // namespace occam::rules
