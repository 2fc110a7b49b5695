#include "rules/checksum.h"

#include <cstdint>

namespace occam::rules {

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

std::optional<int> iban_mod97(std::string_view iban) {
  if (iban.size() < 5) return std::nullopt;
  int remainder = 0;
  auto feed = [&remainder](char c) -> bool {
    if (c >= '0' && c <= '9') {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      int value = (c >= 'a' ? c - 'a' : c - 'A') + 10;  // two decimal digits
      remainder = (remainder * 100 + value) % 97;
    } else {
      return false;
    }
    return true;
  };
  for (char c : iban.substr(4)) {
    if (!feed(c)) return std::nullopt;
  }
  for (char c : iban.substr(0, 4)) {
    if (!feed(c)) return std::nullopt;
  }
  return remainder;
}

std::optional<int> nir_key(std::string_view first13) {
  if (first13.size() != 13) return std::nullopt;
  std::uint64_t number = 0;
  for (std::size_t i = 0; i < 13; ++i) {
    char c = first13[i];
    if (i == 6 && first13[5] == '2' && (c == 'A' || c == 'a' || c == 'B' || c == 'b')) {
      // Corsica: "2A" counts as 19, "2B" as 18 (INSEE); replace the two characters.
      number = number / 10 * 100 + ((c == 'A' || c == 'a') ? 19 : 18);
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return static_cast<int>(97 - number % 97);
}

}  // namespace occam::rules
