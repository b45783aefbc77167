#include <gtest/gtest.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>
#include <string>

#include "http/head.hpp"

namespace ccgate::http {
namespace {

namespace bhttp = boost::beast::http;

// What Beast's own serializer writes for the head: the bytes serialize_head must reproduce.
template <bool isRequest>
std::string beast_head(bhttp::message<isRequest, bhttp::string_body>& message) {
  bhttp::serializer<isRequest, bhttp::string_body> serializer{message};
  serializer.split(true);
  std::string out;
  while (!serializer.is_header_done()) {
    boost::system::error_code ec;
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      out += boost::beast::buffers_to_string(buffers);
      serializer.consume(boost::beast::buffer_bytes(buffers));
    });
    EXPECT_FALSE(ec) << ec.message();
    if (ec) break;
  }
  return out;
}

template <bool isRequest>
std::string streamed_head(const bhttp::message<isRequest, bhttp::string_body>& message) {
  std::ostringstream text;
  text << message.base();
  return std::move(text).str();
}

TEST(SerializeHead, RequestMatchesBeast) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/v1/chat/completions?x=1", 11};
  request.set(bhttp::field::host, "127.0.0.1:8080");
  request.insert("authorization", "Bearer key");
  request.insert("X-Custom-Header", "a, b;  c");
  request.insert("x-empty", "");
  request.set(bhttp::field::connection, "keep-alive");
  request.body() = R"({"model":"m"})";
  request.prepare_payload();
  EXPECT_EQ(serialize_head(request.base()), beast_head(request));
  EXPECT_EQ(serialize_head(request.base()), streamed_head(request));
}

TEST(SerializeHead, UnknownMethodAndHttp10MatchBeast) {
  bhttp::request<bhttp::string_body> request{bhttp::verb::get, "/", 10};
  request.method_string("PURGE");
  request.set(bhttp::field::host, "example.com");
  EXPECT_EQ(serialize_head(request.base()), beast_head(request));
}

TEST(SerializeHead, ResponsesMatchBeast) {
  for (const unsigned status : {100U, 200U, 204U, 304U, 404U, 429U, 500U, 529U, 599U}) {
    for (const unsigned version : {10U, 11U}) {
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), version};
      response.set(bhttp::field::server, "ccgate");
      response.set(bhttp::field::content_type, "application/json");
      response.insert("request-id", "req_0123");
      response.keep_alive(version == 11);
      if (status >= 200 && status != 204 && status != 304) response.body() = "{}";
      response.prepare_payload();
      EXPECT_EQ(serialize_head(response.base()), beast_head(response)) << status;
      EXPECT_EQ(serialize_head(response.base()), streamed_head(response)) << status;
    }
  }
}

TEST(SerializeHead, CustomReasonAndNoFieldsMatchBeast) {
  bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
  response.reason("Fine");
  EXPECT_EQ(serialize_head(response.base()), beast_head(response));
  EXPECT_EQ(serialize_head(response.base()), "HTTP/1.1 200 Fine\r\n\r\n");
}

}  // namespace
}  // namespace ccgate::http
