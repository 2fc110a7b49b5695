#include "workflow/steps/model_step.h"

namespace occam::workflow {

Result<std::string> RouteSpec::resolve(const boost::json::object& vars) const {
  OCCAM_ASSIGN_OR_RETURN(std::string r, route.render(vars));
  while (!r.empty() && (r.back() == ' ' || r.back() == '\n')) r.pop_back();
  while (!r.empty() && (r.front() == ' ' || r.front() == '\n')) r.erase(r.begin());
  return r;
}

Result<RouteSpec> parse_route(const ConfigNode& node, const ParseContext& context) {
  OCCAM_ASSIGN_OR_RETURN(std::string source, node.get_string("route", "auto"));
  auto t = Template::text(source);
  if (!t.ok()) return node.child("route").error("{}", t.error().message());
  if (t->is_constant() && context.route_known && !context.route_known(source)) {
    return (node.child("route").present() ? node.child("route") : node)
        .error("route '{}' is neither a route of `routes:` nor a model of `models:`", source);
  }
  return RouteSpec{std::move(*t)};
}

Result<Template> parse_text(const ConfigNode& node, std::string_view key) {
  OCCAM_ASSIGN_OR_RETURN(ConfigNode child, node.require(key));
  OCCAM_ASSIGN_OR_RETURN(std::string source, child.as_string());
  auto t = Template::text(source);
  if (!t.ok()) return child.error("{}", t.error().message());
  return std::move(*t);
}

Result<std::optional<Template>> parse_optional_text(const ConfigNode& node, std::string_view key) {
  if (!node.child(key).present()) return std::optional<Template>();
  OCCAM_ASSIGN_OR_RETURN(Template t, parse_text(node, key));
  return std::optional<Template>(std::move(t));
}

backends::Message make_message(std::string role, std::string content) {
  backends::Message m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

Status parse_sampling(const ConfigNode& node, backends::GenerateRequest& request) {
  if (node.child("max_tokens").present()) {
    OCCAM_ASSIGN_OR_RETURN(request.max_tokens, node.child("max_tokens").as_int(1, 1 << 20));
  }
  if (node.child("temperature").present()) {
    OCCAM_ASSIGN_OR_RETURN(double t, node.child("temperature").as_double());
    if (t < 0 || t > 2) return node.child("temperature").error("temperature must be in [0, 2]");
    request.temperature = t;
  }
  return ok_status();
}

}  // namespace occam::workflow
