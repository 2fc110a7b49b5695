// E-mail addresses: local@domain.tld (RFC 5321 dot-atoms). The local part may hold UTF-8 letters
// ("hélène@..."); the domain is ASCII (IDNs in U-label form and quoted local parts are not detected).
#include <cctype>

#include "rules/detector.h"

namespace occam::rules {
namespace {

bool is_local_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) || std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) != std::string_view::npos;
}

class EmailDetector final : public Detector {
 public:
  std::string_view kind() const override { return "EMAIL"; }
  std::vector<CandidatePattern> patterns() const override {
    return {{R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\x80-\xFF]@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})", false}};
  }

  // Back over the domain to the '@', then over the local part (dot-atoms, UTF-8 bytes allowed).
  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t previous_start,
                              std::size_t previous_end) const override {
    std::size_t pos = end;
    while (pos > 0 && text[pos - 1] != '@') {
      if (pos == previous_end) return previous_start;
      --pos;
    }
    if (pos == 0) return end;  // cannot happen: the pattern contains '@'
    --pos;
    while (pos > 0 && is_local_char(text[pos - 1])) --pos;
    while (pos < end && text[pos] == '.') ++pos;  // dot-atoms do not start with a dot
    return pos;
  }
  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    // Leading symbols allowed by RFC 5321 but almost always punctuation in prose ("'jean@x.fr'").
    // Non-ASCII bytes that are not letters (U+00A0 before the address, invalid UTF-8) are not part of it.
    while (start < end && (std::string_view("'`{|}~=?^!#$%&*/+-").find(text[start]) != std::string_view::npos ||
                           (static_cast<unsigned char>(text[start]) >= 0x80 && word_boundary_after(text, start)))) {
      ++start;
    }
    std::size_t at = text.find('@', start);
    if (at == std::string_view::npos || at >= end || at == start) return;
    if (at - start > 64 || end - start > 254) return;
    std::string_view local = text.substr(start, at - start);
    if (local.back() == '.' || local.find("..") != std::string_view::npos) return;
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
