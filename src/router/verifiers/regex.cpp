// Verifier `regex`: the answer must (or must not) match an RE2 pattern.
//
//   verify: [{regex: {pattern: '^\s*(oui|non)\b', must_match: true}}]
#include <re2/re2.h>

#include "router/router.h"

namespace occam::router {
namespace {

class RegexVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext&) {
    OCCAM_TRY(node.check_keys({"pattern", "must_match"}));
    auto v = std::make_unique<RegexVerifier>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode pattern, node.require("pattern"));
    OCCAM_ASSIGN_OR_RETURN(std::string text, pattern.as_string());
    RE2::Options options;
    options.set_log_errors(false);
    v->re_ = std::make_unique<RE2>(text, options);
    if (!v->re_->ok()) return pattern.error("invalid RE2 pattern: {}", v->re_->error());
    OCCAM_ASSIGN_OR_RETURN(v->must_match_, node.get_bool("must_match", true));
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "regex"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    for (const backends::Choice& c : input.result->choices) {
      bool matched = RE2::PartialMatch(c.text, *re_);
      if (matched != must_match_) {
        co_return Verdict{"regex", false, NAN,
                          fmt::format("choice {} {} /{}/", c.index, matched ? "matches" : "does not match",
                                      re_->pattern())};
      }
    }
    co_return Verdict{"regex", true, NAN,
                      fmt::format("{} /{}/", must_match_ ? "matches" : "avoids", re_->pattern())};
  }

 private:
  std::unique_ptr<RE2> re_;
  bool must_match_ = true;
};

OCCAM_REGISTER_VERIFIER("regex", RegexVerifier::from_config);

}  // namespace
}  // namespace occam::router
