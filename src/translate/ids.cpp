#include "translate/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace ccgate::translate {

namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kIdLength = 24;
// 248 = 4 * 62: bytes at or above it are discarded so every character is equally likely.
constexpr unsigned kUnbiasedLimit = 248;

}  // namespace

std::string random_id(std::string_view prefix) {
  std::string id(prefix);
  id.reserve(prefix.size() + kIdLength);
  std::array<unsigned char, 32> bytes{};
  while (id.size() < prefix.size() + kIdLength) {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      throw std::runtime_error("random_id: the OpenSSL random generator failed");
    }
    for (unsigned char byte : bytes) {
      if (byte >= kUnbiasedLimit) continue;
      id.push_back(kBase62[byte % kBase62.size()]);
      if (id.size() == prefix.size() + kIdLength) break;
    }
  }
  return id;
}

}  // namespace ccgate::translate
