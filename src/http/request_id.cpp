#include "http/request_id.hpp"

#include <algorithm>

namespace ccgate::http {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdSize) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\';
  });
}

}  // namespace ccgate::http
