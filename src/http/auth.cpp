#include "http/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>

#include "http/server.hpp"

namespace ccgate::http {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest_of(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace

std::string_view bearer_token(std::string_view value) {
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

std::string_view bearer_token(const Exchange& exchange) {
  return bearer_token(exchange.header("authorization"));
}

std::string_view presented_key(const Exchange& exchange) {
  if (auto key = exchange.header("x-api-key"); !key.empty()) return key;
  return bearer_token(exchange);
}

// Both sides are hashed first so the comparison covers equal lengths and leaks neither length.
ExpectedKey::ExpectedKey(std::string_view key)
    : digest_(digest_of(key)), configured_(!key.empty()) {}

bool ExpectedKey::matches(std::string_view presented) const {
  const auto digest = digest_of(presented);
  return CRYPTO_memcmp(digest.data(), digest_.data(), digest.size()) == 0;
}

bool constant_time_equals(std::string_view presented, std::string_view expected) {
  return ExpectedKey(expected).matches(presented);
}

}  // namespace ccgate::http
