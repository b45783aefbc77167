#include "translate/json_access.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace ccgate::translate {

std::optional<std::int64_t> as_integer(const json::value& value) {
  if (const auto* number = value.if_int64()) return *number;
  if (const auto* number = value.if_uint64()) {
    if (*number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::numeric_limits<std::int64_t>::max();
    }
    return static_cast<std::int64_t>(*number);
  }
  if (const auto* number = value.if_double()) {
    // Whole numbers only, and only well inside the int64 range.
    if (std::isfinite(*number) && std::trunc(*number) == *number && *number > -9.2e18 &&
        *number < 9.2e18) {
      return static_cast<std::int64_t>(*number);
    }
  }
  return std::nullopt;
}

bool numbers_are_finite(const json::value& value) {
  // Iterative: the depth is whatever the parser allowed.
  std::vector<const json::value*> pending{&value};
  while (!pending.empty()) {
    const json::value* next = pending.back();
    pending.pop_back();
    if (const auto* number = next->if_double()) {
      if (!std::isfinite(*number)) return false;
    } else if (const auto* array = next->if_array()) {
      for (const auto& item : *array) pending.push_back(&item);
    } else if (const auto* object = next->if_object()) {
      for (const auto& member : *object) pending.push_back(&member.value());
    }
  }
  return true;
}

}  // namespace ccgate::translate
