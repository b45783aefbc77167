#include "gateway/json_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>

namespace ccgate::gateway {
namespace json = boost::json;

namespace {

constexpr std::size_t kShownValue = 200;  // characters of an enum or const shown in a message

bool is_number(const json::value& value) {
  return value.is_int64() || value.is_uint64() || value.is_double();
}

double number_of(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  return value.get_double();
}

bool is_integer(const json::value& value) {
  if (value.is_int64() || value.is_uint64()) return true;
  return value.is_double() && std::isfinite(value.get_double()) &&
         std::trunc(value.get_double()) == value.get_double();
}

bool has_type(const json::value& value, std::string_view type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_bool();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return is_number(value);
  if (type == "integer") return is_integer(value);
  return true;  // a type this check does not know passes
}

// JSON equality as JSON Schema means it: 1 and 1.0 are the same number.
bool same_value(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) {
    if (a.kind() == b.kind()) return a == b;
    return number_of(a) == number_of(b);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_value(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& entry : x) {
      const auto* other = y.if_contains(entry.key());
      if (other == nullptr || !same_value(entry.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string shown(const json::value& value) {
  std::string text = json::serialize(value);
  if (text.size() > kShownValue) text = text.substr(0, kShownValue) + "…";
  return text;
}

std::string number_text(const json::value& value) {
  return json::serialize(value);
}

std::size_t characters(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool identifier(std::string_view key) {
  return !key.empty() && !std::isdigit(static_cast<unsigned char>(key.front())) &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

// Where a value sits: a chain up to the root, rendered only for a violation that is reported.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;  // the root's name, or a member's key
  std::size_t index = 0;  // an array item's position
  bool is_index = false;

  Path member(std::string_view key) const { return Path{this, key, 0, false}; }
  Path item(std::size_t i) const { return Path{this, {}, i, true}; }
  std::string text() const {
    if (parent == nullptr) return std::string(name);
    if (is_index) return fmt::format("{}[{}]", parent->text(), index);
    if (identifier(name)) return fmt::format("{}.{}", parent->text(), name);
    return fmt::format("{}[{}]", parent->text(), json::serialize(json::string(name)));
  }
};

std::optional<std::size_t> count_at(const json::object& schema, std::string_view key) {
  const auto* found = schema.if_contains(key);
  if (found == nullptr || !is_integer(*found) || number_of(*found) < 0) return std::nullopt;
  return static_cast<std::size_t>(number_of(*found));
}

using Violation = std::optional<std::string>;

class Checker {
 public:
  explicit Checker(const SchemaLimits& limits) : limits_(limits) {}

  // Set once a check went beyond the limits: the whole check's answer.
  const std::optional<std::string> limit_violation() const {
    return beyond_limits_ ? std::optional<std::string>(limit_violation_) : std::nullopt;
  }

  Violation check(const json::value& schema, const json::value& value, const Path& path,
                  std::size_t depth) {
    if (++steps_ > limits_.max_steps)
      return beyond_limits(path, "the schema is too complex to check");
    if (depth > limits_.max_depth) return beyond_limits(path, "nested too deeply to check");
    if (schema.is_bool())
      return schema.get_bool()
                 ? std::nullopt
                 : fail(path, [&] { return std::string("no value is allowed here"); });
    const auto* rules = schema.if_object();
    if (rules == nullptr) return std::nullopt;
    if (auto violation = check_type(*rules, value, path)) return violation;
    if (auto violation = check_values(*rules, value, path)) return violation;
    if (is_number(value))
      if (auto violation = check_number(*rules, value, path)) return violation;
    if (value.is_string())
      if (auto violation = check_string(*rules, value.get_string(), path)) return violation;
    if (value.is_array())
      if (auto violation = check_array(*rules, value.get_array(), path, depth)) return violation;
    if (value.is_object())
      if (auto violation = check_object(*rules, value.get_object(), path, depth)) return violation;
    return check_combined(*rules, value, path, depth);
  }

 private:
  // A violation at `path`. Inside the anyOf/oneOf branches after the first and inside `not`,
  // only whether there is one matters: nothing is rendered.
  template <class What>
  Violation fail(const Path& path, What&& what) const {
    if (quiet_ > 0) return std::string();
    return fmt::format("{}: {}", path.text(), what());
  }

  // The check cannot answer within the limits: it fails, saying so (rendered even when quiet).
  Violation beyond_limits(const Path& path, std::string_view what) {
    if (!beyond_limits_) limit_violation_ = fmt::format("{}: {}", path.text(), what);
    beyond_limits_ = true;
    return limit_violation_;
  }

  // Checks with violations not rendered.
  Violation check_quietly(const json::value& schema, const json::value& value, const Path& path,
                          std::size_t depth) {
    ++quiet_;
    auto violation = check(schema, value, path, depth);
    --quiet_;
    return violation;
  }

  Violation check_type(const json::object& rules, const json::value& value, const Path& path) {
    const auto* type = rules.if_contains("type");
    if (type == nullptr) return std::nullopt;
    if (const auto* one = type->if_string())
      return has_type(value, *one)
                 ? std::nullopt
                 : fail(path, [&] { return std::string(fmt::format("expected {}", *one)); });
    const auto* many = type->if_array();
    if (many == nullptr || many->empty()) return std::nullopt;
    std::string names;
    for (const auto& entry : *many) {
      const auto* name = entry.if_string();
      if (name == nullptr || has_type(value, *name)) return std::nullopt;
      names += names.empty() ? std::string(*name) : fmt::format(" or {}", std::string(*name));
    }
    return fail(path, [&] { return std::string(fmt::format("expected {}", names)); });
  }

  Violation check_values(const json::object& rules, const json::value& value, const Path& path) {
    if (const auto* allowed = rules.if_contains("enum"); allowed && allowed->is_array()) {
      const auto& list = allowed->get_array();
      if (std::none_of(list.begin(), list.end(),
                       [&](const json::value& entry) { return same_value(entry, value); }))
        return fail(
            path, [&] { return std::string(fmt::format("expected one of {}", shown(*allowed))); });
    }
    if (const auto* only = rules.if_contains("const"); only && !same_value(*only, value))
      return fail(path, [&] { return std::string(fmt::format("expected {}", shown(*only))); });
    return std::nullopt;
  }

  Violation check_number(const json::object& rules, const json::value& value, const Path& path) {
    const double number = number_of(value);
    const auto bound = [&](std::string_view key) -> const json::value* {
      const auto* found = rules.if_contains(key);
      return found && is_number(*found) ? found : nullptr;
    };
    const auto exclusive = [&](std::string_view key) {
      const auto* found = rules.if_contains(key);
      return found && found->is_bool() && found->get_bool();  // draft 4's boolean form
    };
    if (const auto* low = bound("minimum")) {
      if (exclusive("exclusiveMinimum") ? number <= number_of(*low) : number < number_of(*low))
        return fail(path, [&] {
          return std::string(fmt::format("expected {} {}",
                                         exclusive("exclusiveMinimum") ? "more than" : "at least",
                                         number_text(*low)));
        });
    }
    if (const auto* high = bound("maximum")) {
      if (exclusive("exclusiveMaximum") ? number >= number_of(*high) : number > number_of(*high))
        return fail(path, [&] {
          return std::string(fmt::format("expected {} {}",
                                         exclusive("exclusiveMaximum") ? "less than" : "at most",
                                         number_text(*high)));
        });
    }
    if (const auto* low = bound("exclusiveMinimum"); low && number <= number_of(*low))
      return fail(path, [&] {
        return std::string(fmt::format("expected more than {}", number_text(*low)));
      });
    if (const auto* high = bound("exclusiveMaximum"); high && number >= number_of(*high))
      return fail(path, [&] {
        return std::string(fmt::format("expected less than {}", number_text(*high)));
      });
    return std::nullopt;
  }

  Violation check_string(const json::object& rules, std::string_view text, const Path& path) {
    const std::size_t length = characters(text);
    if (const auto least = count_at(rules, "minLength"); least && length < *least)
      return fail(path, [&] {
        return std::string(fmt::format("expected at least {} characters", *least));
      });
    if (const auto most = count_at(rules, "maxLength"); most && length > *most)
      return fail(
          path, [&] { return std::string(fmt::format("expected at most {} characters", *most)); });
    return std::nullopt;
  }

  Violation check_array(const json::object& rules, const json::array& items, const Path& path,
                        std::size_t depth) {
    if (const auto least = count_at(rules, "minItems"); least && items.size() < *least)
      return fail(path,
                  [&] { return std::string(fmt::format("expected at least {} items", *least)); });
    if (const auto most = count_at(rules, "maxItems"); most && items.size() > *most)
      return fail(path,
                  [&] { return std::string(fmt::format("expected at most {} items", *most)); });
    const json::array* positional = nullptr;  // schemas by position, then `rest`
    const json::value* rest = nullptr;
    if (const auto* prefix = rules.if_contains("prefixItems"); prefix && prefix->is_array())
      positional = &prefix->get_array();
    if (const auto* each = rules.if_contains("items")) {
      if (each->is_array()) {  // draft 4–7: items by position, additionalItems after them
        positional = &each->get_array();
        rest = rules.if_contains("additionalItems");
      } else {
        rest = each;
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::value* schema = positional && i < positional->size() ? &(*positional)[i] : rest;
      if (schema == nullptr) continue;
      if (auto violation = check(*schema, items[i], path.item(i), depth + 1)) return violation;
    }
    return std::nullopt;
  }

  Violation check_object(const json::object& rules, const json::object& members, const Path& path,
                         std::size_t depth) {
    if (const auto* required = rules.if_contains("required"); required && required->is_array()) {
      for (const auto& name : required->get_array())
        if (name.is_string() && !members.contains(name.get_string()))
          return fail(path.member(name.get_string()), [] { return std::string("is required"); });
    }
    if (const auto least = count_at(rules, "minProperties"); least && members.size() < *least)
      return fail(path, [&] {
        return std::string(fmt::format("expected at least {} properties", *least));
      });
    if (const auto most = count_at(rules, "maxProperties"); most && members.size() > *most)
      return fail(
          path, [&] { return std::string(fmt::format("expected at most {} properties", *most)); });
    const json::object* properties = nullptr;
    if (const auto* found = rules.if_contains("properties")) properties = found->if_object();
    const json::value* additional = rules.if_contains("additionalProperties");
    // patternProperties is not checked, so what it would cover is not known to be additional.
    if (rules.contains("patternProperties")) additional = nullptr;
    for (const auto& member : members) {
      const Path member_at = path.member(member.key());
      const json::value* schema = properties ? properties->if_contains(member.key()) : nullptr;
      if (schema == nullptr) schema = additional;
      if (schema == nullptr) continue;
      if (schema->is_bool() && !schema->get_bool() && schema == additional)
        return fail(member_at, [] { return std::string("is not an allowed property"); });
      if (auto violation = check(*schema, member.value(), member_at, depth + 1)) return violation;
    }
    return std::nullopt;
  }

  Violation check_combined(const json::object& rules, const json::value& value, const Path& path,
                           std::size_t depth) {
    if (const auto* all = rules.if_contains("allOf"); all && all->is_array()) {
      for (const auto& schema : all->get_array())
        if (auto violation = check(schema, value, path, depth + 1)) return violation;
    }
    for (std::string_view keyword : {"anyOf", "oneOf"}) {
      const auto* options = rules.if_contains(keyword);
      if (options == nullptr || !options->is_array() || options->get_array().empty()) continue;
      std::size_t matched = 0;
      Violation first;
      for (const auto& schema : options->get_array()) {
        auto violation = first ? check_quietly(schema, value, path, depth + 1)
                               : check(schema, value, path, depth + 1);
        if (violation && beyond_limits_) return violation;  // not a mismatch: no answer
        if (!violation)
          ++matched;
        else if (!first)
          first = std::move(violation);
        if (keyword == "anyOf" && matched > 0) break;
      }
      if (matched == 0)
        return fail(path, [&] {
          return std::string(
              fmt::format("matches none of the {} schemas (the first says {})", keyword, *first));
        });
      if (keyword == "oneOf" && matched > 1)
        return fail(path,
                    [&] { return std::string("matches more than one of the oneOf schemas"); });
    }
    if (const auto* never = rules.if_contains("not")) {
      auto violation = check_quietly(*never, value, path, depth + 1);
      if (violation && beyond_limits_)
        return fail(path, [] { return std::string("too complex to check"); });
      if (!violation)
        return fail(path,
                    [&] { return std::string("matches the schema it must not match (not)"); });
    }
    return std::nullopt;
  }

  const SchemaLimits& limits_;
  std::size_t steps_ = 0;
  int quiet_ = 0;
  bool beyond_limits_ = false;  // the answer would take more than the limits allow: fail
  std::string limit_violation_;
};

}  // namespace

std::optional<std::string> schema_violation(const json::value& schema, const json::value& value,
                                            std::string_view root, const SchemaLimits& limits) {
  Checker checker(limits);
  auto violation = checker.check(schema, value, Path{.name = root}, 0);
  if (auto beyond = checker.limit_violation()) return beyond;
  return violation;
}

}  // namespace ccgate::gateway
