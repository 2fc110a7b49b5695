// Policy `rules`: an ordered list of {name, when, then}. Every rule whose conditions all hold applies:
// constraints (pin_local, redact) accumulate, the first rule that names tiers fixes them, refuse stops.
//
//   - rules:
//       - {name: pii, when: {pii: [EMAIL, IBAN, PHONE, NIR]}, then: redact}
//       - {name: json, when: {json_schema: true}, then: {tiers: [big]}}
//       - {name: secret, when: {pattern: '(?i)confidentiel'}, then: pin_local}
#include <memory>

#include <re2/re2.h>

#include "router/router.h"

namespace occam::router {
namespace {

struct Rule {
  std::string name;
  // Conditions (absent = any).
  std::unique_ptr<RE2> pattern;
  bool pii_any = false;
  std::vector<std::string> pii_kinds;
  std::vector<std::string> languages;
  int64_t min_tokens = -1;
  int64_t max_tokens = -1;
  std::vector<std::string> tenants;
  std::vector<std::string> tags;
  std::optional<bool> json_schema;
  std::optional<bool> tools;
  // Action.
  enum class Action { pin_local, redact, refuse, tiers, pass } action = Action::pass;
  std::vector<std::string> tiers;
  std::string message;

  bool matches(const RequestView& view) const {
    if (pattern && !RE2::PartialMatch(view.text, *pattern)) return false;
    if (pii_any && view.pii.empty()) return false;
    if (!pii_kinds.empty()) {
      bool any = false;
      for (const rules::Finding& f : view.pii)
        for (const std::string& k : pii_kinds) any = any || f.kind == k;
      if (!any) return false;
    }
    if (!languages.empty() && std::find(languages.begin(), languages.end(), view.language) == languages.end())
      return false;
    if (min_tokens >= 0 && view.approx_tokens < min_tokens) return false;
    if (max_tokens >= 0 && view.approx_tokens > max_tokens) return false;
    if (!tenants.empty() && std::find(tenants.begin(), tenants.end(), view.tenant) == tenants.end())
      return false;
    if (!tags.empty()) {
      bool any = false;
      for (const std::string& t : view.tags)
        any = any || std::find(tags.begin(), tags.end(), t) != tags.end();
      if (!any) return false;
    }
    if (json_schema) {
      bool has =
          view.request && view.request->response_format.kind == backends::ResponseFormatKind::json_schema;
      if (has != *json_schema) return false;
    }
    if (tools) {
      bool has = view.request && !view.request->tools.empty();
      if (has != *tools) return false;
    }
    return true;
  }
};

class RulesPolicy final : public Policy {
 public:
  static Result<std::unique_ptr<Policy>> from_config(const ConfigNode& node, const PolicyContext& context) {
    auto policy = std::make_unique<RulesPolicy>();
    OCCAM_ASSIGN_OR_RETURN(auto items, node.items());
    for (const ConfigNode& item : items) {
      OCCAM_TRY(item.check_keys({"name", "when", "then"}));
      Rule rule;
      OCCAM_ASSIGN_OR_RETURN(rule.name,
                             item.get_string("name", fmt::format("rule{}", policy->rules_.size() + 1)));
      ConfigNode when = item.child("when");
      if (when.present()) {
        OCCAM_TRY(when.check_keys({"pattern", "pii", "language", "min_tokens", "max_tokens", "tenant", "tags",
                                   "json_schema", "tools"}));
        ConfigNode pattern = when.child("pattern");
        if (pattern.present()) {
          OCCAM_ASSIGN_OR_RETURN(std::string text, pattern.as_string());
          RE2::Options options;
          options.set_log_errors(false);
          rule.pattern = std::make_unique<RE2>(text, options);
          if (!rule.pattern->ok()) return pattern.error("invalid RE2 pattern: {}", rule.pattern->error());
        }
        ConfigNode pii = when.child("pii");
        if (pii.present()) {
          if (pii.is_scalar()) {
            OCCAM_ASSIGN_OR_RETURN(std::string s, pii.as_string());
            if (s != "any") return pii.error("expected 'any' or a list of PII kinds");
            rule.pii_any = true;
          } else {
            OCCAM_ASSIGN_OR_RETURN(rule.pii_kinds, pii.as_string_list());
            auto known = rules::builtin_pii_kinds();
            for (const std::string& k : rule.pii_kinds)
              if (std::find(known.begin(), known.end(), k) == known.end())
                return pii.error("unknown PII kind '{}'", k);
          }
        }
        if (when.child("language").present()) {
          OCCAM_ASSIGN_OR_RETURN(rule.languages, when.child("language").as_string_list());
        }
        OCCAM_ASSIGN_OR_RETURN(rule.min_tokens, when.get_int("min_tokens", -1, -1));
        OCCAM_ASSIGN_OR_RETURN(rule.max_tokens, when.get_int("max_tokens", -1, -1));
        if (when.child("tenant").present()) {
          OCCAM_ASSIGN_OR_RETURN(rule.tenants, when.child("tenant").as_string_list());
        }
        if (when.child("tags").present()) {
          OCCAM_ASSIGN_OR_RETURN(rule.tags, when.child("tags").as_string_list());
        }
        if (when.child("json_schema").present()) {
          OCCAM_ASSIGN_OR_RETURN(bool b, when.child("json_schema").as_bool());
          rule.json_schema = b;
        }
        if (when.child("tools").present()) {
          OCCAM_ASSIGN_OR_RETURN(bool b, when.child("tools").as_bool());
          rule.tools = b;
        }
      }
      OCCAM_ASSIGN_OR_RETURN(ConfigNode then, item.require("then"));
      if (then.is_scalar()) {
        OCCAM_ASSIGN_OR_RETURN(std::string a, then.as_string());
        if (a == "pin_local") {
          rule.action = Rule::Action::pin_local;
        } else if (a == "redact") {
          rule.action = Rule::Action::redact;
        } else if (a == "refuse") {
          rule.action = Rule::Action::refuse;
          rule.message = fmt::format("rule '{}'", rule.name);
        } else if (a == "pass") {
          rule.action = Rule::Action::pass;
        } else {
          return then.error(
              "expected pin_local, redact, refuse, pass, {{tiers: [...]}} or {{refuse: message}}");
        }
      } else {
        OCCAM_TRY(then.check_keys({"tiers", "model", "refuse"}));
        if (then.child("refuse").present()) {
          rule.action = Rule::Action::refuse;
          OCCAM_ASSIGN_OR_RETURN(rule.message, then.child("refuse").as_string());
        } else if (then.child("tiers").present() || then.child("model").present()) {
          rule.action = Rule::Action::tiers;
          ConfigNode t = then.child("tiers").present() ? then.child("tiers") : then.child("model");
          OCCAM_ASSIGN_OR_RETURN(rule.tiers, t.as_string_list());
          for (const std::string& m : rule.tiers)
            if (!context.tiers->count(m)) return t.error("unknown model '{}'", m);
        } else {
          return then.error("expected tiers, model or refuse");
        }
      }
      policy->rules_.push_back(std::move(rule));
    }
    return std::unique_ptr<Policy>(std::move(policy));
  }

  Status decide(const RequestView& view, Plan& plan, PolicyStep& step) const override {
    std::string matched;
    for (const Rule& rule : rules_) {
      if (!rule.matches(view)) continue;
      matched += (matched.empty() ? "" : "+") + rule.name;
      switch (rule.action) {
        case Rule::Action::pin_local:
          plan.local_only = true;
          break;
        case Rule::Action::redact:
          plan.redact = true;
          break;
        case Rule::Action::refuse:
          plan.refused = true;
          plan.refusal = rule.message;
          break;
        case Rule::Action::tiers:
          if (!plan.decided) {
            plan.tiers = rule.tiers;
            plan.decided = true;
          }
          break;
        case Rule::Action::pass:
          break;
      }
      if (plan.refused) break;
    }
    step.detail = matched;
    step.outcome = plan.refused      ? "refuse"
                   : matched.empty() ? "pass"
                                     : fmt::format("{}{}{}", plan.local_only ? "pin_local " : "",
                                                   plan.redact ? "redact " : "", plan.decided ? "tiers" : "")
                                           .substr(0);
    if (!step.outcome.empty() && step.outcome.back() == ' ') step.outcome.pop_back();
    if (step.outcome.empty()) step.outcome = "match";
    return ok_status();
  }

 private:
  std::vector<Rule> rules_;
};

OCCAM_REGISTER_POLICY("rules", RulesPolicy::from_config);

}  // namespace
}  // namespace occam::router
