// E-mail addresses: local@domain.tld in ASCII (RFC 5321 dot-atoms; quoted local parts and
// internationalised addresses are not detected).
#include "rules/detector.h"

namespace occam::rules {
namespace {

class EmailDetector final : public Detector {
 public:
  std::string_view kind() const override { return "EMAIL"; }
  std::vector<std::string> patterns() const override {
    return {R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*@)"
            R"((?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})"};
  }
  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    // Leading symbols allowed by RFC 5321 but almost always punctuation in prose ("'jean@x.fr'").
    while (start < end && std::string_view("'`{|}~=?^!#$%&*/+-").find(text[start]) != std::string_view::npos) {
      ++start;
    }
    std::size_t at = text.find('@', start);
    if (at == std::string_view::npos || at >= end || at == start) return;
    if (at - start > 64 || end - start > 254) return;
    // Glued to a word on the left, or the domain continues with more label characters.
    if (!word_boundary_before(text, start, "._%+-")) return;
    if (!word_boundary_after(text, end, "-_@")) return;
    // Domain labels: 1-63 characters, no hyphen at either end; the TLD is 2-24 letters.
    std::string_view domain = text.substr(at + 1, end - at - 1);
    std::size_t label_start = 0;
    while (true) {
      std::size_t dot = domain.find('.', label_start);
      std::string_view label = domain.substr(label_start, dot == std::string_view::npos ? dot : dot - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return;
      if (dot == std::string_view::npos) {
        if (label.size() > 24) return;
        break;
      }
      label_start = dot + 1;
    }
    out.push_back(make_finding("EMAIL", text, start, end, 0.97));
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("EMAIL", EmailDetector);
}  // namespace occam::rules
