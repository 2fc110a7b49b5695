// The router: per route, a chain of policies (rules, classifier, complexity, cascade) turns a request into
// a plan (which tiers, in which order, local only or redacted, or refused); the plan runs tier by tier with
// verifiers between tiers; every request gets a decision trace with the accounting of every attempt.
//
//   auto router = router::Router::create(root_config, models);   // routes: + the models' backends
//   auto answer = co_await router->generate("auto", request, sink);
//   answer->trace  // policy path, attempts, verdicts, latency, tokens, cost, energy, baseline cost
//
// docs/router.md documents the `routes:` section of occam.yaml.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "backends/backend.h"
#include "core/config.h"
#include "core/error.h"
#include "router/trace.h"
#include "rules/pii.h"

namespace occam::store {
class RequestLog;
}
namespace occam::ml {
class Classifier;
}

namespace occam::router {

using backends::Task;

// What every policy sees: the request and facts computed once per request, in cheap passes that copy no
// text in the common case (one user message, or a completion prompt: `text` points into the request).
// Not copyable: `text` may point into `joined_`. Policies that score the text share one featurization per
// request through the caches below (two complexity policies with the same hash size, or the same
// classifier model named twice, compute it once).
struct RequestView {
  RequestView() = default;
  RequestView(const RequestView&) = delete;
  RequestView& operator=(const RequestView&) = delete;

  const backends::GenerateRequest* request = nullptr;
  std::string_view text;       // user and system content, joined by '\n' (chat) or the prompt
  std::string_view last_user;  // the last user message (what classifiers score)
  std::string_view tenant;
  std::span<const std::string> tags;
  std::vector<rules::Finding> pii;  // over every message, assistant and tool turns included
  bool pii_scanned = false;
  int64_t approx_tokens = 0;  // ~ bytes / 4 (cheap; policies need an order of magnitude)
  std::string_view language;  // "fr", "en" or "" (stop-word vote)

  // The complexity features of `last_user` for a hash size, computed on first use.
  const std::vector<std::pair<uint32_t, float>>& complexity_features(uint32_t hash_bits) const;

  // Per-label probabilities of a classifier for `last_user`, computed on first use (one entry per model).
  std::span<const float> class_probabilities(const ml::Classifier& classifier) const;

 private:
  friend Status build_request_view(const backends::GenerateRequest&, const rules::PiiScanner*, RequestView&);
  std::string joined_;  // storage of `text` when several messages make it up
  mutable uint32_t complexity_bits_ = 0;
  mutable std::vector<std::pair<uint32_t, float>> complexity_;
  mutable std::vector<std::pair<const ml::Classifier*, std::vector<float>>> probabilities_;
};

// What the policies build; each may narrow or fix it.
struct Plan {
  std::vector<std::string> tiers;  // models to try, cheapest first
  bool local_only = false;
  bool redact = false;
  bool refused = false;
  std::string refusal;
  bool decided = false;  // a policy fixed the tiers: later policies only add constraints
};

// Per-model facts the router needs besides the backend: where it runs and what it costs.
struct TierInfo {
  std::string name;
  bool local = false;
  double input_per_mtok = 0;  // price, per million tokens
  double output_per_mtok = 0;
  double watts = 0;             // local: energy = measured CPU seconds x watts
  double joules_per_token = 0;  // remote: energy = tokens x joules_per_token
  backends::Backend* backend = nullptr;
};

struct PolicyContext {
  const std::map<std::string, TierInfo, std::less<>>* tiers = nullptr;
  std::filesystem::path base_dir;  // relative model files are resolved against the config's folder
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Updates the plan and appends what it did to the trace. An error is a policy that could not run
  // (e.g. a PII scan failed): the route's on_error decides (refuse by default).
  virtual Status decide(const RequestView& request, Plan& plan, PolicyStep& step) const = 0;
};

using PolicyFactory = std::function<Result<std::unique_ptr<Policy>>(const ConfigNode&, const PolicyContext&)>;
std::map<std::string, PolicyFactory, std::less<>>& policy_registry();
struct PolicyRegistration {
  PolicyRegistration(std::string kind, PolicyFactory factory) {
    policy_registry()[std::move(kind)] = std::move(factory);
  }
};

// ---- verifiers ------------------------------------------------------------------------------------

struct VerifyInput {
  const backends::GenerateRequest* request = nullptr;
  const backends::GenerateResult* result = nullptr;
  const TierInfo* tier = nullptr;          // the tier that produced the answer (agreement resamples it)
  backends::Usage* extra_usage = nullptr;  // tokens a verifier spent itself (charged to the attempt)
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual std::string_view kind() const = 0;
  // Adjusts a tier's request before the call (e.g. ask for logprobs). Only for tiers whose answer can
  // still be escalated, so a client never receives what it did not ask for.
  virtual void prepare(backends::GenerateRequest& request) const { (void)request; }
  // A verdict (passed or not, with a reason and a score), or an error when the check could not run.
  virtual Task<Result<Verdict>> verify(const VerifyInput& input) const = 0;
};

using VerifierFactory =
    std::function<Result<std::unique_ptr<Verifier>>(const ConfigNode&, const PolicyContext&)>;
std::map<std::string, VerifierFactory, std::less<>>& verifier_registry();
struct VerifierRegistration {
  VerifierRegistration(std::string kind, VerifierFactory factory) {
    verifier_registry()[std::move(kind)] = std::move(factory);
  }
};

// ---- the router -----------------------------------------------------------------------------------

struct RouteAnswer {
  backends::GenerateResult result;  // restored (redaction undone) when the answer came from a redacted call
  Trace trace;
};

struct Route;

class Router {
 public:
  // `root` is the whole occam.yaml (reads `routes:`, and `price` of `models:`);
  // `backends` maps model names to their backends (owned by the caller, e.g. the gateway).
  static Result<std::unique_ptr<Router>> create(const ConfigNode& root,
                                                const std::map<std::string, backends::Backend*>& backends,
                                                std::filesystem::path base_dir = {});
  ~Router();

  bool has_route(std::string_view name) const;
  std::vector<std::string> route_names() const;

  // Runs the route. Refusals are answers with trace.refused set and an error whose code is
  // permission_denied (policy refusal) or unavailable (every tier failed); the trace is always filled.
  // With a sink, only the final tier's answer is streamed: earlier tiers are verified before anything
  // reaches the client, so a cascade streams its last attempt only (documented in docs/router.md).
  Task<Result<RouteAnswer>> generate(std::string_view route, const backends::GenerateRequest& request,
                                     const backends::DeltaSink* sink, Trace* trace_out = nullptr) const;

  // Only the decision (policies), for benchmarks and `occam explain`-style dry runs.
  Result<Plan> decide(std::string_view route, const backends::GenerateRequest& request, Trace& trace) const;

  // Every trace is also appended here (not owned; may be null).
  void set_request_log(store::RequestLog* log) { log_ = log; }

 private:
  Router();
  std::map<std::string, std::unique_ptr<Route>, std::less<>> routes_;
  std::unique_ptr<rules::PiiScanner> scanner_;
  store::RequestLog* log_ = nullptr;
};

// Fills `view` with a request's facts (text, language, token estimate, PII when a scanner is given).
// An error is a PII scan that could not run.
Status build_request_view(const backends::GenerateRequest& request, const rules::PiiScanner* scanner,
                          RequestView& view);

}  // namespace occam::router

#define OCCAM_REGISTER_POLICY(kind, factory) \
  static ::occam::router::PolicyRegistration OCCAM_CONCAT(occam_policy_registration_, __LINE__)(kind, factory)
#define OCCAM_REGISTER_VERIFIER(kind, factory)                                                            \
  static ::occam::router::VerifierRegistration OCCAM_CONCAT(occam_verifier_registration_, __LINE__)(kind, \
                                                                                                    factory)
