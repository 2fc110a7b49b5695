// Verifier `json_schema`: the answer must be JSON and satisfy the schema the request asked for
// (response_format json_schema) or the one configured here. A request with neither passes (nothing to
// check); `required: true` makes that an error instead.
//
//   verify: [{json_schema: {}}]   or   [{json_schema: {schema_file: schemas/invoice.json}}]
#include "backends/json_schema.h"

#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>

#include "core/file.h"
#include "router/router.h"

namespace occam::router {
namespace {

class JsonSchemaVerifier final : public Verifier {
 public:
  static Result<std::unique_ptr<Verifier>> from_config(const ConfigNode& node, const PolicyContext& context) {
    auto v = std::make_unique<JsonSchemaVerifier>();
    if (node.present() && !node.is_null()) {
      OCCAM_TRY(node.check_keys({"schema_file", "required"}));
      OCCAM_ASSIGN_OR_RETURN(v->required_, node.get_bool("required", false));
      OCCAM_ASSIGN_OR_RETURN(std::string file, node.get_string("schema_file", ""));
      if (!file.empty()) {
        std::filesystem::path path = file;
        if (path.is_relative() && !context.base_dir.empty()) path = context.base_dir / path;
        auto text = read_file(path);
        if (!text.ok()) return node.child("schema_file").error("{}", text.error().message());
        boost::system::error_code ec;
        v->schema_ = boost::json::parse(*text, ec);
        if (ec) return node.child("schema_file").error("'{}' is not JSON: {}", path.string(), ec.message());
        Status ok = backends::check_schema(v->schema_);
        if (!ok.ok()) return node.child("schema_file").error("{}", ok.error().message());
      }
    }
    return std::unique_ptr<Verifier>(std::move(v));
  }

  std::string_view kind() const override { return "json_schema"; }

  Task<Result<Verdict>> verify(const VerifyInput& input) const override {
    const auto& format = input.request->response_format;
    const boost::json::value* schema = nullptr;
    if (format.kind == backends::ResponseFormatKind::json_schema) schema = &format.schema;
    if (!schema && !schema_.is_null()) schema = &schema_;
    bool want_json = schema || format.kind == backends::ResponseFormatKind::json_object;
    if (!want_json) {
      if (required_)
        co_return make_error(ErrorCode::invalid_argument, "json_schema: no schema to check against");
      co_return Verdict{"json_schema", true, NAN, "no JSON output requested"};
    }
    for (const backends::Choice& c : input.result->choices) {
      boost::system::error_code ec;
      boost::json::value answer = boost::json::parse(c.text, ec);
      if (ec)
        co_return Verdict{"json_schema", false, NAN,
                          fmt::format("choice {}: not JSON: {}", c.index, ec.message())};
      if (schema) {
        Status ok = backends::validate_json(answer, *schema);
        if (!ok.ok())
          co_return Verdict{"json_schema", false, NAN,
                            fmt::format("choice {}: {}", c.index, ok.error().message())};
      }
    }
    co_return Verdict{"json_schema", true, NAN, schema ? "valid against the schema" : "valid JSON"};
  }

 private:
  boost::json::value schema_;
  bool required_ = false;
};

OCCAM_REGISTER_VERIFIER("json_schema", JsonSchemaVerifier::from_config);

}  // namespace
}  // namespace occam::router
