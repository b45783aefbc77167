#pragma once
// A message head as bytes, in one string: the same bytes Beast's serializer writes, without its
// buffer sequence of three buffers per field (walking it cost more than the rest of a small
// exchange's HTTP work).

#include <boost/beast/http/message.hpp>
#include <string>

namespace ccgate::http {

namespace detail {

inline void append_version(std::string& out, unsigned version) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

template <class Fields>
void append_fields(std::string& out, const Fields& fields) {
  for (const auto& field : fields) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
}

template <class Fields>
std::size_t fields_size(const Fields& fields) {
  std::size_t size = 2;
  for (const auto& field : fields) size += field.name_string().size() + field.value().size() + 4;
  return size;
}

}  // namespace detail

template <class Fields>
std::string serialize_head(const boost::beast::http::header<true, Fields>& head) {
  std::string out;
  out.reserve(head.method_string().size() + head.target().size() + 11 + detail::fields_size(head));
  out += head.method_string();
  out += ' ';
  out += head.target();
  out += ' ';
  detail::append_version(out, head.version());
  out += "\r\n";
  detail::append_fields(out, head);
  return out;
}

template <class Fields>
std::string serialize_head(const boost::beast::http::header<false, Fields>& head) {
  std::string out;
  out.reserve(16 + head.reason().size() + detail::fields_size(head));
  detail::append_version(out, head.version());
  out += ' ';
  const unsigned status = head.result_int();
  out += static_cast<char>('0' + status / 100 % 10);
  out += static_cast<char>('0' + status / 10 % 10);
  out += static_cast<char>('0' + status % 10);
  out += ' ';
  out += head.reason();
  out += "\r\n";
  detail::append_fields(out, head);
  return out;
}

}  // namespace ccgate::http
