#include "http/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

#include "http/server.hpp"

namespace ccgate::http {

std::string_view bearer_token(const Exchange& exchange) {
  std::string_view value = exchange.header("authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() < kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return {};
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

std::string_view presented_key(const Exchange& exchange) {
  if (auto key = exchange.header("x-api-key"); !key.empty()) return key;
  return bearer_token(exchange);
}

// Both sides are hashed first so the comparison covers equal lengths and leaks neither length.
bool constant_time_equals(std::string_view presented, std::string_view expected) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> a{}, b{};
  SHA256(reinterpret_cast<const unsigned char*>(presented.data()), presented.size(), a.data());
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b.data());
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ccgate::http
