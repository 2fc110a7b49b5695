// Verifier `agreement`: the tier answers the same request a second time (sampled at `temperature`) and
// the two answers must agree: token-set Jaccard similarity of the normalised texts >= `min_similarity`
// (1.0 = same words). The second sample's tokens are charged to the attempt.
//
//   verify: [{agreement: {min_similarity: 0.8, temperature: 0.7}}]
#include <algorithm>
#include <set>

#include "router/router.h"

namespace occam::router {
namespace {

std::set<std::string> words_of(std::string_view text) {
  std::set<std::string> words;
  std::string w;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      w += static_cast<char>(std::tolower(c));
    } else if (!w.empty()) {
      words.insert(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.insert(std::move(w));
  return words;
}

class AgreementVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext&) {
    OCCAM_TRY(node.check_keys({"min_similarity", "temperature"}));
    auto v = std::make_unique<AgreementVerifier>();
    OCCAM_ASSIGN_OR_RETURN(v->min_similarity_, node.get_double("min_similarity", 0.8));
    OCCAM_ASSIGN_OR_RETURN(v->temperature_, node.get_double("temperature", 0.7));
    if (v->min_similarity_ < 0 || v->min_similarity_ > 1) {
      return node.child("min_similarity").error("expected a number in [0, 1]");
    }
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "agreement"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    if (!input.tier || !input.tier->backend) {
      co_return make_error(ErrorCode::internal, "agreement: no backend to resample");
    }
    backends::GenerateRequest again = *input.request;
    again.stream = false;
    again.temperature = temperature_;
    again.seed.reset();
    auto second = co_await input.tier->backend->generate(again, nullptr);
    if (!second.ok()) co_return std::move(second).error().with_context("agreement: second sample");
    if (input.extra_usage) {
      input.extra_usage->prompt_tokens += second->usage.prompt_tokens;
      input.extra_usage->completion_tokens += second->usage.completion_tokens;
    }
    if (second->choices.empty() || input.result->choices.empty()) {
      co_return make_error(ErrorCode::unavailable, "agreement: an answer has no choice");
    }
    auto a = words_of(input.result->choices[0].text);
    auto b = words_of(second->choices[0].text);
    size_t common = 0;
    for (const std::string& w : a) common += b.count(w);
    size_t all = a.size() + b.size() - common;
    double similarity = all == 0 ? 1.0 : static_cast<double>(common) / static_cast<double>(all);
    bool ok = similarity >= min_similarity_;
    co_return Verdict{
        "agreement", ok, similarity,
        fmt::format("two samples: Jaccard {:.3f} {} {:.3f}", similarity, ok ? ">=" : "<", min_similarity_)};
  }

 private:
  double min_similarity_ = 0.8;
  double temperature_ = 0.7;
};

OCCAM_REGISTER_VERIFIER("agreement", AgreementVerifier::from_config);

}  // namespace
}  // namespace occam::router
