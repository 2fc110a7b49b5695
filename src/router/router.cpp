#include "router/router.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <random>

#include <time.h>

#include "ml/ml.h"
#include "router/complexity.h"
#include "rules/redact.h"
#include "store/request_log.h"

namespace occam::router {
namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string new_request_id() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
  uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  return fmt::format("rt-{:08x}{:08x}", static_cast<uint32_t>(salt >> 16), static_cast<uint32_t>(n ^ salt));
}

// Stop words that tell French from English in a few words (cheap: no model for a language hint). None is
// longer than 4 letters, so a word is packed into a uint32 as it is read and looked up among sorted keys:
// no string, no allocation, longer words are skipped at once.
constexpr uint32_t pack_word(std::string_view w) {
  uint32_t key = 0;
  for (char c : w) key = key << 8 | static_cast<unsigned char>(c);
  return key;
}

template <size_t N>
constexpr std::array<uint32_t, N> packed_sorted(const std::string_view (&words)[N]) {
  std::array<uint32_t, N> keys{};
  for (size_t i = 0; i < N; ++i) keys[i] = pack_word(words[i]);
  std::sort(keys.begin(), keys.end());
  return keys;
}

constexpr std::string_view kFrench[] = {"au",   "avec", "dans", "des", "du",  "elle", "est", "et",
                                        "il",   "je",   "la",   "le",  "les", "ma",   "mes", "mon",
                                        "nous", "pas",  "pour", "que", "qui", "sur",  "une", "vous"};
constexpr std::string_view kEnglish[] = {"and", "are",  "be", "do",  "for", "have", "how",  "i",
                                         "in",  "is",   "it", "my",  "not", "of",   "on",   "that",
                                         "the", "this", "to", "was", "we",  "what", "with", "you"};

std::string_view guess_language(std::string_view text) {
  static constexpr auto fr = packed_sorted(kFrench);
  static constexpr auto en = packed_sorted(kEnglish);
  int f = 0, e = 0;
  uint32_t key = 0;
  size_t len = 0;  // letters in the current word (counted past 4: such a word is no stop word)
  auto flush = [&] {
    if (len > 0 && len <= 4) {
      f += std::binary_search(fr.begin(), fr.end(), key) ? 1 : 0;
      e += std::binary_search(en.begin(), en.end(), key) ? 1 : 0;
    }
    len = 0;
    key = 0;
  };
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      key = key << 8 | static_cast<unsigned char>(c | 0x20);
      ++len;
    } else if (len > 0) {
      flush();
    }
  }
  flush();
  return f > e ? "fr" : (e > f ? "en" : "");
}

enum class OnError { refuse, escalate };

}  // namespace

std::map<std::string, PolicyFactory, std::less<>>& policy_registry() {
  static std::map<std::string, PolicyFactory, std::less<>> registry;
  return registry;
}

std::map<std::string, VerifierFactory, std::less<>>& verifier_registry() {
  static std::map<std::string, VerifierFactory, std::less<>> registry;
  return registry;
}

struct Route {
  std::string name;
  std::string baseline;  // the all-LLM model whose cost is the counterfactual
  OnError on_error = OnError::refuse;
  std::map<std::string, TierInfo, std::less<>> tiers;
  std::vector<std::pair<std::string, std::unique_ptr<Policy>>> policies;
  std::vector<std::unique_ptr<Verifier>> verifiers;
};

Status build_request_view(const backends::GenerateRequest& request, const rules::PiiScanner* scanner,
                          RequestView& view) {
  view.request = &request;
  bool other_turns = false;  // assistant or tool turns: not routed on, but scanned (they go upstream too)
  if (request.kind == backends::RequestKind::completion) {
    view.text = request.prompt;
    view.last_user = request.prompt;
  } else {
    // One message (the common case) is used in place; several are joined once.
    const backends::Message* only = nullptr;
    size_t routed = 0;
    for (const backends::Message& m : request.messages) {
      if (m.role == "assistant" || m.role == "tool") {
        other_turns = true;
        continue;
      }
      only = &m;
      ++routed;
      if (m.role == "user") view.last_user = m.content;
    }
    if (routed == 1) {
      view.text = only->content;
    } else if (routed > 1) {
      for (const backends::Message& m : request.messages) {
        if (m.role == "assistant" || m.role == "tool") continue;
        if (!view.joined_.empty()) view.joined_ += '\n';
        view.joined_ += m.content;
      }
      view.text = view.joined_;
    }
  }
  view.tenant = request.user;
  view.approx_tokens = static_cast<int64_t>((view.text.size() + 3) / 4);
  view.language = guess_language(view.text);
  if (!scanner) return ok_status();
  auto found = scanner->scan(view.text);
  if (!found.ok()) return std::move(found).error().with_context("PII scan");
  view.pii = std::move(found).value();
  if (other_turns) {
    // Scanned one by one: only the kinds matter to the policies, not offsets into a joined text.
    auto scan_more = [&](std::string_view more) -> Status {
      if (more.empty()) return ok_status();
      auto extra = scanner->scan(more);
      if (!extra.ok()) return std::move(extra).error().with_context("PII scan");
      for (rules::Finding& f : *extra) view.pii.push_back(std::move(f));
      return ok_status();
    };
    for (const backends::Message& m : request.messages) {
      if (m.role != "assistant" && m.role != "tool") continue;
      OCCAM_TRY(scan_more(m.content));
      for (const backends::ToolCall& c : m.tool_calls) OCCAM_TRY(scan_more(c.arguments));
    }
  }
  view.pii_scanned = true;
  return ok_status();
}

const std::vector<std::pair<uint32_t, float>>& RequestView::complexity_features(uint32_t hash_bits) const {
  if (complexity_bits_ != hash_bits) {
    router::complexity_features(last_user, hash_bits, complexity_);
    complexity_bits_ = hash_bits;
  }
  return complexity_;
}

std::span<const float> RequestView::class_probabilities(const ml::Classifier& classifier) const {
  for (const auto& [model, probabilities] : probabilities_)
    if (model == &classifier) return probabilities;
  std::vector<float> p(classifier.labels().size());
  classifier.probabilities(last_user, {}, p, true);
  probabilities_.emplace_back(&classifier, std::move(p));
  return probabilities_.back().second;
}

Router::Router() = default;
Router::~Router() = default;

Result<std::unique_ptr<Router>> Router::create(const ConfigNode& root,
                                               const std::map<std::string, backends::Backend*>& backends,
                                               std::filesystem::path base_dir) {
  std::unique_ptr<Router> router(new Router());
  OCCAM_ASSIGN_OR_RETURN(auto scanner, rules::PiiScanner::create());
  router->scanner_ = std::make_unique<rules::PiiScanner>(std::move(scanner));

  // Every configured model can be a tier: its price comes from `models.<name>.price`.
  std::map<std::string, TierInfo, std::less<>> models;
  ConfigNode models_node = root.child("models");
  if (models_node.present()) {
    OCCAM_ASSIGN_OR_RETURN(auto entries, models_node.entries());
    for (auto& [name, node] : entries) {
      TierInfo info;
      info.name = name;
      // In-process backends (engine, classic, rules) are local; a `remote` one is not, even on loopback,
      // unless a route says so (`tiers: {name: {local: true}}`): a wrong "local" would leak data.
      OCCAM_ASSIGN_OR_RETURN(std::string kind, node.get_string("backend", ""));
      info.local = kind != "remote";
      ConfigNode price = node.child("price");
      if (price.present()) {
        OCCAM_ASSIGN_OR_RETURN(info.input_per_mtok, price.get_double("input_per_mtok", 0));
        OCCAM_ASSIGN_OR_RETURN(info.output_per_mtok, price.get_double("output_per_mtok", 0));
      }
      auto it = backends.find(name);
      info.backend = it == backends.end() ? nullptr : it->second;
      models[name] = std::move(info);
    }
  }
  for (const auto& [name, backend] : backends) {
    if (!models.count(name)) models[name] = TierInfo{name, false, 0, 0, 0, 0, backend};
  }

  ConfigNode routes = root.child("routes");
  if (!routes.present()) return router;
  OCCAM_ASSIGN_OR_RETURN(auto route_entries, routes.entries());
  for (auto& [route_name, node] : route_entries) {
    OCCAM_TRY(node.check_keys({"baseline", "on_error", "tiers", "policies", "verify"}));
    auto route = std::make_unique<Route>();
    route->name = route_name;
    route->tiers = models;
    OCCAM_ASSIGN_OR_RETURN(route->baseline, node.get_string("baseline", ""));
    if (!route->baseline.empty() && !models.count(route->baseline)) {
      return node.child("baseline").error("unknown model '{}'", route->baseline);
    }
    OCCAM_ASSIGN_OR_RETURN(std::string on_error, node.get_string("on_error", "refuse"));
    if (on_error == "refuse") {
      route->on_error = OnError::refuse;
    } else if (on_error == "escalate") {
      route->on_error = OnError::escalate;
    } else {
      return node.child("on_error").error("expected refuse or escalate, found '{}'", on_error);
    }
    ConfigNode tiers = node.child("tiers");
    if (tiers.present()) {
      OCCAM_ASSIGN_OR_RETURN(auto tier_entries, tiers.entries());
      for (auto& [tier_name, tier] : tier_entries) {
        auto it = route->tiers.find(tier_name);
        if (it == route->tiers.end()) return tier.error("unknown model '{}' (not under models:)", tier_name);
        OCCAM_TRY(tier.check_keys({"local", "watts", "joules_per_token"}));
        OCCAM_ASSIGN_OR_RETURN(it->second.local, tier.get_bool("local", it->second.local));
        OCCAM_ASSIGN_OR_RETURN(it->second.watts, tier.get_double("watts", 0));
        OCCAM_ASSIGN_OR_RETURN(it->second.joules_per_token, tier.get_double("joules_per_token", 0));
        if (it->second.watts < 0 || it->second.joules_per_token < 0) return tier.error("energy must be >= 0");
      }
    }
    PolicyContext context{&route->tiers, base_dir};
    // Each item is a one-key map: {kind: settings}.
    auto one_key = [](const ConfigNode& item) -> Result<std::pair<std::string, ConfigNode>> {
      OCCAM_ASSIGN_OR_RETURN(auto kv, item.entries());
      if (kv.size() != 1) return item.error("expected a map with one key (the kind)");
      return kv.front();
    };
    ConfigNode policies = node.child("policies");
    if (!policies.present()) return node.error("a route needs policies (at least a cascade)");
    OCCAM_ASSIGN_OR_RETURN(auto policy_items, policies.items());
    for (const ConfigNode& item : policy_items) {
      OCCAM_ASSIGN_OR_RETURN(auto kv, one_key(item));
      auto factory = policy_registry().find(kv.first);
      if (factory == policy_registry().end()) {
        std::string known;
        for (const auto& [k, f] : policy_registry()) known += (known.empty() ? "" : ", ") + k;
        return item.error("unknown policy '{}' (expected one of: {})", kv.first, known);
      }
      OCCAM_ASSIGN_OR_RETURN(auto policy, factory->second(kv.second, context));
      route->policies.emplace_back(kv.first, std::move(policy));
    }
    ConfigNode verify = node.child("verify");
    if (verify.present()) {
      OCCAM_ASSIGN_OR_RETURN(auto verify_items, verify.items());
      for (const ConfigNode& item : verify_items) {
        OCCAM_ASSIGN_OR_RETURN(auto kv, one_key(item));
        auto factory = verifier_registry().find(kv.first);
        if (factory == verifier_registry().end()) {
          std::string known;
          for (const auto& [k, f] : verifier_registry()) known += (known.empty() ? "" : ", ") + k;
          return item.error("unknown verifier '{}' (expected one of: {})", kv.first, known);
        }
        OCCAM_ASSIGN_OR_RETURN(auto verifier, factory->second(kv.second, context));
        route->verifiers.push_back(std::move(verifier));
      }
    }
    router->routes_[route_name] = std::move(route);
  }
  return router;
}

bool Router::has_route(std::string_view name) const {
  return routes_.find(name) != routes_.end();
}

std::vector<std::string> Router::route_names() const {
  std::vector<std::string> names;
  for (const auto& [name, r] : routes_) names.push_back(name);
  return names;
}

Result<Plan> Router::decide(std::string_view route_name, const backends::GenerateRequest& request,
                            Trace& trace) const {
  auto it = routes_.find(route_name);
  if (it == routes_.end()) return make_error(ErrorCode::not_found, "unknown route '{}'", route_name);
  const Route& route = *it->second;
  auto started = Clock::now();
  trace.route = route.name;
  Plan plan;
  auto refuse = [&](std::string why) {
    plan.refused = true;
    plan.refusal = std::move(why);
  };
  RequestView view;
  if (Status built = build_request_view(request, scanner_.get(), view); !built.ok()) {
    // Fail closed: a request whose PII scan could not run never goes anywhere.
    refuse(fmt::format("fail closed: {}", built.error().message()));
  } else {
    // The kinds found (never the values), sorted and unique.
    for (const rules::Finding& f : view.pii) {
      auto at = std::lower_bound(trace.pii_kinds.begin(), trace.pii_kinds.end(), f.kind);
      if (at == trace.pii_kinds.end() || *at != f.kind) trace.pii_kinds.insert(at, f.kind);
    }
    trace.policies.reserve(route.policies.size());
    for (const auto& [kind, policy] : route.policies) {
      PolicyStep step;
      step.policy = kind;
      Status status = policy->decide(view, plan, step);
      if (!status.ok()) {
        step.outcome = "error";
        step.detail = status.error().message();
        trace.policies.push_back(std::move(step));
        if (route.on_error == OnError::refuse) {
          refuse(fmt::format("fail closed: policy '{}' could not run: {}", kind, status.error().message()));
          break;
        }
        continue;
      }
      trace.policies.push_back(std::move(step));
      if (plan.refused) break;
    }
  }
  if (!plan.refused) {
    if (plan.local_only) {
      std::vector<std::string> local;
      for (const std::string& t : plan.tiers) {
        auto info = route.tiers.find(t);
        if (info != route.tiers.end() && info->second.local) local.push_back(t);
      }
      if (local.empty() && !plan.tiers.empty()) {
        refuse("the request must stay local and the plan has no local tier");
      }
      plan.tiers = std::move(local);
    }
    if (!plan.refused && plan.tiers.empty()) refuse("no policy chose a tier");
  }
  if (plan.refused) {
    trace.refused = true;
    trace.refusal = plan.refusal;
  } else {
    trace.plan = plan.tiers;
  }
  trace.decision_us = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
  return plan;
}

namespace {

// Sends an already generated answer through a sink (a cascade answer that was verified before streaming).
Task<Status> replay(const backends::GenerateResult& result, const backends::DeltaSink& sink) {
  for (const backends::Choice& c : result.choices) {
    backends::Delta d;
    d.index = c.index;
    d.role = "assistant";
    d.content = c.text;
    for (size_t i = 0; i < c.tool_calls.size(); ++i) {
      d.tool_calls.push_back(
          {static_cast<int>(i), c.tool_calls[i].id, c.tool_calls[i].name, c.tool_calls[i].arguments});
    }
    d.finish_reason = c.finish_reason.empty() ? "stop" : c.finish_reason;
    d.logprobs = c.logprobs;
    Status s = co_await sink(d);
    if (!s.ok()) co_return s;
  }
  co_return ok_status();
}

Result<backends::GenerateRequest> redact_request(const backends::GenerateRequest& request,
                                                 rules::Redactor& redactor, int& count) {
  backends::GenerateRequest out = request;
  for (const backends::Message& m : request.messages) {
    redactor.reserve(m.content);
    for (const backends::ToolCall& c : m.tool_calls) redactor.reserve(c.arguments);
  }
  redactor.reserve(request.prompt);
  for (backends::Message& m : out.messages) {
    OCCAM_ASSIGN_OR_RETURN(m.content, redactor.redact(m.content));
    for (backends::ToolCall& c : m.tool_calls) {
      // A placeholder inside a JSON string stays valid JSON: '[', ']', '_' need no escaping.
      OCCAM_ASSIGN_OR_RETURN(c.arguments, redactor.redact(c.arguments));
    }
  }
  if (!out.prompt.empty()) {
    OCCAM_ASSIGN_OR_RETURN(out.prompt, redactor.redact(out.prompt));
  }
  count = static_cast<int>(redactor.placeholders().size());
  return out;
}

void restore_result(backends::GenerateResult& result, const rules::Redactor& redactor) {
  for (backends::Choice& c : result.choices) {
    c.text = redactor.restore(c.text);
    for (backends::ToolCall& t : c.tool_calls) t.arguments = redactor.restore(t.arguments);
  }
}

}  // namespace

Task<Result<RouteAnswer>> Router::generate(std::string_view route_name,
                                           const backends::GenerateRequest& request,
                                           const backends::DeltaSink* sink, Trace* trace_out) const {
  auto started = Clock::now();
  auto it = routes_.find(route_name);
  if (it == routes_.end()) co_return make_error(ErrorCode::not_found, "unknown route '{}'", route_name);
  const Route& route = *it->second;
  RouteAnswer answer;
  Trace& trace = answer.trace;
  trace.request_id = new_request_id();
  trace.unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  trace.baseline_model = route.baseline;
  auto plan_result = decide(route_name, request, trace);
  if (!plan_result.ok()) co_return std::move(plan_result).error();
  Plan plan = std::move(plan_result).value();
  // A streamed answer starts before the attempts are known: its first delta carries the decision, which the
  // gateway sends as the x-occam-route header (the full trace follows in the stream's last chunk).
  backends::DeltaSink announcing_sink;
  if (sink != nullptr) {
    announcing_sink = [sink, header = trace_decision_header(trace),
                       first = true](const backends::Delta& delta) mutable -> Task<Status> {
      if (!first) co_return co_await (*sink)(delta);
      first = false;
      backends::Delta announced = delta;
      announced.route_header = header;
      co_return co_await (*sink)(announced);
    };
    sink = &announcing_sink;
  }

  std::optional<Error> failure;
  if (plan.refused) {
    failure = make_error(ErrorCode::permission_denied, "route '{}' refused the request: {}", route.name,
                         plan.refusal);
  }

  std::unique_ptr<rules::Redactor> redactor;
  std::optional<backends::GenerateRequest> redacted;
  for (size_t i = 0; !failure && i < plan.tiers.size(); ++i) {
    const bool last = i + 1 == plan.tiers.size();
    auto tier_it = route.tiers.find(plan.tiers[i]);
    Attempt attempt;
    attempt.model = plan.tiers[i];
    if (tier_it == route.tiers.end() || !tier_it->second.backend) {
      attempt.error = "no backend configured for this model";
      trace.attempts.push_back(std::move(attempt));
      continue;
    }
    const TierInfo& tier = tier_it->second;
    attempt.local = tier.local;
    const backends::GenerateRequest* to_send = &request;
    if (plan.redact && !tier.local) {
      if (!redacted) {
        redactor = std::make_unique<rules::Redactor>(*scanner_);
        auto r = redact_request(request, *redactor, trace.redactions);
        if (!r.ok()) {
          // Fail closed: never send unredacted text when redaction was asked for.
          trace.attempts.push_back(std::move(attempt));
          failure = make_error(ErrorCode::permission_denied, "fail closed: redaction failed: {}",
                               r.error().message());
          trace.refused = true;
          trace.refusal = failure->message();
          break;
        }
        redacted = std::move(r).value();
      }
      to_send = &*redacted;
      attempt.redacted = true;
    }
    backends::GenerateRequest tier_request = *to_send;
    tier_request.model = tier.name;
    if (!last) {
      for (const auto& verifier : route.verifiers) verifier->prepare(tier_request);
    }

    // Only the last tier streams live; earlier tiers are verified first and replayed when accepted.
    std::map<int, rules::StreamRestorer> restorers;
    backends::DeltaSink restoring_sink;
    const backends::DeltaSink* live_sink = nullptr;
    if (sink && last) {
      live_sink = sink;
      if (attempt.redacted) {
        const rules::Redactor* red = redactor.get();
        restoring_sink = [sink, red, &restorers](const backends::Delta& delta) -> Task<Status> {
          backends::Delta d = delta;
          auto r = restorers.try_emplace(d.index, *red).first;
          d.content = r->second.push(delta.content);
          if (!d.finish_reason.empty()) d.content += r->second.finish();
          for (backends::ToolCallDelta& t : d.tool_calls) t.arguments = red->restore(t.arguments);
          co_return co_await (*sink)(d);
        };
        live_sink = &restoring_sink;
      }
    }
    auto t0 = Clock::now();
    double cpu0 = thread_cpu_ms();
    auto generated = co_await tier.backend->generate(tier_request, live_sink);
    attempt.cpu_ms = thread_cpu_ms() - cpu0;
    attempt.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!generated.ok()) {
      attempt.error = generated.error().message();
      trace.attempts.push_back(std::move(attempt));
      if (live_sink) {
        // Bytes may have reached the client: nothing can be retried behind its back.
        failure = std::move(generated).error();
        break;
      }
      continue;  // a fault escalates
    }
    backends::GenerateResult result = std::move(generated).value();
    attempt.prompt_tokens = result.usage.prompt_tokens;
    attempt.completion_tokens = result.usage.completion_tokens;
    attempt.cost = (static_cast<double>(attempt.prompt_tokens) * tier.input_per_mtok +
                    static_cast<double>(attempt.completion_tokens) * tier.output_per_mtok) /
                   1e6;
    // Verifiers see the answer as the model wrote it (placeholders included).
    bool passed = true;
    backends::Usage extra;
    VerifyInput input{&tier_request, &result, &tier, &extra};
    // Verifiers stand between tiers: the last tier's answer has nowhere to escalate to (and the gateway
    // still validates response_format / tool calls on the way out).
    for (size_t v = 0; !last && v < route.verifiers.size(); ++v) {
      const auto& verifier = route.verifiers[v];
      auto verdict = co_await verifier->verify(input);
      if (!verdict.ok()) {
        Verdict v{std::string(verifier->kind()), false, NAN,
                  fmt::format("could not run: {}", verdict.error().message())};
        attempt.verdicts.push_back(v);
        passed = false;
        if (route.on_error == OnError::refuse) {
          failure = make_error(ErrorCode::permission_denied, "fail closed: verifier '{}' could not run: {}",
                               verifier->kind(), verdict.error().message());
          trace.refused = true;
          trace.refusal = failure->message();
        }
        break;
      }
      attempt.verdicts.push_back(*verdict);
      if (!verdict->passed) {
        passed = false;
        break;
      }
    }
    // What a verifier spent (a second sample) is charged to the attempt it checked; so is its CPU time.
    attempt.prompt_tokens += extra.prompt_tokens;
    attempt.completion_tokens += extra.completion_tokens;
    attempt.cost = (static_cast<double>(attempt.prompt_tokens) * tier.input_per_mtok +
                    static_cast<double>(attempt.completion_tokens) * tier.output_per_mtok) /
                   1e6;
    attempt.cpu_ms = thread_cpu_ms() - cpu0;
    attempt.energy_j = tier.local ? attempt.cpu_ms / 1e3 * tier.watts
                                  : static_cast<double>(attempt.prompt_tokens + attempt.completion_tokens) *
                                        tier.joules_per_token;
    if (failure) {
      trace.attempts.push_back(std::move(attempt));
      break;
    }
    if (!passed && !last) {
      trace.attempts.push_back(std::move(attempt));
      continue;  // escalate
    }
    if (redactor && attempt.redacted) restore_result(result, *redactor);
    if (!request.logprobs && tier_request.logprobs) {
      // Asked for by a verifier, not by the client.
      for (backends::Choice& c : result.choices) c.logprobs.clear();
      result.has_logprobs = false;
    }
    attempt.accepted = true;
    trace.answered_by = tier.name;
    trace.attempts.push_back(std::move(attempt));
    if (sink && !live_sink) {
      Status s = co_await replay(result, *sink);
      if (!s.ok()) failure = std::move(s).error();
    }
    answer.result = std::move(result);
    break;
  }
  if (!failure && trace.answered_by.empty() && !trace.refused) {
    failure = make_error(ErrorCode::unavailable, "route '{}': every tier failed ({} tried)", route.name,
                         trace.attempts.size());
  }

  for (const Attempt& a : trace.attempts) {
    trace.prompt_tokens += a.prompt_tokens;
    trace.completion_tokens += a.completion_tokens;
    trace.cost += a.cost;
    trace.energy_j += a.energy_j;
  }
  if (!route.baseline.empty() && !trace.answered_by.empty()) {
    // The baseline would have read the same prompt and written an answer of the accepted length.
    const TierInfo& base = route.tiers.find(route.baseline)->second;
    const Attempt& accepted = trace.attempts.back();
    trace.baseline_cost = (static_cast<double>(accepted.prompt_tokens) * base.input_per_mtok +
                           static_cast<double>(accepted.completion_tokens) * base.output_per_mtok) /
                          1e6;
  }
  trace.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  if (log_) log_->append(trace_to_record(trace));
  if (trace_out) *trace_out = trace;
  if (failure) co_return std::move(*failure);
  co_return answer;
}

}  // namespace occam::router
