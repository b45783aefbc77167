// The proxy door's streaming path: an OpenAI-compatible provider's SSE body → the Anthropic
// event stream sent to the client, as proxy/stream_relay.cpp drives http::SseReader and
// translate::StreamTranslator. The fuzzer chooses the body and where the socket splits it
// (the trailer at the end of the input, see fuzz_support.hpp), and whether the upstream
// connection fails after the body.
//
// Properties, besides ASan/UBSan: the output is a valid Anthropic stream that ends with
// message_stop or an error event (check_anthropic_stream); and it is the same however the body
// was split.

#include "anthropic/errors.hpp"
#include "fuzz_support.hpp"
#include "http/sse.hpp"
#include "openai/errors.hpp"
#include "translate/stream.hpp"

namespace {

namespace json = boost::json;
using ccgate::fuzz::require;

// Mirrors proxy/stream_relay.cpp's Relay (feed, on_event, finish), minus the I/O.
class Relay {
 public:
  Relay()
      : translator_({.client_model = "claude-sonnet-4-5",
                     .stop_sequences = {"STOP", "</answer>", "\n\nHuman:"},
                     .make_id = ccgate::fuzz::sequential_ids()}) {
    translator_.start(out_);
  }

  void feed(std::string_view bytes) {
    reader_.feed(bytes);
    while (!done_) {
      auto event = reader_.next();
      if (!event) break;
      on_event(*event);
    }
  }

  std::string finish(bool upstream_failed) {
    if (!done_) {
      if (upstream_failed) {
        translator_.fail("api_error", "upstream provider failed mid-stream: reset", out_);
      } else {
        if (auto last = reader_.finish()) on_event(*last);
        if (!done_) {
          if (translator_.saw_finish_reason())
            translator_.finish(out_);
          else
            translator_.fail("api_error", "upstream provider ended the stream before it finished",
                             out_);
        }
      }
    }
    require(translator_.finished(), "the translator is finished at the end of the body");
    return std::move(out_);
  }

  const std::string& sent_text() const { return sent_text_; }
  const std::string& sent_thinking() const { return sent_thinking_; }

 private:
  void on_event(const ccgate::http::SseEvent& event) {
    if (event.data == "[DONE]") {
      translator_.finish(out_);
      done_ = true;
      return;
    }
    // The relay parses with Boost.JSON's default depth (32); deeper chunks are dropped.
    const auto chunk = ccgate::fuzz::parse_json(event.data, 32);
    if (!chunk || !chunk->is_object()) return;
    const auto& object = chunk->get_object();
    if (const auto* error = object.if_contains("error"); error != nullptr && !error->is_null()) {
      int status = 500;
      if (error->is_object()) {
        if (const auto* code = error->get_object().if_contains("code"); code && code->is_int64())
          status = static_cast<int>(code->get_int64());
      }
      translator_.fail(ccgate::anthropic::error_type_for_status(status),
                       ccgate::openai::error_message_from_body(json::serialize(object)), out_);
      done_ = true;
      return;
    }
    remember_text(object);
    translator_.on_chunk(object, out_);
  }

  // What the client must see of this chunk: its first choice's text and reasoning.
  void remember_text(const json::object& chunk) {
    const auto* choices = chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) return;
    const auto* choice = choices->get_array().front().if_object();
    const auto* delta = choice == nullptr ? nullptr : choice->if_contains("delta");
    if (delta == nullptr || !delta->is_object()) return;
    const auto text_of = [&](std::string_view key) {
      const auto* value = delta->get_object().if_contains(key);
      return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                    : std::string_view();
    };
    sent_text_.append(text_of("content")).append(text_of("refusal"));
    const auto reasoning = text_of("reasoning_content");
    sent_thinking_.append(reasoning.empty() ? text_of("reasoning") : reasoning);
  }

  ccgate::translate::StreamTranslator translator_;
  ccgate::http::SseReader reader_;
  std::string out_;
  std::string sent_text_;  // what the upstream said, in order
  std::string sent_thinking_;
  bool done_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const bool upstream_failed = provider.ConsumeIntegralInRange<std::uint8_t>(0, 15) == 0;
  const auto cuts = ccgate::fuzz::consume_cuts(provider);
  const std::string body = provider.ConsumeRemainingBytesAsString();

  Relay whole;
  whole.feed(body);
  const std::string expected = whole.finish(upstream_failed);
  const auto summary = ccgate::fuzz::check_anthropic_stream(expected);
  require(summary.text == whole.sent_text(), "every piece of upstream text reaches the client",
          expected);
  require(summary.thinking == whole.sent_thinking(),
          "every piece of upstream reasoning reaches the client", expected);

  Relay split;
  for (const auto piece : cuts.apply(body)) split.feed(piece);
  require(split.finish(upstream_failed) == expected,
          "the Anthropic stream is the same however the upstream body is split", expected);
  return 0;
}
