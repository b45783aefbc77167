#include "anthropic/errors.hpp"

#include <boost/json.hpp>

namespace ccgate::anthropic {

namespace json = boost::json;

std::string_view error_type_for_status(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:  // an unavailable upstream is what Anthropic reports as overloaded
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      break;
  }
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

std::string error_body(std::string_view type, std::string_view message) {
  json::object error;
  error["type"] = type;
  error["message"] = message;
  json::object body;
  body["type"] = "error";
  body["error"] = std::move(error);
  return json::serialize(body);
}

}  // namespace ccgate::anthropic
