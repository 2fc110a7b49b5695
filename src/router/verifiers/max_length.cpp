// Verifier `max_length`: the answer stays under a length (tokens and/or characters) and was not cut
// off (finish_reason "length").
//
//   verify: [{max_length: {max_tokens: 512, max_chars: 4000}}]
#include "router/router.h"

namespace occam::router {
namespace {

class MaxLengthVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext&) {
    OCCAM_TRY(node.check_keys({"max_tokens", "max_chars", "allow_truncated"}));
    auto v = std::make_unique<MaxLengthVerifier>();
    OCCAM_ASSIGN_OR_RETURN(v->max_tokens_, node.get_int("max_tokens", -1, -1));
    OCCAM_ASSIGN_OR_RETURN(v->max_chars_, node.get_int("max_chars", -1, -1));
    OCCAM_ASSIGN_OR_RETURN(v->allow_truncated_, node.get_bool("allow_truncated", false));
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "max_length"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    const auto& r = *input.result;
    if (max_tokens_ >= 0 && r.usage.completion_tokens > max_tokens_) {
      co_return Verdict{"max_length", false, static_cast<double>(r.usage.completion_tokens),
                        fmt::format("{} completion tokens > {}", r.usage.completion_tokens, max_tokens_)};
    }
    for (const backends::Choice& c : r.choices) {
      if (max_chars_ >= 0 && static_cast<int64_t>(c.text.size()) > max_chars_) {
        co_return Verdict{"max_length", false, static_cast<double>(c.text.size()),
                          fmt::format("choice {}: {} bytes > {}", c.index, c.text.size(), max_chars_)};
      }
      if (!allow_truncated_ && c.finish_reason == "length") {
        co_return Verdict{"max_length", false, NAN,
                          fmt::format("choice {} was cut off (finish_reason length)", c.index)};
      }
    }
    co_return Verdict{"max_length", true, static_cast<double>(r.usage.completion_tokens), "within bounds"};
  }

 private:
  int64_t max_tokens_ = -1;
  int64_t max_chars_ = -1;
  bool allow_truncated_ = false;
};

OCCAM_REGISTER_VERIFIER("max_length", MaxLengthVerifier::from_config);

}  // namespace
}  // namespace occam::router
