// Prometheus metrics of the gateway, written in the text exposition format (version 0.0.4) by hand:
// requests and errors per endpoint, model and status; latency and occam-overhead histograms; tokens and
// cost per model; fallbacks; open connections and in-flight requests.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace occam::server {

class Histogram {
 public:
  static constexpr std::array<double, 14> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(double seconds);
  // Appends `name_bucket{labels,le=...}`, `name_sum`, `name_count` lines.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<uint64_t, kLatencyBounds.size()> buckets_{};  // non-cumulative counts
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Metrics {
 public:
  void observe_request(std::string_view endpoint, std::string_view model, int status, double seconds,
                       double overhead_seconds);
  void add_tokens(std::string_view model, int64_t prompt, int64_t completion, double cost);
  void add_error(std::string_view model, std::string_view type);
  void add_fallback(std::string_view from, std::string_view to);

  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> connections_total{0};
  std::atomic<int64_t> requests_in_flight{0};
  std::atomic<int64_t> requests_queued{0};

  std::string render() const;

 private:
  using Key3 = std::tuple<std::string, std::string, int>;
  using Key2 = std::pair<std::string, std::string>;
  mutable std::mutex mutex_;
  std::map<Key3, uint64_t> requests_;            // endpoint, model, status
  std::map<Key2, Histogram> latency_;            // endpoint, model
  std::map<std::string, Histogram> overhead_;    // endpoint
  std::map<std::string, std::array<int64_t, 2>> tokens_;  // model -> prompt, completion
  std::map<std::string, double> cost_;           // model -> EUR/USD as priced in the config
  std::map<Key2, uint64_t> errors_;              // model, type
  std::map<Key2, uint64_t> fallbacks_;           // from, to
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string prometheus_escape(std::string_view value);

}  // namespace occam::server
