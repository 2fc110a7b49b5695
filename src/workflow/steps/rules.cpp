// kind: rules — PII scan (RE2/Vectorscan detectors with checksums) of a text; optionally the text with
// each finding replaced by [KIND]. The values found are not kept in the output (nor in the run store).
//   - {name: pii, kind: rules, text: "{{ input.body }}", redact: true}
//   output: {has_pii, kinds: [...], findings: [{kind, start, end, confidence}], redacted}
#include <set>

#include "rules/pii.h"
#include "workflow/step.h"

namespace occam::workflow {
namespace {

namespace json = boost::json;

class RulesStep final : public Step {
 public:
  RulesStep(Template text, bool redact, std::shared_ptr<rules::PiiScanner> scanner)
      : text_(std::move(text)), redact_(redact), scanner_(std::move(scanner)) {}

  Result<json::value> run(StepContext& context) const override {
    OCCAM_ASSIGN_OR_RETURN(std::string text, text_.render(context.vars()));
    OCCAM_ASSIGN_OR_RETURN(auto findings, scanner_->scan(text));
    json::object out;
    json::array list;
    std::set<std::string> kinds;
    std::string redacted;
    size_t at = 0;
    for (const rules::Finding& f : findings) {
      kinds.insert(f.kind);
      list.push_back({{"kind", f.kind}, {"start", f.start}, {"end", f.end}, {"confidence", f.confidence}});
      if (f.start >= at) {  // findings are in order; an overlapping one is inside the previous placeholder
        redacted.append(text, at, f.start - at);
        redacted += "[" + f.kind + "]";
        at = f.end;
      }
    }
    redacted.append(text, std::min(at, text.size()));
    out["has_pii"] = !findings.empty();
    json::array k;
    for (const std::string& s : kinds) k.push_back(json::value(s));
    out["kinds"] = std::move(k);
    out["findings"] = std::move(list);
    if (redact_) out["redacted"] = redacted;
    context.set_tier("rules");
    return json::value(std::move(out));
  }

 private:
  Template text_;
  bool redact_;
  std::shared_ptr<rules::PiiScanner> scanner_;
};

Result<std::unique_ptr<Step>> make_rules(const ConfigNode& node, const ParseContext&) {
  OCCAM_TRY(check_step_keys(node, {"text", "redact", "disable"}));
  OCCAM_ASSIGN_OR_RETURN(ConfigNode text_node, node.require("text"));
  OCCAM_ASSIGN_OR_RETURN(std::string source, text_node.as_string());
  auto text = Template::text(source);
  if (!text.ok()) return text_node.error("{}", text.error().message());
  OCCAM_ASSIGN_OR_RETURN(bool redact, node.get_bool("redact", false));
  rules::PiiConfig config;
  if (node.child("disable").present()) {
    OCCAM_ASSIGN_OR_RETURN(config.disabled_kinds, node.child("disable").as_string_list());
  }
  auto scanner = rules::PiiScanner::create(config);
  if (!scanner.ok()) return node.error("{}", scanner.error().message());
  return std::unique_ptr<Step>(std::make_unique<RulesStep>(
      std::move(*text), redact, std::make_shared<rules::PiiScanner>(std::move(*scanner))));
}

}  // namespace

OCCAM_REGISTER_STEP("rules", make_rules);

}  // namespace occam::workflow
