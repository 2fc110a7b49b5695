// Verifier `required_fields`: the answer is a JSON object in which every listed field (dotted path)
// is present, not null and not an empty string.
//
//   verify: [{required_fields: {fields: [invoice.total, invoice.date]}}]
#include <boost/json/parse.hpp>

#include "router/router.h"

namespace occam::router {
namespace {

class RequiredFieldsVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext&) {
    OCCAM_TRY(node.check_keys({"fields"}));
    auto v = std::make_unique<RequiredFieldsVerifier>();
    OCCAM_ASSIGN_OR_RETURN(ConfigNode fields, node.require("fields"));
    OCCAM_ASSIGN_OR_RETURN(v->fields_, fields.as_string_list());
    if (v->fields_.empty()) return fields.error("expected at least one field");
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "required_fields"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    for (const backends::Choice& c : input.result->choices) {
      boost::system::error_code ec;
      boost::json::value answer = boost::json::parse(c.text, ec);
      if (ec || !answer.is_object()) {
        co_return Verdict{"required_fields", false, NAN,
                          fmt::format("choice {}: not a JSON object", c.index)};
      }
      for (const std::string& field : fields_) {
        const boost::json::value* at = &answer;
        size_t begin = 0;
        while (at && begin <= field.size()) {
          size_t end = field.find('.', begin);
          if (end == std::string::npos) end = field.size();
          std::string_view key(field.data() + begin, end - begin);
          at = at->is_object() ? at->get_object().if_contains(key) : nullptr;
          begin = end + 1;
        }
        if (!at || at->is_null() || (at->is_string() && at->get_string().empty())) {
          co_return Verdict{"required_fields", false, NAN,
                            fmt::format("choice {}: '{}' missing", c.index, field)};
        }
      }
    }
    co_return Verdict{"required_fields", true, NAN, fmt::format("{} fields present", fields_.size())};
  }

 private:
  std::vector<std::string> fields_;
};

OCCAM_REGISTER_VERIFIER("required_fields", RequiredFieldsVerifier::from_config);

}  // namespace
}  // namespace occam::router
