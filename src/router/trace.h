// The decision trace carried by every routed answer (`occam` JSON field, `x-occam-route` header) and
// written to the request log: which policies decided what, which tiers were tried, their verdicts and
// their accounting (latency, tokens, cost, energy), and the cost the all-LLM baseline would have had.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.h"

namespace occam::store {
struct RequestRecord;
}

namespace occam::router {

struct PolicyStep {
  std::string policy;   // registry kind: rules, classifier, complexity, cascade
  std::string outcome;  // e.g. "tiers=small,big", "pin_local", "refuse", "pass"
  std::string detail;   // rule name, label, ...
  double score = NAN;   // confidence or complexity score when the policy has one
  double threshold = NAN;
};

struct Verdict {
  std::string verifier;
  bool passed = false;
  double score = NAN;
  std::string reason;
};

struct Attempt {
  std::string model;
  bool local = false;
  bool redacted = false;  // PII replaced by placeholders before the call
  double latency_ms = 0;
  double cpu_ms = 0;  // measured CPU time of the calling thread (local tiers' energy)
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  double cost = 0;
  double energy_j = 0;
  std::string error;  // a backend fault ("" when it answered)
  std::vector<Verdict> verdicts;
  bool accepted = false;  // this attempt's answer was returned
};

struct Trace {
  std::string request_id;
  std::string route;
  int64_t unix_ms = 0;
  std::vector<PolicyStep> policies;
  std::vector<std::string> plan;       // the tiers the policies chose, in order (before any ran)
  std::vector<std::string> pii_kinds;  // kinds found in the request (never the values)
  int redactions = 0;                  // placeholders sent instead of values
  std::vector<Attempt> attempts;
  std::string answered_by;
  bool refused = false;
  std::string refusal;
  double decision_us = 0;     // policies only
  double latency_ms = 0;      // whole request
  int64_t prompt_tokens = 0;  // sums over attempts
  int64_t completion_tokens = 0;
  double cost = 0;
  double energy_j = 0;
  std::string baseline_model;
  double baseline_cost = 0;

  int escalations() const;
  int verify_failures() const;
};

boost::json::object trace_to_json(const Trace& trace);
Result<Trace> trace_from_json(std::string_view json);
// Compact, header-safe: "route=auto; path=rules:pass,complexity:0.71>=0.50;
// tiers=small(fail:mean_logprob),big; answered=big; cost=0.000120; baseline=0.000300; ms=812.4".
std::string trace_header(const Trace& trace);
// The part of the header known once the policies have decided, before any tier ran (the `x-occam-route`
// of a stream, sent with its first bytes): "route=auto; id=rt-…; path=rules:pass,complexity:small:0.812/
// 0.742; plan=small>big" (or "; refused"). trace_header() starts with the same route, id and path.
std::string trace_decision_header(const Trace& trace);
// The request-log row of a trace.
store::RequestRecord trace_to_record(const Trace& trace);

}  // namespace occam::router
