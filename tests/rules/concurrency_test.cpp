// PiiScanner is shared by request threads: concurrent scans must give the single-threaded results.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "generators.h"
#include "rules/pii.h"

namespace occam::rules {
namespace {

TEST(PiiScanner, ConcurrentScansMatchSequentialOnes) {
  auto scanner = PiiScanner::create();
  ASSERT_TRUE(scanner.ok());
  testgen::Rng rng(99);
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    texts.push_back("Client " + testgen::random_email(rng) + ", tél " + testgen::random_french_phone(rng) +
                    ", IBAN " + testgen::random_iban(rng) + ", carte " + testgen::random_card(rng) + ", NIR " +
                    testgen::random_nir(rng) + ".");
  }
  std::vector<std::vector<Finding>> expected;
  for (const auto& t : texts) expected.push_back(scanner->scan(t).value());

  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < texts.size(); ++i) {
          auto got = scanner->scan(texts[i]);
          if (!got.ok() || *got != expected[i]) ++mismatches[static_cast<std::size_t>(k)];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kThreads; ++k) EXPECT_EQ(mismatches[static_cast<std::size_t>(k)], 0) << "thread " << k;
  for (const auto& e : expected) EXPECT_EQ(e.size(), 5u);
}

}  // namespace
}  // namespace occam::rules
