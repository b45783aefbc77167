#pragma once
// Id generation is passed into the pure translators so tests can make it deterministic.

#include <functional>
#include <string>
#include <string_view>

namespace ccgate::translate {

// Returns a fresh id that starts with prefix, e.g. make_id("toolu_") → "toolu_01Ab…".
using MakeId = std::function<std::string(std::string_view prefix)>;

// Random ids: prefix + 24 base62 characters from OpenSSL's RAND_bytes (a CSPRNG seeded by the OS).
std::string random_id(std::string_view prefix);

}  // namespace ccgate::translate
