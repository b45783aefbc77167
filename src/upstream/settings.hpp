#pragma once
// How to reach the OpenAI-compatible provider: where, with which credentials and headers,
// how long to wait and how often to retry.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.hpp"

namespace ccgate::upstream {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Members have default initializers so designated initializers may name only some of them.
struct Settings {
  std::string base_url = "https://api.openai.com/v1";
  std::vector<std::string> api_keys{};  // a pool (upstream::KeyPool); none: a local Ollama
  std::string azure_api_version{};      // non-empty: Azure OpenAI mode
  Headers custom_headers{};             // from CUSTOM_HEADER_*; override the defaults
  http::ClientTimeouts timeouts{};
  int max_retries = 2;
  std::chrono::milliseconds max_retry_wait{60'000};  // a longer Retry-After is not waited for

  bool azure() const { return !azure_api_version.empty(); }
};

// <base>/chat/completions, or for Azure (resource root or a full deployment URL)
// <resource>/openai/deployments/<deployment>/chat/completions?api-version=<v>.
std::string chat_completions_url(const Settings& settings, std::string_view model);

// Content-Type, User-Agent, the key if any (Authorization: Bearer, or api-key for Azure), the
// request id if any (x-request-id), then the custom headers, which replace a default of the same
// name (the configuration warns when one replaces x-request-id: custom_header_hides_request_id).
Headers request_headers(const Settings& settings, std::string_view key,
                        std::string_view request_id = {});

// A custom header replaces the per-request x-request-id: every request then carries its value.
bool custom_header_hides_request_id(const Settings& settings);

}  // namespace ccgate::upstream
