#include <gtest/gtest.h>

#include "generators.h"
#include "rules/redact.h"

namespace occam::rules {
namespace {

const PiiScanner& scanner() {
  static PiiScanner s = std::move(PiiScanner::create().value());
  return s;
}

const std::string kTicket =
    "Bonjour, je suis Jean (jean.dupont@exemple.fr, 06 12 34 56 78). Merci de rembourser sur "
    "FR76 3000 6000 0112 3456 7890 189. Mon autre adresse : jean.dupont@exemple.fr ; carte 4111 1111 1111 1111.";

TEST(Redactor, ReplacesEveryFindingAndRestoresExactly) {
  Redactor redactor(scanner());
  auto redacted = redactor.redact(kTicket);
  ASSERT_TRUE(redacted.ok()) << redacted.error().message();
  EXPECT_EQ(*redacted,
            "Bonjour, je suis Jean ([EMAIL_1], [PHONE_1]). Merci de rembourser sur [IBAN_1]. Mon autre adresse : "
            "[EMAIL_1] ; carte [CARD_1].");
  ASSERT_EQ(redactor.placeholders().size(), 4u);  // the repeated e-mail shares its placeholder
  EXPECT_EQ(redactor.restore(*redacted), kTicket);
}

TEST(Redactor, DifferentValuesGetDifferentNumbers) {
  Redactor redactor(scanner());
  auto redacted = redactor.redact("a@b.fr puis c@d.fr puis a@b.fr");
  ASSERT_TRUE(redacted.ok());
  EXPECT_EQ(*redacted, "[EMAIL_1] puis [EMAIL_2] puis [EMAIL_1]");
}

TEST(Redactor, RestoresPlaceholdersTheModelReformatted) {
  Redactor redactor(scanner());
  ASSERT_TRUE(redactor.redact("écrire à a@b.fr ou c@d.fr").ok());
  EXPECT_EQ(redactor.restore("Envoyez à [ EMAIL_1 ] et [email_2]."), "Envoyez à a@b.fr et c@d.fr.");
  EXPECT_EQ(redactor.restore("markdown: [EMAIL\\_2], tab [\tEMAIL_1\t]"), "markdown: c@d.fr, tab a@b.fr");
  // Not placeholders of this request, or too far from the grammar: left as written.
  EXPECT_EQ(redactor.restore("[EMAIL_3] [EMAIL_01] EMAIL_1 [EMAIL 1] [EMAIL_1"),
            "[EMAIL_3] [EMAIL_01] EMAIL_1 [EMAIL 1] [EMAIL_1");
  EXPECT_EQ(redactor.restore("[[EMAIL_1]]"), "[a@b.fr]");
}

TEST(Redactor, LiteralPlaceholdersInTheInputStayLiteral) {
  Redactor redactor(scanner());
  std::string text = "Le modèle a écrit [EMAIL_1] et [ email_2 ] ; ma vraie adresse est a@b.fr";
  auto redacted = redactor.redact(text);
  ASSERT_TRUE(redacted.ok());
  EXPECT_EQ(*redacted, "Le modèle a écrit [EMAIL_1] et [ email_2 ] ; ma vraie adresse est [EMAIL_3]");
  EXPECT_EQ(redactor.restore(*redacted), text);
}

TEST(Redactor, ReserveCoversEveryMessageOfARequest) {
  Redactor redactor(scanner());
  std::string first = "contact a@b.fr";
  std::string second = "the template says [EMAIL_1]";
  redactor.reserve(first);
  redactor.reserve(second);
  auto r1 = redactor.redact(first);
  auto r2 = redactor.redact(second);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(*r1, "contact [EMAIL_2]");
  EXPECT_EQ(redactor.restore(*r1 + " / " + *r2), first + " / " + second);
}

TEST(Redactor, RejectsFindingsThatDoNotMatchTheText) {
  Redactor redactor(scanner());
  std::vector<Finding> wrong = {{"EMAIL", 0, 5, "hello", 1.0}};
  EXPECT_FALSE(redactor.redact("world!", wrong).ok());
  std::vector<Finding> overlapping = {{"EMAIL", 0, 4, "abcd", 1.0}, {"EMAIL", 2, 5, "cde", 1.0}};
  EXPECT_FALSE(redactor.redact("abcdef", overlapping).ok());
  std::vector<Finding> out_of_range = {{"EMAIL", 4, 9, "ef", 1.0}};
  EXPECT_FALSE(redactor.redact("abcdef", out_of_range).ok());
}

TEST(Redactor, RedactsOnlyTheFindingsTheCallerKeeps) {
  Redactor redactor(scanner());
  auto findings = scanner().scan(kTicket);
  ASSERT_TRUE(findings.ok());
  std::vector<Finding> only_iban;
  for (const Finding& f : *findings) {
    if (f.kind == "IBAN") only_iban.push_back(f);
  }
  auto redacted = redactor.redact(kTicket, only_iban);
  ASSERT_TRUE(redacted.ok());
  EXPECT_NE(redacted->find("jean.dupont@exemple.fr"), std::string::npos);
  EXPECT_EQ(redacted->find("FR76"), std::string::npos);
  EXPECT_EQ(redactor.restore(*redacted), kTicket);
}

TEST(StreamRestorer, HoldsBackAPlaceholderSplitAcrossChunks) {
  Redactor redactor(scanner());
  ASSERT_TRUE(redactor.redact("a@b.fr").ok());
  StreamRestorer stream(redactor);
  EXPECT_EQ(stream.push("Écrivez à [EMA"), "Écrivez à ");
  EXPECT_EQ(stream.push("IL_"), "");
  EXPECT_EQ(stream.push("1] merci [x"), "a@b.fr merci ");  // "[x" could still become a placeholder
  EXPECT_EQ(stream.push("] [EMAIL_1"), "[x] ");
  EXPECT_EQ(stream.finish(), "[EMAIL_1");
}

TEST(StreamRestorer, AnyChunkingGivesTheSameTextAsRestore) {
  Redactor redactor(scanner());
  auto redacted = redactor.redact(kTicket);
  ASSERT_TRUE(redacted.ok());
  std::string answer = "Réponse : [EMAIL_1] / [ PHONE_1 ] / [iban_1] / [CARD\\_1] / [EMAIL_9] / [ [x] " + *redacted;
  std::string expected = redactor.restore(answer);
  testgen::Rng rng(77);
  for (int trial = 0; trial < 300; ++trial) {
    StreamRestorer stream(redactor);
    std::string got;
    std::size_t i = 0;
    while (i < answer.size()) {
      std::size_t n = static_cast<std::size_t>(testgen::uniform(rng, 1, 7));
      got += stream.push(std::string_view(answer).substr(i, n));
      i += n;
    }
    got += stream.finish();
    ASSERT_EQ(got, expected) << "trial " << trial;
  }
}

}  // namespace
}  // namespace occam::rules
