// Payment card numbers (PAN): 13-19 digits, compact or in groups separated by one kind of separator
// (space, dash, no-break space) in a printed card layout, a known issuer prefix (IIN) with a length that issuer uses, and a
// valid Luhn check digit. A card is made of whole digit groups: digits inside a longer run of
// digits are not a card.
#include <string>

#include "rules/checksum.h"
#include "rules/detector.h"

namespace occam::rules {
namespace {

struct IssuerRange {
  const char* low;   // inclusive prefix range, compared on the first strlen(low) digits
  const char* high;
  int min_length;
  int max_length;
};

// Public IIN ranges of the main networks (ISO/IEC 7812 registrations as published by the networks).
constexpr IssuerRange kIssuers[] = {
    {"4", "4", 13, 13},            // Visa (incl. Electron); Cartes Bancaires co-badged cards use Visa/MC
    {"4", "4", 16, 16},
    {"4", "4", 19, 19},
    {"51", "55", 16, 16},          // Mastercard
    {"2221", "2720", 16, 16},      // Mastercard 2-series
    {"34", "34", 15, 15},          // American Express
    {"37", "37", 15, 15},
    {"300", "305", 14, 19},        // Diners Club International
    {"36", "36", 14, 19},
    {"38", "39", 14, 19},
    {"6011", "6011", 16, 19},      // Discover
    {"644", "649", 16, 19},
    {"65", "65", 16, 19},
    {"3528", "3589", 16, 19},      // JCB
    {"1800", "1800", 15, 15},      // JCB (legacy 15-digit)
    {"2131", "2131", 15, 15},
    {"62", "62", 16, 19},          // UnionPay
    {"2200", "2204", 16, 19},      // Mir
    {"50", "50", 13, 19},          // Maestro
    {"56", "58", 13, 19},
    {"63", "63", 13, 19},
    {"67", "67", 13, 19},
};

bool known_issuer(std::string_view digits) {
  for (const IssuerRange& r : kIssuers) {
    std::string_view low(r.low);
    if (digits.size() < low.size()) continue;
    std::string_view prefix = digits.substr(0, low.size());
    if (prefix >= low && prefix <= std::string_view(r.high) && static_cast<int>(digits.size()) >= r.min_length &&
        static_cast<int>(digits.size()) <= r.max_length) {
      return true;
    }
  }
  return false;
}

// How cards are printed: compact, groups of 4 (the last one may be shorter: 4-4-4-4-3), or the
// 4-6-5 / 4-6-4 layout of Amex and Diners. "341 252 427 73161" (a SIRET) is not a card layout.
bool card_layout(const std::vector<DigitGroup>& groups, std::size_t first, std::size_t last) {
  if (first == last) return true;
  std::vector<std::size_t> sizes;
  for (std::size_t g = first; g <= last; ++g) sizes.push_back(groups[g].end - groups[g].start);
  if (sizes.size() == 3 && sizes[0] == 4 && sizes[1] == 6 && (sizes[2] == 5 || sizes[2] == 4)) return true;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    if (sizes[k] != 4) return false;
  }
  return sizes.back() >= 1 && sizes.back() <= 4;
}

class CardDetector final : public Detector {
 public:
  std::string_view kind() const override { return "CARD"; }
  std::vector<CandidatePattern> patterns() const override {
    return {{"[0-9](?:" + std::string(kGroupSeparator) + "?[0-9]){12,}", false}};
  }

  // The start of the run of digit groups that ends at `end`.
  std::size_t candidate_start(std::string_view text, std::size_t, std::size_t end, std::size_t previous_start,
                              std::size_t previous_end) const override {
    std::size_t pos = end;
    while (pos > 0) {
      if (pos == previous_end) return previous_start;
      if (text[pos - 1] >= '0' && text[pos - 1] <= '9') {
        --pos;
        continue;
      }
      std::size_t sep = separator_length_before(text, pos);
      if (sep == 0 || pos < sep + 1 || text[pos - sep - 1] < '0' || text[pos - sep - 1] > '9') break;
      pos -= sep;
    }
    return pos;
  }

  void confirm(std::string_view text, std::size_t, std::size_t start, std::size_t end,
               std::vector<Finding>& out) const override {
    std::vector<DigitGroup> groups = digit_groups(text, start, end);
    std::size_t first = 0;
    while (first < groups.size()) {
      std::size_t found = try_from(text, groups, first, out);
      first = found ? found : first + 1;
    }
  }

 private:
  // The longest card made of groups[first..last]; returns last + 1 when found, 0 otherwise.
  static std::size_t try_from(std::string_view text, const std::vector<DigitGroup>& groups, std::size_t first,
                              std::vector<Finding>& out) {
    if (first > 0 && text[groups[first].start - 1] == '.') return 0;  // a decimal part, not a card start
    if (!word_boundary_before(text, groups[first].start)) return 0;
    std::size_t best = 0;
    std::string digits;
    for (std::size_t last = first; last < groups.size(); ++last) {
      digits.append(text.substr(groups[last].start, groups[last].end - groups[last].start));
      if (digits.size() > 19) break;
      if (last > first) {
        // One kind of separator throughout: "4111 1111-1111.1111" is not how cards are written.
        std::string_view sep0 = text.substr(groups[first].end, groups[first].separator_after);
        std::string_view sep = text.substr(groups[last - 1].end, groups[last - 1].separator_after);
        if (sep != sep0 || sep == ".") break;
      }
      if (digits.size() < 13) continue;
      if (!word_boundary_after(text, groups[last].end)) continue;
      if (text.substr(groups[last].end, groups[last].separator_after) == ".") continue;  // 4111...1111.50
      if (known_issuer(digits) && luhn_valid(digits) && card_layout(groups, first, last)) best = last + 1;
    }
    if (best == 0) return 0;
    std::size_t last = best - 1;
    out.push_back(make_finding("CARD", text, groups[first].start, groups[last].end, 0.95));
    return best;
  }
};

}  // namespace
OCCAM_REGISTER_PII_DETECTOR("CARD", CardDetector);
}  // namespace occam::rules
