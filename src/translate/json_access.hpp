#pragma once
// Tolerant reads of parsed JSON: a field of the wrong type reads as absent, never as an error.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ccgate::translate {

namespace json = boost::json;

inline const json::string* string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_string();
}

inline std::string_view string_or_empty(const json::object& object, std::string_view key) {
  const auto* text = string_at(object, key);
  return text == nullptr ? std::string_view{} : std::string_view(*text);
}

inline const json::object* object_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_object();
}

inline const json::array* array_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_array();
}

// An integral number, however the parser stored it (int64, uint64, or a double like 1024.0).
std::optional<std::int64_t> as_integer(const json::value& value);

inline std::optional<std::int64_t> integer_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr ? std::nullopt : as_integer(*value);
}

// False when a number anywhere in value is infinite: JSON text such as 1e999 parses to
// infinity, which Boost.JSON serializes as `Infinity`, not JSON. Such a value must not be passed
// on as JSON.
bool numbers_are_finite(const json::value& value);

}  // namespace ccgate::translate
