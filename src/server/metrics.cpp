#include "server/metrics.h"

#include <fmt/format.h>

namespace occam::server {

std::string prometheus_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i]) ++i;
  if (i < kLatencyBounds.size()) ++buckets_[i];
  ++count_;
  sum_ += seconds;
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string_view sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += buckets_[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kLatencyBounds[i], cumulative);
  }
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
  std::string braces = labels.empty() ? std::string() : fmt::format("{{{}}}", labels);
  out += fmt::format("{}_sum{} {}\n", name, braces, sum_);
  out += fmt::format("{}_count{} {}\n", name, braces, count_);
}

void Metrics::observe_request(std::string_view endpoint, std::string_view model, int status, double seconds,
                              double overhead_seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[Key3(std::string(endpoint), std::string(model), status)];
  latency_[Key2(std::string(endpoint), std::string(model))].observe(seconds);
  overhead_[std::string(endpoint)].observe(overhead_seconds);
}

void Metrics::add_tokens(std::string_view model, int64_t prompt, int64_t completion, double cost) {
  std::lock_guard lock(mutex_);
  auto& t = tokens_[std::string(model)];
  t[0] += prompt;
  t[1] += completion;
  cost_[std::string(model)] += cost;
}

void Metrics::add_error(std::string_view model, std::string_view type) {
  std::lock_guard lock(mutex_);
  ++errors_[Key2(std::string(model), std::string(type))];
}

void Metrics::add_fallback(std::string_view from, std::string_view to) {
  std::lock_guard lock(mutex_);
  ++fallbacks_[Key2(std::string(from), std::string(to))];
}

std::string Metrics::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  out += "# HELP occam_requests_total HTTP requests answered, by endpoint, model and status.\n";
  out += "# TYPE occam_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("occam_requests_total{{endpoint=\"{}\",model=\"{}\",status=\"{}\"}} {}\n",
                       prometheus_escape(std::get<0>(key)), prometheus_escape(std::get<1>(key)), std::get<2>(key), n);
  }
  out += "# HELP occam_request_duration_seconds Time from a complete request to the end of its answer.\n";
  out += "# TYPE occam_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    h.render(out, "occam_request_duration_seconds",
             fmt::format("endpoint=\"{}\",model=\"{}\"", prometheus_escape(key.first), prometheus_escape(key.second)));
  }
  out += "# HELP occam_overhead_seconds Time spent in occam itself, excluding the backend.\n";
  out += "# TYPE occam_overhead_seconds histogram\n";
  for (const auto& [endpoint, h] : overhead_) {
    h.render(out, "occam_overhead_seconds", fmt::format("endpoint=\"{}\"", prometheus_escape(endpoint)));
  }
  out += "# HELP occam_tokens_total Tokens processed, by model and kind (prompt, completion).\n";
  out += "# TYPE occam_tokens_total counter\n";
  for (const auto& [model, t] : tokens_) {
    out += fmt::format("occam_tokens_total{{model=\"{}\",kind=\"prompt\"}} {}\n", prometheus_escape(model), t[0]);
    out += fmt::format("occam_tokens_total{{model=\"{}\",kind=\"completion\"}} {}\n", prometheus_escape(model), t[1]);
  }
  out += "# HELP occam_cost_total Cost of the tokens at the configured prices, by model.\n";
  out += "# TYPE occam_cost_total counter\n";
  for (const auto& [model, c] : cost_) {
    out += fmt::format("occam_cost_total{{model=\"{}\"}} {}\n", prometheus_escape(model), c);
  }
  out += "# HELP occam_errors_total Failed requests, by model and error type.\n";
  out += "# TYPE occam_errors_total counter\n";
  for (const auto& [key, n] : errors_) {
    out += fmt::format("occam_errors_total{{model=\"{}\",type=\"{}\"}} {}\n", prometheus_escape(key.first),
                       prometheus_escape(key.second), n);
  }
  out += "# HELP occam_fallbacks_total Requests moved to a fallback model, by original and fallback model.\n";
  out += "# TYPE occam_fallbacks_total counter\n";
  for (const auto& [key, n] : fallbacks_) {
    out += fmt::format("occam_fallbacks_total{{from=\"{}\",to=\"{}\"}} {}\n", prometheus_escape(key.first),
                       prometheus_escape(key.second), n);
  }
  out += "# HELP occam_connections_open Client connections currently open.\n";
  out += "# TYPE occam_connections_open gauge\n";
  out += fmt::format("occam_connections_open {}\n", connections_open.load());
  out += "# HELP occam_connections_total Client connections accepted.\n";
  out += "# TYPE occam_connections_total counter\n";
  out += fmt::format("occam_connections_total {}\n", connections_total.load());
  out += "# HELP occam_requests_in_flight Requests being answered by a backend.\n";
  out += "# TYPE occam_requests_in_flight gauge\n";
  out += fmt::format("occam_requests_in_flight {}\n", requests_in_flight.load());
  out += "# HELP occam_requests_queued Requests waiting for a backend slot.\n";
  out += "# TYPE occam_requests_queued gauge\n";
  out += fmt::format("occam_requests_queued {}\n", requests_queued.load());
  return out;
}

}  // namespace occam::server
