// Phone numbers: French national numbers (0X XX XX XX XX, with spaces, dots, dashes or the no-break
// spaces of French typography), the +33 / 0033 forms (with an optional "(0)"), and international
// E.164 numbers written +<country><number> (8-15 digits, separators and a "(0)" trunk prefix allowed,
// an "x123" extension kept with the number), or with a 00 prefix instead of '+'; and North American
// numbers written with separators, "(579) 888-3058", "541-714-1388", "930.167.3943".
#include "rules/detector.h"

namespace occam::rules {
namespace {

std::string sep() { return std::string(kGroupSeparator) + "?"; }

enum PhonePattern : std::size_t {
  kFrenchNational,
  kFrenchInternational,
  kPlusInternational,
  kZeroZeroInternational,
  kNorthAmerican,
};

class PhoneDetector final : public Detector {
 public:
  std::string_view kind() const override { return "PHONE"; }
  std::vector<CandidatePattern> patterns() const override {
    return {
        {"0[1-9](?:" + sep() + "[0-9]{2}){4}", false},
        {R"((?:\+|00) ?33 ?(?:\(0\) ?)?[1-9](?:)" + sep() + "[0-9]{2}){4}"},
        {R"(\+[1-9](?:)" + sep() + R"((?:\([0-9]{1,4}\)|[0-9]))+(?: ?(?:x|ext\.?) ?[0-9]{1,5})?)"},
        {"00[1-9](?:" + sep() + R"([0-9]){6,}(?: ?(?:x|ext\.?) ?[0-9]{1,5})?)"},
        {R"((?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[\-.])[2-9][0-9]{2}[\-.][0-9]{4}(?: ?(?:x|ext\.?) ?[0-9]{1,5})?)"},
    };
  }

  // Only the French national pattern (ten digits) is compiled without start-of-match tracking.
  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t,
                              std::size_t) const override {
    return fixed_candidate_start(text, end, 10, is_ascii_digit);
  }

  void confirm(std::string_view text, std::size_t pattern, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    if (!word_boundary_before(text, start, "+")) return;
    if (pattern == kNorthAmerican) {
      if (!word_boundary_after(text, end)) return;
      if (start > 0 && (text[start - 1] == '-' || text[start - 1] == '.')) return;  // tail of a longer code
      out.push_back(make_finding("PHONE", text, start, end, 0.6));
      return;
    }
    if (pattern == kFrenchNational || pattern == kFrenchInternational) {
      if (!word_boundary_after(text, end)) return;
      // A bare run of ten digits starting with 0 may be another identifier; grouped digits or the +33
      // prefix are unambiguous.
      bool separated = digits_of(text, start, end).size() < end - start;
      out.push_back(make_finding("PHONE", text, start, end, separated ? 0.9 : 0.75));
      return;
    }
    confirm_international(text, pattern, start, end, out);
  }

 private:
  // The longest prefix of the candidate that ends after a digit (or an extension), keeps 8-15 digits
  // of number (a "(0)" trunk prefix and the extension are not counted), and is not glued to a word.
  static void confirm_international(std::string_view text, std::size_t pattern, std::size_t start, std::size_t end,
                                    std::vector<Finding>& out) {
    std::size_t best_end = 0;
    int digits = 0;
    bool in_extension = false;
    for (std::size_t i = start; i < end; ++i) {
      char c = text[i];
      if (c == '(') {
        std::size_t close = text.find(')', i);
        if (close == std::string_view::npos || close >= end) return;
        std::string_view inside = text.substr(i + 1, close - i - 1);
        if (inside != "0") digits += static_cast<int>(inside.size());
        i = close;
        continue;
      }
      if (c == 'x' || c == 'e') in_extension = true;
      if (c < '0' || c > '9') continue;
      if (!in_extension) ++digits;
      bool group_ends = i + 1 == end || text[i + 1] < '0' || text[i + 1] > '9';
      int number_digits = digits - (pattern == kZeroZeroInternational ? 2 : 0);
      if (group_ends && number_digits >= 8 && number_digits <= 15 && word_boundary_after(text, i + 1)) {
        best_end = i + 1;
      }
    }
    if (best_end == 0) return;
    out.push_back(make_finding("PHONE", text, start, best_end, pattern == kPlusInternational ? 0.8 : 0.6));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("PHONE", PhoneDetector);
}  // namespace occam::rules
