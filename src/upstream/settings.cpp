#include "upstream/settings.hpp"

#include <fmt/format.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "http/request_id.hpp"

namespace ccgate::upstream {
namespace {

std::string trim_trailing_slashes(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

// For Azure, the part of the base URL before "/openai", and the deployment named in it, if any.
std::pair<std::string, std::string> split_azure_base(std::string_view base) {
  const auto openai = base.find("/openai");
  if (openai == std::string_view::npos) return {trim_trailing_slashes(base), ""};
  std::string resource(base.substr(0, openai));
  std::string_view rest = base.substr(openai + 7);
  constexpr std::string_view kDeployments = "/deployments/";
  std::string deployment;
  if (rest.starts_with(kDeployments)) {
    rest.remove_prefix(kDeployments.size());
    deployment = std::string(rest.substr(0, rest.find('/')));
  }
  return {resource, deployment};
}

}  // namespace

std::string chat_completions_url(const Settings& settings, std::string_view model) {
  std::string_view base = settings.base_url;
  if (const auto query = base.find('?'); query != std::string_view::npos)
    base = base.substr(0, query);
  if (!settings.azure()) return trim_trailing_slashes(base) + "/chat/completions";

  auto [resource, deployment] = split_azure_base(trim_trailing_slashes(base));
  if (deployment.empty()) deployment = std::string(model);
  boost::urls::url url = boost::urls::parse_uri(resource).value();
  url.set_path(fmt::format("{}/openai/deployments/{}/chat/completions",
                           trim_trailing_slashes(url.path()), deployment));
  url.params().set("api-version", settings.azure_api_version);
  return std::string(url.buffer());
}

Headers request_headers(const Settings& settings, std::string_view key,
                        std::string_view request_id) {
  Headers headers{{"Content-Type", "application/json"}, {"User-Agent", "ccgate/" CCGATE_VERSION}};
  if (!key.empty()) {
    if (settings.azure())
      headers.emplace_back("api-key", key);
    else
      headers.emplace_back("Authorization", fmt::format("Bearer {}", key));
  }
  if (!request_id.empty()) headers.emplace_back(http::kRequestIdHeader, request_id);
  for (const auto& [name, value] : settings.custom_headers) {
    std::erase_if(headers, [&](const auto& h) { return boost::iequals(h.first, name); });
    headers.emplace_back(name, value);
  }
  return headers;
}

bool custom_header_hides_request_id(const Settings& settings) {
  return std::any_of(
      settings.custom_headers.begin(), settings.custom_headers.end(),
      [](const auto& header) { return boost::iequals(header.first, http::kRequestIdHeader); });
}

}  // namespace ccgate::upstream
