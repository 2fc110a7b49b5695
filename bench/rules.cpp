// bench_rules: PII scan throughput (MB/s) and per-request latency (p50/p99) on ~500-byte support
// tickets, against a naive reference measured in the same run: every candidate pattern compiled
// separately with RE2 and run one after the other over the ticket (finding matches only, without
// the checksum confirmation the real scanner also does). The router's whole decision budget is
// 100 µs p99. Tickets are French (sib200_fr) and English (banking77) sentences with e-mails, phone
// numbers, IBANs and card numbers mixed in (fixed seed); needs ../shared (or $OCCAM_SHARED).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include "core/shared_data.h"
#include "rules/pii.h"

namespace {

using Clock = std::chrono::steady_clock;

// The "text" field of the first `limit` JSONL rows (the field is the first one in these files).
std::vector<std::string> load_texts(const std::string& relative, std::size_t limit) {
  std::vector<std::string> texts;
  auto path = occam::shared_path(relative);
  if (!path.ok()) return texts;
  std::ifstream in(*path);
  std::string line;
  while (texts.size() < limit && std::getline(in, line)) {
    const std::string key = "\"text\": \"";
    std::size_t start = line.find(key);
    if (start == std::string::npos) continue;
    start += key.size();
    std::string text;
    for (std::size_t i = start; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;  // keep escaped quotes/backslashes as plain chars
      text.push_back(line[i]);
    }
    texts.push_back(std::move(text));
  }
  return texts;
}

std::vector<std::string> make_tickets(std::size_t count) {
  std::vector<std::string> french = load_texts("datasets/sib200_fr/sib200_fr.jsonl", 1004);
  std::vector<std::string> english = load_texts("datasets/banking77/banking77.jsonl", 3000);
  if (french.empty() || english.empty()) return {};
  const char* pii[] = {"jean.dupont@exemple.fr", "06 12 34 56 78", "FR76 3000 6000 0112 3456 7890 189",
                       "+33 1 84 17 61 18", "4111 1111 1111 1111", "support@mail.example.com",
                       "1 84 12 76 451 089 46", "192.168.10.4"};
  std::mt19937_64 rng(42);
  std::vector<std::string> tickets;
  for (std::size_t t = 0; t < count; ++t) {
    const auto& pool = t % 2 ? english : french;
    std::string ticket;
    int seeded = 0;
    while (ticket.size() < 470) {
      ticket += pool[rng() % pool.size()];
      ticket += ' ';
      if (seeded < 2 && rng() % 2) {
        ticket += std::string("contact ") + pii[rng() % std::size(pii)] + ". ";
        ++seeded;
      }
    }
    ticket.resize(std::min<std::size_t>(ticket.size(), 520));
    tickets.push_back(std::move(ticket));
  }
  return tickets;
}

struct Timing {
  double p50_us = 0;
  double p99_us = 0;
  double mb_per_s = 0;
};

template <typename Scan>
Timing measure(const std::vector<std::string>& tickets, int rounds, const Scan& scan) {
  std::vector<double> latencies;
  latencies.reserve(tickets.size() * static_cast<std::size_t>(rounds));
  std::size_t bytes = 0;
  double total_s = 0;
  for (int r = 0; r < rounds; ++r) {
    for (const std::string& ticket : tickets) {
      auto start = Clock::now();
      scan(ticket);
      double s = std::chrono::duration<double>(Clock::now() - start).count();
      latencies.push_back(s * 1e6);
      total_s += s;
      bytes += ticket.size();
    }
  }
  std::sort(latencies.begin(), latencies.end());
  Timing t;
  t.p50_us = latencies[latencies.size() / 2];
  t.p99_us = latencies[latencies.size() * 99 / 100];
  t.mb_per_s = static_cast<double>(bytes) / total_s / 1e6;
  return t;
}

}  // namespace

int main() {
  auto compile_start = Clock::now();
  auto scanner = occam::rules::PiiScanner::create();
  double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - compile_start).count();
  if (!scanner.ok()) {
    std::fprintf(stderr, "bench_rules: %s\n", scanner.error().message().c_str());
    return 1;
  }
  std::vector<std::string> tickets = make_tickets(400);
  if (tickets.empty()) {
    std::fprintf(stderr, "bench_rules: datasets not found under the shared folder ($OCCAM_SHARED)\n");
    return 1;
  }
  std::size_t total_bytes = 0;
  for (const auto& t : tickets) total_bytes += t.size();

  // Naive reference: one RE2 per pattern (bytes, as the scanner sees them), each run over the text.
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  std::vector<std::unique_ptr<RE2>> naive;
  for (const auto& [kind, regex] : scanner->patterns()) {
    auto re = std::make_unique<RE2>(regex, options);
    if (!re->ok()) {
      std::fprintf(stderr, "bench_rules: RE2 rejects the %s pattern: %s\n", kind.c_str(), re->error().c_str());
      return 1;
    }
    naive.push_back(std::move(re));
  }

  std::size_t findings = 0;
  auto ours = [&](const std::string& ticket) {
    auto result = scanner->scan(ticket);
    findings += result.ok() ? result->size() : 0;
    benchmark::DoNotOptimize(result);
  };
  std::size_t naive_matches = 0;
  auto reference = [&](const std::string& ticket) {
    for (const auto& re : naive) {
      re2::StringPiece match;
      std::size_t pos = 0;
      while (pos <= ticket.size() &&
             re->Match(ticket, pos, ticket.size(), RE2::UNANCHORED, &match, 1)) {
        ++naive_matches;
        pos = static_cast<std::size_t>(match.data() - ticket.data()) + std::max<std::size_t>(match.size(), 1);
      }
    }
  };

  measure(tickets, 2, ours);  // warm-up (page faults, scratch pool, caches)
  measure(tickets, 2, reference);
  findings = naive_matches = 0;
  const int rounds = 25;
  Timing occam_t = measure(tickets, rounds, ours);
  double findings_per_ticket = static_cast<double>(findings) / static_cast<double>(tickets.size() * rounds);
  Timing naive_t = measure(tickets, rounds, reference);

  // Throughput on one long text (all tickets joined, ~200 KB), where per-call overhead vanishes.
  std::string joined;
  for (const auto& t : tickets) joined += t + "\n";
  Timing occam_long = measure({joined}, 20, ours);
  Timing naive_long = measure({joined}, 20, reference);

  std::printf("rules/pii: %zu tickets, mean %zu bytes, %zu patterns; database compile %.0f ms\n", tickets.size(),
              total_bytes / tickets.size(), naive.size(), compile_ms);
  std::printf("%-34s %10s %10s %10s\n", "", "p50 µs", "p99 µs", "MB/s");
  std::printf("%-34s %10.2f %10.2f %10.1f\n", "occam (1 Vectorscan pass+confirm)", occam_t.p50_us, occam_t.p99_us,
              occam_t.mb_per_s);
  std::printf("%-34s %10.2f %10.2f %10.1f\n", "naive (RE2 per pattern, no confirm)", naive_t.p50_us,
              naive_t.p99_us, naive_t.mb_per_s);
  std::printf("%-34s %10s %10s %10.1f\n", "occam, one 200 KB text", "", "", occam_long.mb_per_s);
  std::printf("%-34s %10s %10s %10.1f\n", "naive, one 200 KB text", "", "", naive_long.mb_per_s);
  std::printf("ratio naive/occam: p50 %.1fx, p99 %.1fx, throughput %.1fx (ticket), %.1fx (long text)\n",
              naive_t.p50_us / occam_t.p50_us, naive_t.p99_us / occam_t.p99_us, occam_t.mb_per_s / naive_t.mb_per_s,
              occam_long.mb_per_s / naive_long.mb_per_s);
  std::printf("findings per ticket (occam): %.2f; router budget 100 µs p99: %s\n",
              findings_per_ticket, occam_t.p99_us <= 100 ? "met" : "MISSED");
  return 0;
}
