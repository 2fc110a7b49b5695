// Generated positives and negatives per detector (fixed seeds): valid check digits are computed for
// random bodies (tests/rules/generators.h); changing one digit must make the value disappear.
#include <gtest/gtest.h>

#include "rules/checksum.h"
#include "rules/pii.h"
#include "generators.h"

namespace occam::rules {
namespace {

using namespace testgen;

constexpr int kCasesPerDetector = 300;

const PiiScanner& scanner() {
  static PiiScanner s = std::move(PiiScanner::create().value());
  return s;
}

// Scans prefix + value + suffix and reports whether exactly `value` was found as `kind`.
bool found_exactly(const std::string& kind, const std::string& value, const std::string& prefix = "Voici : ",
                   const std::string& suffix = ", merci.") {
  std::string text = prefix + value + suffix;
  auto findings = scanner().scan(text);
  if (!findings.ok()) return false;
  for (const Finding& f : *findings) {
    if (f.kind == kind && f.start == prefix.size() && f.text == value) return true;
  }
  return false;
}

bool kind_found(const std::string& kind, const std::string& text) {
  auto findings = scanner().scan(text);
  if (!findings.ok()) return false;
  for (const Finding& f : *findings) {
    if (f.kind == kind) return true;
  }
  return false;
}

// Replaces the digit at `index` (counting digits only) with another digit.
std::string change_digit(std::string s, int index, Rng& rng) {
  int seen = 0;
  for (char& c : s) {
    if (c >= '0' && c <= '9' && seen++ == index) {
      c = static_cast<char>('0' + (c - '0' + uniform(rng, 1, 9)) % 10);
      break;
    }
  }
  return s;
}

int digit_count(const std::string& s) {
  int n = 0;
  for (char c : s) n += c >= '0' && c <= '9';
  return n;
}

TEST(Generated, Iban) {
  Rng rng(1301);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string iban = random_iban(rng);
    ASSERT_EQ(iban_mod97(iban), 1) << iban;
    std::string written = i % 3 == 0 ? iban : group(iban, 4, i % 3 == 1 ? " " : kNbsp);
    EXPECT_TRUE(found_exactly("IBAN", written)) << written;
    // One changed digit in the BBAN: MOD 97-10 catches every single substitution.
    std::string bad = change_digit(written, 2 + uniform(rng, 0, digit_count(written) - 3), rng);
    EXPECT_FALSE(kind_found("IBAN", "IBAN " + bad + " fin")) << bad;
  }
}

TEST(Generated, Card) {
  Rng rng(1302);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string card = random_card(rng);
    std::string written = i % 3 == 0 ? card : group(card, 4, i % 3 == 1 ? " " : "-");
    EXPECT_TRUE(found_exactly("CARD", written, "Card number ", " exp 12/29")) << written;
    std::string bad = change_digit(written, digit_count(written) - 1, rng);  // the check digit
    EXPECT_FALSE(kind_found("CARD", "Card number " + bad + " exp 12/29")) << bad;
    // Glued into a longer run of digits it is not this card (the longer run may be another valid card).
    EXPECT_FALSE(found_exactly("CARD", card, "ref ", "7 ok")) << card;
    EXPECT_FALSE(found_exactly("CARD", card, "ref 7", " ok")) << card;
  }
}

TEST(Generated, Nir) {
  Rng rng(1303);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string nir = random_nir(rng);
    ASSERT_EQ(nir_key(nir.substr(0, 13)), std::stoi(nir.substr(13))) << nir;
    std::string written = i % 2 == 0 ? nir : format_nir(nir, i % 4 == 1 ? " " : kNbsp);
    EXPECT_TRUE(found_exactly("NIR", written, "Mon numéro de sécu est ", ".")) << written;
    std::string bad_key = nir.substr(0, 13);
    int key = std::stoi(nir.substr(13));
    int other = key % 97 + 1;  // another key in 1..97
    bad_key += (other < 10 ? "0" : "") + std::to_string(other);
    EXPECT_FALSE(kind_found("NIR", "NIR " + bad_key + " fin")) << bad_key;
  }
}

TEST(Generated, SirenSiret) {
  Rng rng(1304);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string siren = random_siren(rng);
    std::string siret = random_siret(rng);
    std::string siren_written = i % 2 ? siren : group(siren, 3, " ");
    std::string siret_written = i % 2 ? siret : group(siret.substr(0, 9), 3, " ") + " " + siret.substr(9);
    EXPECT_TRUE(found_exactly("SIREN", siren_written, "SIREN ", " ")) << siren_written;
    EXPECT_TRUE(found_exactly("SIRET", siret_written, "SIRET ", " ")) << siret_written;
    std::string bad = change_digit(siret, 13, rng);
    if (bad.compare(0, 9, "356000000") != 0) {
      EXPECT_FALSE(kind_found("SIRET", "SIRET " + bad + " ")) << bad;
    }
    EXPECT_FALSE(kind_found("SIREN", "SIREN " + change_digit(siren, 8, rng) + " "));
  }
}

TEST(Generated, Phone) {
  Rng rng(1305);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string phone = random_french_phone(rng);
    EXPECT_TRUE(found_exactly("PHONE", phone, "Rappelez-moi au ", " avant 18h.")) << phone;
    // E.164 of another country, compact or in groups.
    std::string e164 = "+" + std::to_string(uniform(rng, 1, 99)) + random_digits(rng, uniform(rng, 7, 11));
    EXPECT_TRUE(found_exactly("PHONE", e164, "Call ", " now")) << e164;
  }
}

TEST(Generated, Email) {
  Rng rng(1306);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string email = random_email(rng);
    EXPECT_TRUE(found_exactly("EMAIL", email, i % 2 ? "Écrivez à " : "mail\u00a0:\u00a0", ".")) << email;
  }
}

TEST(Generated, Ip) {
  Rng rng(1307);
  for (int i = 0; i < kCasesPerDetector; ++i) {
    std::string v4 = std::to_string(uniform(rng, 1, 255)) + "." + std::to_string(uniform(rng, 0, 255)) + "." +
                     std::to_string(uniform(rng, 0, 255)) + "." + std::to_string(uniform(rng, 0, 255));
    EXPECT_TRUE(found_exactly("IPV4", v4, "from ", " port 22")) << v4;
    std::string v6;
    for (int g = 0; g < 8; ++g) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%x", uniform(rng, 0x1000, 0xffff));
      v6 += (g ? ":" : "") + std::string(buf);
    }
    EXPECT_TRUE(found_exactly("IPV6", v6, "from ", " port 22")) << v6;
  }
}

}  // namespace
}  // namespace occam::rules
