#include "router/trace.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "store/request_log.h"

namespace occam::router {
namespace json = boost::json;
namespace {

json::value number_or_null(double v) {
  return std::isfinite(v) ? json::value(v) : json::value(nullptr);
}

double number_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return NAN;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return NAN;
}
int64_t int_of(const json::object& o, std::string_view key) {
  double d = number_of(o, key);
  return std::isfinite(d) ? static_cast<int64_t>(d) : 0;
}
std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
bool bool_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}
const json::array* array_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

// Header values must stay on one line of visible ASCII.
std::string header_safe(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 0x21 && c <= 0x7e && c != ';' && c != ',') ? c : '_';
  return out;
}

}  // namespace

int Trace::escalations() const {
  return answered_by.empty() || attempts.empty() ? 0 : static_cast<int>(attempts.size()) - 1;
}

int Trace::verify_failures() const {
  int n = 0;
  for (const Attempt& a : attempts)
    for (const Verdict& v : a.verdicts) n += v.passed ? 0 : 1;
  return n;
}

json::object trace_to_json(const Trace& t) {
  json::object o;
  o["request_id"] = t.request_id;
  o["route"] = t.route;
  o["unix_ms"] = t.unix_ms;
  json::array policies;
  for (const PolicyStep& p : t.policies) {
    json::object s;
    s["policy"] = p.policy;
    s["outcome"] = p.outcome;
    if (!p.detail.empty()) s["detail"] = p.detail;
    s["score"] = number_or_null(p.score);
    s["threshold"] = number_or_null(p.threshold);
    policies.push_back(std::move(s));
  }
  o["policies"] = std::move(policies);
  json::array plan;
  for (const std::string& m : t.plan) plan.push_back(json::value(m));
  o["plan"] = std::move(plan);
  json::array kinds;
  for (const std::string& k : t.pii_kinds) kinds.push_back(json::value(k));
  o["pii_kinds"] = std::move(kinds);
  o["redactions"] = t.redactions;
  json::array attempts;
  for (const Attempt& a : t.attempts) {
    json::object s;
    s["model"] = a.model;
    s["local"] = a.local;
    s["redacted"] = a.redacted;
    s["latency_ms"] = a.latency_ms;
    s["cpu_ms"] = a.cpu_ms;
    s["prompt_tokens"] = a.prompt_tokens;
    s["completion_tokens"] = a.completion_tokens;
    s["cost"] = a.cost;
    s["energy_j"] = a.energy_j;
    if (!a.error.empty()) s["error"] = a.error;
    json::array verdicts;
    for (const Verdict& v : a.verdicts) {
      json::object d;
      d["verifier"] = v.verifier;
      d["passed"] = v.passed;
      d["score"] = number_or_null(v.score);
      d["reason"] = v.reason;
      verdicts.push_back(std::move(d));
    }
    s["verdicts"] = std::move(verdicts);
    s["accepted"] = a.accepted;
    attempts.push_back(std::move(s));
  }
  o["attempts"] = std::move(attempts);
  o["answered_by"] = t.answered_by;
  o["refused"] = t.refused;
  if (t.refused) o["refusal"] = t.refusal;
  o["decision_us"] = t.decision_us;
  o["latency_ms"] = t.latency_ms;
  o["prompt_tokens"] = t.prompt_tokens;
  o["completion_tokens"] = t.completion_tokens;
  o["cost"] = t.cost;
  o["energy_j"] = t.energy_j;
  o["baseline_model"] = t.baseline_model;
  o["baseline_cost"] = t.baseline_cost;
  return o;
}

Result<Trace> trace_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorCode::invalid_argument, "trace: not a JSON object");
  const json::object& o = v.get_object();
  Trace t;
  t.request_id = string_of(o, "request_id");
  t.route = string_of(o, "route");
  t.unix_ms = int_of(o, "unix_ms");
  if (const json::array* ps = array_of(o, "policies")) {
    for (const json::value& pv : *ps) {
      if (!pv.is_object()) continue;
      const json::object& p = pv.get_object();
      t.policies.push_back({string_of(p, "policy"), string_of(p, "outcome"), string_of(p, "detail"),
                            number_of(p, "score"), number_of(p, "threshold")});
    }
  }
  if (const json::array* ms = array_of(o, "plan"))
    for (const json::value& m : *ms)
      if (m.is_string()) t.plan.emplace_back(m.get_string());
  if (const json::array* ks = array_of(o, "pii_kinds"))
    for (const json::value& k : *ks)
      if (k.is_string()) t.pii_kinds.emplace_back(k.get_string());
  t.redactions = static_cast<int>(int_of(o, "redactions"));
  if (const json::array* as = array_of(o, "attempts")) {
    for (const json::value& av : *as) {
      if (!av.is_object()) continue;
      const json::object& a = av.get_object();
      Attempt at;
      at.model = string_of(a, "model");
      at.local = bool_of(a, "local");
      at.redacted = bool_of(a, "redacted");
      at.latency_ms = number_of(a, "latency_ms");
      at.cpu_ms = number_of(a, "cpu_ms");
      at.prompt_tokens = int_of(a, "prompt_tokens");
      at.completion_tokens = int_of(a, "completion_tokens");
      at.cost = number_of(a, "cost");
      at.energy_j = number_of(a, "energy_j");
      at.error = string_of(a, "error");
      at.accepted = bool_of(a, "accepted");
      if (const json::array* vs = array_of(a, "verdicts")) {
        for (const json::value& dv : *vs) {
          if (!dv.is_object()) continue;
          const json::object& d = dv.get_object();
          at.verdicts.push_back({string_of(d, "verifier"), bool_of(d, "passed"), number_of(d, "score"),
                                 string_of(d, "reason")});
        }
      }
      t.attempts.push_back(std::move(at));
    }
  }
  t.answered_by = string_of(o, "answered_by");
  t.refused = bool_of(o, "refused");
  t.refusal = string_of(o, "refusal");
  t.decision_us = number_of(o, "decision_us");
  t.latency_ms = number_of(o, "latency_ms");
  t.prompt_tokens = int_of(o, "prompt_tokens");
  t.completion_tokens = int_of(o, "completion_tokens");
  t.cost = number_of(o, "cost");
  t.energy_j = number_of(o, "energy_j");
  t.baseline_model = string_of(o, "baseline_model");
  t.baseline_cost = number_of(o, "baseline_cost");
  return t;
}

namespace {

// "route=…; id=…; path=…": shared by the decision header and the full one.
std::string route_and_path(const Trace& t) {
  std::string out = fmt::format("route={}; id={}; path=", header_safe(t.route), header_safe(t.request_id));
  for (size_t i = 0; i < t.policies.size(); ++i) {
    const PolicyStep& p = t.policies[i];
    if (i) out += ',';
    out += header_safe(p.policy) + ':' + header_safe(p.outcome);
    if (std::isfinite(p.score)) {
      out += fmt::format(":{:.3f}", p.score);
      if (std::isfinite(p.threshold)) out += fmt::format("/{:.3f}", p.threshold);
    }
  }
  return out;
}

}  // namespace

std::string trace_decision_header(const Trace& t) {
  std::string out = route_and_path(t);
  if (t.refused) return out + "; refused";
  out += "; plan=";
  for (size_t i = 0; i < t.plan.size(); ++i) out += (i ? ">" : "") + header_safe(t.plan[i]);
  return out;
}

std::string trace_header(const Trace& t) {
  std::string out = route_and_path(t);
  out += "; tiers=";
  for (size_t i = 0; i < t.attempts.size(); ++i) {
    const Attempt& a = t.attempts[i];
    if (i) out += ',';
    out += header_safe(a.model);
    std::string flags;
    if (!a.error.empty()) flags += "fault";
    for (const Verdict& v : a.verdicts)
      if (!v.passed) flags += (flags.empty() ? "" : "+") + std::string("fail:") + header_safe(v.verifier);
    if (a.redacted) flags += (flags.empty() ? "" : "+") + std::string("redacted");
    if (!flags.empty()) out += '(' + flags + ')';
  }
  if (t.refused) out += "; refused";
  out += fmt::format("; answered={}; tokens={}+{}; cost={:.6f}; baseline={:.6f}; energy_j={:.3f}; ms={:.1f}",
                     t.answered_by.empty() ? "-" : header_safe(t.answered_by), t.prompt_tokens,
                     t.completion_tokens, t.cost, t.baseline_cost, t.energy_j, t.latency_ms);
  return out;
}

store::RequestRecord trace_to_record(const Trace& t) {
  store::RequestRecord r;
  r.request_id = t.request_id;
  r.route = t.route;
  r.unix_ms = t.unix_ms;
  r.answered_by = t.answered_by;
  r.refused = t.refused;
  r.attempts = static_cast<int>(t.attempts.size());
  r.escalations = t.escalations();
  r.verify_failures = t.verify_failures();
  r.latency_ms = t.latency_ms;
  r.prompt_tokens = t.prompt_tokens;
  r.completion_tokens = t.completion_tokens;
  r.cost = t.cost;
  r.baseline_cost = t.baseline_cost;
  r.energy_j = t.energy_j;
  r.trace_json = json::serialize(trace_to_json(t));
  return r;
}

}  // namespace occam::router
