#pragma once
// Client credentials: the key a request carries, and a comparison that takes the same time
// whatever the inputs share.

#include <string_view>

namespace ccgate::http {

class Exchange;

// The value of x-api-key if present, else the token of "Authorization: Bearer <token>".
std::string_view presented_key(const Exchange& exchange);
// The token of "Authorization: Bearer <token>" only.
std::string_view bearer_token(const Exchange& exchange);

bool constant_time_equals(std::string_view presented, std::string_view expected);

}  // namespace ccgate::http
