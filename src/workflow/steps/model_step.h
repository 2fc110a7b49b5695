// What generate, extract and agent share: a route (fixed or a Jinja template) and prompt templates.
#pragma once

#include <optional>

#include "workflow/step.h"

namespace occam::workflow {

struct RouteSpec {
  Template route;  // "auto", a route, a model, or "{{ 'local' if steps.pii.has_pii else 'auto' }}"

  Result<std::string> resolve(const boost::json::object& vars) const;
};

// Reads `route` (default "auto"); a constant route must be known.
Result<RouteSpec> parse_route(const ConfigNode& node, const ParseContext& context);
// A required or optional text template under `key`.
Result<Template> parse_text(const ConfigNode& node, std::string_view key);
Result<std::optional<Template>> parse_optional_text(const ConfigNode& node, std::string_view key);
// A message with a role and a text (the other fields empty).
backends::Message make_message(std::string role, std::string content);
// Sampling settings shared by model steps: max_tokens, temperature.
Status parse_sampling(const ConfigNode& node, backends::GenerateRequest& request);

}  // namespace occam::workflow
