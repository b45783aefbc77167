#pragma once
// Client credentials: the key a request carries, and a comparison that takes the same time
// whatever the inputs share.

#include <array>
#include <string_view>

namespace ccgate::http {

class Exchange;

// The value of x-api-key if present, else the token of "Authorization: Bearer <token>".
std::string_view presented_key(const Exchange& exchange);
// The token of "Authorization: Bearer <token>" only.
std::string_view bearer_token(const Exchange& exchange);
// The token of an Authorization header value "Bearer <token>" (scheme in any case), else empty.
std::string_view bearer_token(std::string_view authorization);

// A configured key, hashed once: each presented key costs one hash and a constant-time compare.
class ExpectedKey {
 public:
  ExpectedKey() = default;
  explicit ExpectedKey(std::string_view key);
  bool configured() const { return configured_; }
  bool matches(std::string_view presented) const;

 private:
  std::array<unsigned char, 32> digest_{};  // SHA-256
  bool configured_ = false;
};

bool constant_time_equals(std::string_view presented, std::string_view expected);

}  // namespace ccgate::http
