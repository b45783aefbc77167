#pragma once
// A JSON Schema check of a tool call's arguments against the tool's own input schema: the subset
// tool schemas use. Pure: it walks two boost::json values, parses nothing.
//
// Checked: type (one or an array of types; "integer" is a number with no fraction), properties,
// required, additionalProperties (false or a schema), items (a schema, or an array of schemas
// by position), enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers),
// minLength, maxLength (in characters), minItems, maxItems, minProperties, maxProperties,
// anyOf, oneOf, allOf, not. A keyword of any other kind ($ref, pattern, format, …) is not
// checked: it passes. `pattern` in particular: std::regex backtracks without bound, and a
// client writes its own tools' schemas.
//
// Bounded: nesting deeper than `max_depth` and a check that takes more than `max_steps` schema
// visits (nested anyOf branches multiply) fail the check instead of running on.

#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ccgate::gateway {

struct SchemaLimits {
  std::size_t max_depth = 64;
  std::size_t max_steps = 50'000;  // schema visits: about 25 ms at most on an event loop
};

// Nullopt when `value` satisfies `schema`; else the first violation, prefixed by its path from
// `root`: "input.city: expected string", "input.tags[2]: expected at most 10 characters".
std::optional<std::string> schema_violation(const boost::json::value& schema,
                                            const boost::json::value& value,
                                            std::string_view root = "input",
                                            const SchemaLimits& limits = {});

}  // namespace ccgate::gateway
