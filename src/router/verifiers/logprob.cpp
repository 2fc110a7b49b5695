// Verifiers `mean_logprob` and `min_logprob`: the model's own token log-probabilities as confidence.
// The tier is asked for logprobs (prepare); an answer without them cannot be checked (an error: the
// route's on_error decides, refuse by default).
//
//   verify: [{mean_logprob: {min: -1.2}}, {min_logprob: {min: -6}}]
#include <algorithm>

#include "router/router.h"

namespace occam::router {
namespace {

class LogprobVerifier final : public Verifier {
 public:
  LogprobVerifier(std::string kind, double min, bool use_mean)
      : kind_(std::move(kind)), min_(min), mean_(use_mean) {}

  static VerifierFactory factory(std::string kind, bool use_mean) {
    return
        [kind, use_mean](const ConfigNode& node, const PolicyContext&) -> Result<std::unique_ptr<Verifier>> {
          OCCAM_TRY(node.check_keys({"min"}));
          OCCAM_ASSIGN_OR_RETURN(ConfigNode min_node, node.require("min"));
          OCCAM_ASSIGN_OR_RETURN(double min, min_node.as_double());
          if (min > 0) return min_node.error("a log-probability bound must be <= 0");
          return std::unique_ptr<Verifier>(new LogprobVerifier(kind, min, use_mean));
        };
  }

  std::string_view kind() const override { return kind_; }
  void prepare(backends::GenerateRequest& request) const override { request.logprobs = true; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    double sum = 0, lowest = 0;
    size_t n = 0;
    for (const backends::Choice& c : input.result->choices) {
      for (const backends::TokenLogprob& t : c.logprobs) {
        sum += t.logprob;
        lowest = n == 0 ? t.logprob : std::min(lowest, t.logprob);
        ++n;
      }
    }
    if (n == 0) {
      co_return make_error(ErrorCode::unsupported, "{}: the answer carries no token log-probabilities",
                           kind_);
    }
    double value = mean_ ? sum / static_cast<double>(n) : lowest;
    Verdict v{kind_, value >= min_, value,
              fmt::format("{} log-prob {:.3f} {} {:.3f} over {} tokens", mean_ ? "mean" : "min", value,
                          value >= min_ ? ">=" : "<", min_, n)};
    co_return v;
  }

 private:
  std::string kind_;
  double min_;
  bool mean_;
};

OCCAM_REGISTER_VERIFIER("mean_logprob", LogprobVerifier::factory("mean_logprob", true));
OCCAM_REGISTER_VERIFIER("min_logprob", LogprobVerifier::factory("min_logprob", false));

}  // namespace
}  // namespace occam::router
