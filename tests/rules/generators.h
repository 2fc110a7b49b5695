// Random valid (and invalid) identifiers for the tests, with a caller-seeded generator. The check
// digits are computed here independently of src/rules/checksum.cpp.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace occam::rules::testgen {

using Rng = std::mt19937_64;

inline const std::string kNbsp = "\u00a0";
inline const std::string kNarrowNbsp = "\u202f";

inline int uniform(Rng& rng, int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }

inline std::string random_digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + uniform(rng, 0, 9)));
  return s;
}

inline std::string group(const std::string& s, int size, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += static_cast<std::size_t>(size)) {
    if (i) out += sep;
    out += s.substr(i, static_cast<std::size_t>(size));
  }
  return out;
}

inline int luhn_check_digit(const std::string& body) {
  int sum = 0;
  for (std::size_t k = 0; k < body.size(); ++k) {
    int d = body[body.size() - 1 - k] - '0';
    if (k % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;  // the check digit will sit to the right
    sum += d;
  }
  return (10 - sum % 10) % 10;
}

// Remainder mod 97 of the IBAN's rearranged numeric form (country+check moved to the end).
inline int iban_remainder(const std::string& iban) {
  std::string rearranged = iban.substr(4) + iban.substr(0, 4);
  int r = 0;
  for (char c : rearranged) {
    std::string piece = (c >= 'A' && c <= 'Z') ? std::to_string(c - 'A' + 10) : std::string(1, c);
    for (char d : piece) r = (r * 10 + (d - '0')) % 97;
  }
  return r;
}

struct IbanCountry {
  const char* code;
  int length;
  int leading_letters;  // bank code letters at the start of the BBAN (GB, NL, ...)
};
inline const std::vector<IbanCountry> kIbanCountries = {
    {"FR", 27, 0}, {"DE", 22, 0}, {"GB", 22, 4}, {"ES", 24, 0}, {"IT", 27, 1}, {"BE", 16, 0}, {"NL", 18, 4},
    {"CH", 21, 0}, {"PT", 25, 0}, {"PL", 28, 0}, {"LU", 20, 0}, {"AT", 20, 0}, {"IE", 22, 4}, {"MC", 27, 0},
};

inline std::string random_iban(Rng& rng) {
  const IbanCountry& c = kIbanCountries[static_cast<std::size_t>(uniform(rng, 0, static_cast<int>(kIbanCountries.size()) - 1))];
  std::string bban;
  for (int i = 0; i < c.leading_letters; ++i) bban.push_back(static_cast<char>('A' + uniform(rng, 0, 25)));
  bban += random_digits(rng, c.length - 4 - c.leading_letters);
  std::string with_zero = std::string(c.code) + "00" + bban;
  int check = 98 - iban_remainder(with_zero);
  std::string check_digits = (check < 10 ? "0" : "") + std::to_string(check);
  return std::string(c.code) + check_digits + bban;
}

// A random issuer prefix and length, and a Luhn-valid number.
inline std::string random_card(Rng& rng) {
  struct Issuer { const char* prefix; int length; };
  static const Issuer issuers[] = {{"4", 16}, {"4", 13}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16},
                                   {"34", 15}, {"37", 15}, {"6011", 16}, {"65", 16}, {"3530", 16}, {"62", 16}};
  const Issuer& issuer = issuers[uniform(rng, 0, 11)];
  std::string body = std::string(issuer.prefix) + random_digits(rng, issuer.length - 1 - static_cast<int>(std::string(issuer.prefix).size()));
  return body + static_cast<char>('0' + luhn_check_digit(body));
}

// A NIR with a valid key; Corsican departments 2A/2B one time in ten.
inline std::string random_nir(Rng& rng) {
  std::string s = std::to_string(uniform(rng, 1, 2));
  s += random_digits(rng, 2);
  int month = uniform(rng, 1, 12);
  s += (month < 10 ? "0" : "") + std::to_string(month);
  int corsica = uniform(rng, 0, 9);
  std::string department;
  std::uint64_t numeric_department;
  if (corsica == 0) {
    department = "2A", numeric_department = 19;
  } else if (corsica == 1) {
    department = "2B", numeric_department = 18;
  } else {
    int d = uniform(rng, 1, 95);
    if (d == 20) d = 21;
    department = (d < 10 ? "0" : "") + std::to_string(d);
    numeric_department = static_cast<std::uint64_t>(d);
  }
  std::string rest = random_digits(rng, 6);
  std::uint64_t number = std::stoull(s) * 100 + numeric_department;
  number = number * 1000000 + std::stoull(rest);
  int key = static_cast<int>(97 - number % 97);
  return s + department + rest + (key < 10 ? "0" : "") + std::to_string(key);
}

inline std::string format_nir(const std::string& nir, const std::string& sep) {
  return nir.substr(0, 1) + sep + nir.substr(1, 2) + sep + nir.substr(3, 2) + sep + nir.substr(5, 2) + sep +
         nir.substr(7, 3) + sep + nir.substr(10, 3) + sep + nir.substr(13, 2);
}

inline std::string random_siren(Rng& rng) {
  std::string body = random_digits(rng, 8);
  return body + static_cast<char>('0' + luhn_check_digit(body));
}

inline std::string random_siret(Rng& rng) {
  std::string body = random_siren(rng) + random_digits(rng, 4);
  return body + static_cast<char>('0' + luhn_check_digit(body));
}

inline std::string random_separator(Rng& rng) {
  static const std::string seps[] = {" ", ".", "-", kNbsp, kNarrowNbsp, ""};
  return seps[uniform(rng, 0, 5)];
}

// French phone numbers in national or +33 / 0033 form.
inline std::string random_french_phone(Rng& rng) {
  std::string digits = std::to_string(uniform(rng, 1, 9)) + random_digits(rng, 8);
  std::string sep = random_separator(rng);
  std::string pairs = group(digits.substr(1), 2, sep);
  switch (uniform(rng, 0, 2)) {
    case 0: return "0" + digits.substr(0, 1) + sep + pairs;
    case 1: return "+33 " + digits.substr(0, 1) + sep + pairs;
    default: return "0033 " + digits.substr(0, 1) + sep + pairs;
  }
}

inline std::string random_email(Rng& rng) {
  static const char* first[] = {"jean", "marie", "j.dupont", "claire-anne", "o.leroy", "support", "lucas_b", "h.müller"};
  static const char* domains[] = {"exemple.fr", "mail.example.com", "orange.fr", "entreprise.co.uk", "free.fr", "x.io"};
  return std::string(first[uniform(rng, 0, 7)]) + (uniform(rng, 0, 1) ? std::to_string(uniform(rng, 1, 999)) : "") +
         "@" + domains[uniform(rng, 0, 5)];
}

}  // namespace occam::rules::testgen
