// A small JSON Schema validator for response_format json_schema and tool parameters: the subset that
// structured-output APIs use (type, properties, required, additionalProperties, items, enum, const,
// anyOf, numeric and length bounds, local $ref to $defs/definitions). A schema using anything else is
// refused up front by check_schema, so that an answer is never passed as valid against a schema that was
// only partly understood.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "core/error.h"

namespace occam::backends {

// Ok when `schema` only uses supported keywords; else invalid_argument naming the keyword and its path,
// `root_path` first ("response_format.json_schema.schema.properties.age.pattern: keyword not supported").
Status check_schema(const boost::json::value& schema, std::string_view root_path = "schema");

// Ok when `instance` satisfies `schema` (already checked); else invalid_argument naming the instance path
// ("$.items[2].name: expected string, found number").
Status validate_json(const boost::json::value& instance, const boost::json::value& schema);

}  // namespace occam::backends
