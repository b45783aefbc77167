#pragma once
// JSON text written straight into a string, byte for byte as json::serialize writes the same
// value: the request translation writes the OpenAI body this way instead of building a second
// DOM and serializing it (a Claude Code turn is megabytes of text that would be copied twice).
// The caller writes the punctuation and the keys (raw); strings are quoted and escaped here.

#include <boost/json/value.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ccgate::translate {

class JsonText {
 public:
  explicit JsonText(std::string& out) : out_(out) {}

  // Text that is already JSON: punctuation, a quoted key, a literal.
  JsonText& raw(std::string_view text) {
    out_.append(text);
    return *this;
  }
  JsonText& string(std::string_view text);
  // One string: the pieces' concatenation.
  JsonText& string(std::span<const std::string_view> pieces);
  JsonText& integer(std::int64_t number);
  JsonText& value(const boost::json::value& value);

  std::size_t size() const { return out_.size(); }
  void truncate(std::size_t size) { out_.resize(size); }

 private:
  void escaped(std::string_view text);

  std::string& out_;
};

}  // namespace ccgate::translate
