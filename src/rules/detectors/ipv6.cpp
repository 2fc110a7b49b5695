// IPv6 addresses (RFC 4291 text forms): eight groups of 1-4 hex digits, one "::" for a run of zero
// groups, optionally ending in a dotted IPv4 address. Short forms with little information ("a::b",
// "::1") are left out: they are more often C++ scopes or loopback than personal data.
#include <string>

#include "rules/detector.h"

namespace occam::rules {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool valid_ipv4_tail(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find('.', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view p = s.substr(i, j - i);
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return false;
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

// Counts the hex digits of a valid address, or returns -1.
int parse_ipv6(std::string_view s) {
  int groups = 0;
  int hex_digits = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
    if (i == s.size()) return 0;
  } else if (!s.empty() && s[0] == ':') {
    return -1;
  }
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && is_hex(s[j])) ++j;
    if (j < s.size() && s[j] == '.') {  // embedded IPv4 takes two groups and ends the address
      if (!valid_ipv4_tail(s.substr(i))) return -1;
      groups += 2;
      hex_digits += 4;
      i = s.size();
      break;
    }
    if (j == i || j - i > 4) return -1;
    ++groups;
    hex_digits += static_cast<int>(j - i);
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return -1;
    if (i + 1 < s.size() && s[i + 1] == ':') {
      if (compressed) return -1;
      compressed = true;
      i += 2;
      if (i == s.size()) break;
    } else {
      ++i;
      if (i == s.size()) return -1;  // trailing single ':'
    }
  }
  if (compressed ? groups > 7 : groups != 8) return -1;
  return hex_digits;
}

class Ipv6Detector final : public Detector {
 public:
  std::string_view kind() const override { return "IPV6"; }
  std::vector<CandidatePattern> patterns() const override {
    return {{R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3})"}};
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    // The candidate may carry a sentence's final ':' or '.'; try the longest valid prefix.
    for (std::size_t e = end; e > start + 2; --e) {
      std::string_view s = text.substr(start, e - start);
      int hex_digits = parse_ipv6(s);
      if (hex_digits < 0) continue;
      if (hex_digits < 5) return;
      if (!word_boundary_before(text, start, ":.") || !word_boundary_after(text, e, ":")) return;
      if (e < text.size() && text[e] == '.' && e + 1 < text.size() && is_hex(text[e + 1])) return;
      out.push_back(make_finding("IPV6", text, start, e, 0.85));
      return;
    }
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("IPV6", Ipv6Detector);
}  // namespace occam::rules
