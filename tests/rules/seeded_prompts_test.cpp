// Acceptance basis for "not one seeded value reaches the remote upstream": 1,000 prompts made of
// French (sib200_fr) and English (banking77) sentences with e-mails, IBANs, phone numbers and NIRs
// mixed in (fixed seed); after redaction no seeded value may remain, and restore() gives back the prompt.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "generators.h"
#include "rules/redact.h"
#include "test_support.h"

namespace occam::rules {
namespace {

using namespace testgen;

std::vector<std::string> load_texts(const std::string& relative, std::size_t limit) {
  std::ifstream in(occam::testing::shared_file(relative));
  std::vector<std::string> texts;
  std::string line;
  while (texts.size() < limit && std::getline(in, line)) {
    boost::json::value v = boost::json::parse(line);
    texts.emplace_back(v.at("text").as_string().c_str());
  }
  return texts;
}

std::string strip_separators(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '.' || c == '-') continue;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) { ++i; continue; }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0xAF) { i += 2; continue; }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

struct Seeded {
  std::string kind;
  std::string value;
};

Seeded random_value(Rng& rng) {
  switch (uniform(rng, 0, 3)) {
    case 0: return {"EMAIL", random_email(rng)};
    case 1: {
      std::string iban = random_iban(rng);
      int style = uniform(rng, 0, 2);
      return {"IBAN", style == 0 ? iban : group(iban, 4, style == 1 ? " " : kNbsp)};
    }
    case 2: return {"PHONE", random_french_phone(rng)};
    default: {
      std::string nir = random_nir(rng);
      int style = uniform(rng, 0, 2);
      return {"NIR", style == 0 ? nir : format_nir(nir, style == 1 ? " " : kNbsp)};
    }
  }
}

const char* intro(const std::string& kind, bool french, Rng& rng) {
  static const std::map<std::string, std::vector<const char*>> fr = {
      {"EMAIL", {"écrivez-moi à", "mon e-mail :", "mail\u00a0:", "(contact"}},
      {"IBAN", {"IBAN :", "virement sur le compte", "RIB\u00a0:", "remboursez sur"}},
      {"PHONE", {"appelez-moi au", "tél. :", "portable", "joignable au"}},
      {"NIR", {"mon numéro de sécu est", "NIR :", "n° SS", "sécurité sociale\u00a0:"}}};
  static const std::map<std::string, std::vector<const char*>> en = {
      {"EMAIL", {"email me at", "my address is", "reply to", "(contact"}},
      {"IBAN", {"my IBAN is", "refund to", "account:", "transfer to"}},
      {"PHONE", {"call me on", "phone:", "my mobile is", "reach me at"}},
      {"NIR", {"my French social security number is", "NIR:", "SSN (FR)", "insurance number"}}};
  const auto& table = french ? fr : en;
  const auto& options = table.at(kind);
  return options[static_cast<std::size_t>(uniform(rng, 0, static_cast<int>(options.size()) - 1))];
}

TEST(SeededPrompts, NoSeededValueSurvivesRedaction) {
  auto scanner = PiiScanner::create();
  ASSERT_TRUE(scanner.ok());
  std::vector<std::string> french = load_texts("datasets/sib200_fr/sib200_fr.jsonl", 1004);
  std::vector<std::string> english = load_texts("datasets/banking77/banking77.jsonl", 2000);
  ASSERT_FALSE(french.empty());
  ASSERT_FALSE(english.empty());

  Rng rng(20261125);
  std::map<std::string, int> seeded_per_kind;
  std::map<std::string, int> found_per_kind;
  int leaks = 0;
  int prompts = 0;
  std::size_t bytes = 0;
  for (int p = 0; p < 1000; ++p) {
    bool fr = p % 2 == 0;
    const auto& pool = fr ? french : english;
    std::string prompt;
    std::vector<Seeded> values;
    int sentences = uniform(rng, 1, 3);
    int seeds = uniform(rng, 1, 4);
    for (int s = 0; s < sentences; ++s) {
      prompt += pool[static_cast<std::size_t>(uniform(rng, 0, static_cast<int>(pool.size()) - 1))];
      prompt += " ";
      for (int k = 0; k < seeds && s == sentences - 1; ++k) {
        Seeded v = random_value(rng);
        std::string punct = uniform(rng, 0, 1) ? ". " : uniform(rng, 0, 1) ? ", " : " ";
        prompt += std::string(intro(v.kind, fr, rng)) + " " + v.value + punct;
        values.push_back(v);
      }
    }
    ++prompts;
    bytes += prompt.size();
    SCOPED_TRACE(prompt);

    auto findings = scanner->scan(prompt);
    ASSERT_TRUE(findings.ok());
    for (const Seeded& v : values) {
      ++seeded_per_kind[v.kind];
      for (const Finding& f : *findings) {
        if (f.kind == v.kind && f.text == v.value) {
          ++found_per_kind[v.kind];
          break;
        }
      }
    }
    Redactor redactor(*scanner);
    auto redacted = redactor.redact(prompt, *findings);
    ASSERT_TRUE(redacted.ok());
    std::string compact = strip_separators(*redacted);
    for (const Seeded& v : values) {
      bool leaked = redacted->find(v.value) != std::string::npos ||
                    compact.find(strip_separators(v.value)) != std::string::npos;
      leaks += leaked;
      EXPECT_FALSE(leaked) << v.kind << " '" << v.value << "' reached the redacted text: " << *redacted;
    }
    ASSERT_EQ(redactor.restore(*redacted), prompt);
  }
  std::printf("[seeded prompts] %d prompts, %zu bytes, leaks: %d\n", prompts, bytes, leaks);
  for (const auto& [kind, n] : seeded_per_kind) {
    std::printf("[seeded prompts] %-5s seeded %4d, found with exact span %4d\n", kind.c_str(), n, found_per_kind[kind]);
    EXPECT_EQ(found_per_kind[kind], n) << kind;
  }
}

}  // namespace
}  // namespace occam::rules
