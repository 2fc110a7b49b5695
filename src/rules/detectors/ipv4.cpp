// IPv4 addresses in dotted-quad form, each octet 0-255 without leading zeros.
#include "rules/detector.h"

namespace occam::rules {
namespace {

class Ipv4Detector final : public Detector {
 public:
  std::string_view kind() const override { return "IPV4"; }
  std::vector<CandidatePattern> patterns() const override { return {{R"([0-9]{1,3}(?:\.[0-9]{1,3}){3})"}}; }
  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    std::string_view s = text.substr(start, end - start);
    int octets = 0;
    std::size_t i = 0;
    while (i <= s.size()) {
      std::size_t j = s.find('.', i);
      if (j == std::string_view::npos) j = s.size();
      std::string_view octet = s.substr(i, j - i);
      if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) return;
      int value = 0;
      for (char c : octet) value = value * 10 + (c - '0');
      if (value > 255) return;
      ++octets;
      i = j + 1;
    }
    if (octets != 4) return;
    // Not a piece of a longer dotted number (version strings, 5-part phone numbers).
    if (!word_boundary_before(text, start)) return;
    if (start >= 2 && text[start - 1] == '.' && text[start - 2] >= '0' && text[start - 2] <= '9') return;
    if (!word_boundary_after(text, end)) return;
    if (end + 1 < text.size() && text[end] == '.' && text[end + 1] >= '0' && text[end + 1] <= '9') return;
    out.push_back(make_finding("IPV4", text, start, end, 0.85));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("IPV4", Ipv4Detector);
}  // namespace occam::rules
