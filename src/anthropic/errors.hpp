#pragma once
// Anthropic's error shape: {"type":"error","error":{"type":…,"message":…}} and its statuses.

#include <string>
#include <string_view>

namespace ccgate::anthropic {

// 400 invalid_request_error, 401 authentication_error, 402 billing_error, 403 permission_error,
// 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 503 and 529 overloaded_error,
// 504 timeout_error, other 5xx api_error, other 4xx invalid_request_error.
// (billing_error and timeout_error are in the SDK's ErrorType union, resources/shared.d.ts.)
std::string_view error_type_for_status(int status);

std::string error_body(std::string_view type, std::string_view message);
inline std::string error_body_for_status(int status, std::string_view message) {
  return error_body(error_type_for_status(status), message);
}

}  // namespace ccgate::anthropic
