// Table-driven detector tests: tests/rules/data/pii_cases.txt, one GoogleTest case per section.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rules/pii.h"

namespace occam::rules {
namespace {

struct Expected {
  std::string kind;
  std::size_t start;
  std::size_t end;
};

struct Case {
  int line;
  std::string text;  // markers removed
  std::vector<Expected> expected;
};

struct Section {
  std::string name;
  std::vector<Case> cases;
};

constexpr std::string_view kOpen = "\u27e6";   // ⟦
constexpr std::string_view kClose = "\u27e7";  // ⟧

Case parse_case(int line_number, std::string_view line) {
  Case c{line_number, {}, {}};
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t open = line.find(kOpen, i);
    if (open == std::string_view::npos) {
      c.text.append(line.substr(i));
      break;
    }
    c.text.append(line.substr(i, open - i));
    std::size_t bar = line.find('|', open);
    std::size_t close = line.find(kClose, open);
    if (bar == std::string_view::npos || close == std::string_view::npos || bar > close) {
      ADD_FAILURE() << "pii_cases.txt:" << line_number << ": unterminated marker";
      break;
    }
    std::string kind(line.substr(open + kOpen.size(), bar - open - kOpen.size()));
    std::string_view value = line.substr(bar + 1, close - bar - 1);
    c.expected.push_back({kind, c.text.size(), c.text.size() + value.size()});
    c.text.append(value);
    i = close + kClose.size();
  }
  return c;
}

std::vector<Section> load_sections() {
  std::ifstream in(std::string(OCCAM_SOURCE_DIR) + "/tests/rules/data/pii_cases.txt");
  std::vector<Section> sections;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("## ", 0) == 0) {
      sections.push_back({line.substr(3), {}});
    } else if (!line.empty() && line[0] != '#' && !sections.empty()) {
      sections.back().cases.push_back(parse_case(number, line));
    }
  }
  return sections;
}

const PiiScanner& scanner() {
  static PiiScanner s = std::move(PiiScanner::create().value());
  return s;
}

class PiiCases : public ::testing::TestWithParam<Section> {};

TEST_P(PiiCases, FindsExactlyTheMarkedValues) {
  const Section& section = GetParam();
  ASSERT_FALSE(section.cases.empty());
  for (const Case& c : section.cases) {
    SCOPED_TRACE("pii_cases.txt:" + std::to_string(c.line) + ": " + c.text);
    auto findings = scanner().scan(c.text);
    ASSERT_TRUE(findings.ok()) << findings.error().message();
    std::vector<std::string> got;
    std::vector<std::string> want;
    for (const Finding& f : *findings) {
      got.push_back(f.kind + "[" + std::to_string(f.start) + "," + std::to_string(f.end) + ")=" + f.text);
      EXPECT_EQ(f.text, c.text.substr(f.start, f.end - f.start));
      EXPECT_GT(f.confidence, 0.0);
      EXPECT_LE(f.confidence, 1.0);
    }
    for (const Expected& e : c.expected) {
      want.push_back(e.kind + "[" + std::to_string(e.start) + "," + std::to_string(e.end) +
                     ")=" + c.text.substr(e.start, e.end - e.start));
    }
    EXPECT_EQ(got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, PiiCases, ::testing::ValuesIn(load_sections()),
                         [](const ::testing::TestParamInfo<Section>& info) { return info.param.name; });

TEST(PiiScanner, ReportsItsKinds) {
  std::vector<std::string> expected = {"CARD", "EMAIL", "IBAN", "IPV4", "IPV6", "NIR", "PHONE", "SIREN", "SIRET"};
  EXPECT_EQ(builtin_pii_kinds(), expected);
  EXPECT_EQ(scanner().kinds(), expected);
}

TEST(PiiScanner, CustomPatternsAndDisabledKinds) {
  PiiConfig config;
  config.custom.push_back({"client_id", "CLI-[0-9]{6}", 0.8});
  config.disabled_kinds = {"siren"};
  auto s = PiiScanner::create(config);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->kinds().back(), "CLIENT_ID");
  auto findings = s->scan("client CLI-123456, SIREN 341 252 427");
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0].kind, "CLIENT_ID");
  EXPECT_EQ((*findings)[0].text, "CLI-123456");
  EXPECT_DOUBLE_EQ((*findings)[0].confidence, 0.8);
}

TEST(PiiScanner, RejectsBadConfiguration) {
  auto invalid_regex = PiiScanner::create({{{"broken", "a(b", 0.9}}, {}});
  ASSERT_FALSE(invalid_regex.ok());
  EXPECT_NE(invalid_regex.error().message().find("BROKEN"), std::string::npos) << invalid_regex.error().message();
  EXPECT_FALSE(PiiScanner::create({{{"EMAIL", "x+", 0.9}}, {}}).ok());      // clashes with a built-in
  EXPECT_FALSE(PiiScanner::create({{{"9lives", "x+", 0.9}}, {}}).ok());     // bad name
  EXPECT_FALSE(PiiScanner::create({{{"empty", "x*", 0.9}}, {}}).ok());      // matches the empty string
  EXPECT_FALSE(PiiScanner::create({{{"conf", "x+", 1.5}}, {}}).ok());       // confidence out of range
  EXPECT_FALSE(PiiScanner::create({{}, {"NOT_A_KIND"}}).ok());
}

}  // namespace
}  // namespace occam::rules
