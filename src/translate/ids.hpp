#pragma once
// Id generation is passed into the pure translators so tests can make it deterministic.

#include <functional>
#include <string>
#include <string_view>

namespace ccgate::translate {

// Returns a fresh id that starts with prefix, e.g. make_id("toolu_") → "toolu_01Ab…".
using MakeId = std::function<std::string(std::string_view prefix)>;

// Unguessable ids, for secrets: prefix + 24 base62 characters from OpenSSL's RAND_bytes (a
// CSPRNG seeded by the OS).
std::string random_id(std::string_view prefix);

// Ids that must not collide but need not be secret (message, tool-call and request ids):
// prefix + 24 base62 characters (143 bits) from a per-thread generator seeded by RAND_bytes.
// About 50 times cheaper than random_id, which matters at one id or more per request.
std::string unique_id(std::string_view prefix);

}  // namespace ccgate::translate
