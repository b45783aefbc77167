#include "translate/json_text.hpp"

#include <array>
#include <bit>
#include <boost/json/serializer.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace ccgate::translate {

namespace {

// What a byte becomes inside a JSON string, as Boost.JSON's serializer spells it: 0 for itself,
// a letter for its short escape ("\n"), 'u' for "\u00XX".
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> table{};
  for (int byte = 0; byte < 0x20; ++byte) table[byte] = 'u';
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

constexpr std::string_view kHexDigits = "0123456789abcdef";

constexpr std::uint64_t kOnes = 0x0101010101010101;
constexpr std::uint64_t kHighBits = 0x8080808080808080;

// The high bit of each byte of word that is zero (exact for the lowest such byte, which is all
// that is used: the borrow can only mark bytes above a zero one).
constexpr std::uint64_t zero_bytes(std::uint64_t word) {
  return (word - kOnes) & ~word & kHighBits;
}

// The first byte in [at, end) that needs an escape: below 0x20, '"' or '\\'.
const char* first_to_escape(const char* at, const char* end) {
  for (; end - at >= 8; at += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, at, sizeof word);
    // A byte below 0x20 is one whose top three bits are zero.
    const std::uint64_t marks = zero_bytes(word & (kOnes * 0xe0)) |
                                zero_bytes(word ^ (kOnes * '"')) |
                                zero_bytes(word ^ (kOnes * '\\'));
    if (marks != 0) {
      const int bit = std::endian::native == std::endian::little ? std::countr_zero(marks)
                                                                 : std::countl_zero(marks);
      return at + bit / 8;
    }
  }
  while (at != end && kEscapes[static_cast<unsigned char>(*at)] == 0) ++at;
  return at;
}

}  // namespace

JsonText& JsonText::string(std::string_view text) {
  out_.push_back('"');
  escaped(text);
  out_.push_back('"');
  return *this;
}

JsonText& JsonText::string(std::span<const std::string_view> pieces) {
  out_.push_back('"');
  for (const std::string_view piece : pieces) escaped(piece);
  out_.push_back('"');
  return *this;
}

JsonText& JsonText::integer(std::int64_t number) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
  out_.append(digits.data(), end);
  return *this;
}

JsonText& JsonText::value(const boost::json::value& value) {
  if (const auto* text = value.if_string()) return string(*text);
  boost::json::serializer serializer;
  serializer.reset(&value);
  std::array<char, 4096> buffer{};
  while (!serializer.done()) out_.append(serializer.read(buffer.data(), buffer.size()));
  return *this;
}

// Runs of bytes that need no escape are appended whole: text is mostly such runs, and they are
// found eight bytes at a time.
void JsonText::escaped(std::string_view text) {
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  const char* at = run;
  while (at != end) {
    at = first_to_escape(at, end);
    if (at == end) break;
    out_.append(run, at);
    const char escape = kEscapes[static_cast<unsigned char>(*at)];
    const char sequence[6] = {
        '\\', escape, '0', '0', kHexDigits[(*at >> 4) & 0xf], kHexDigits[*at & 0xf]};
    out_.append(sequence, escape == 'u' ? 6 : 2);
    run = ++at;
  }
  out_.append(run, end);
}

}  // namespace ccgate::translate
