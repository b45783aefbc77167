#include "translate/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <random>
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

std::string unique_id(std::string_view prefix) {
  // Per thread, so no lock and no shared state; seeded from the CSPRNG so two processes (or
  // threads) never share a sequence.
  thread_local std::mt19937_64 generator = [] {
    std::array<std::uint32_t, 8> seed{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), sizeof seed) != 1)
      throw std::runtime_error("unique_id: the OpenSSL random generator failed");
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  std::string id(prefix);
  id.reserve(prefix.size() + kIdLength);
  while (id.size() < prefix.size() + kIdLength) {
    // 64 random bits give 10 base62 digits (62^10 < 2^64) with negligible bias.
    std::uint64_t bits = generator();
    for (int digit = 0; digit < 10 && id.size() < prefix.size() + kIdLength; ++digit) {
      id.push_back(kBase62[bits % kBase62.size()]);
      bits /= kBase62.size();
    }
  }
  return id;
}

}  // namespace ccgate::translate
