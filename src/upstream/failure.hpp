#pragma once
// Why an upstream call failed, in terms a door can map to its own protocol's errors.

#include <stdexcept>
#include <string>

namespace ccgate::upstream {

class Failure : public std::runtime_error {
 public:
  enum class Kind {
    status,   // the provider answered with an error status (see upstream_status)
    timeout,  // no answer, or a stall, within the configured time
    connect,  // could not reach the provider (DNS, refused, TLS)
    protocol  // the provider's answer was not HTTP/JSON/SSE as expected
  };
  Failure(Kind kind, int upstream_status, const std::string& message, std::string retry_after = {})
      : std::runtime_error(message),
        kind_(kind),
        upstream_status_(upstream_status),
        retry_after_(std::move(retry_after)) {}

  Kind kind() const { return kind_; }
  int upstream_status() const { return upstream_status_; }  // 0 when there was none
  const std::string& retry_after() const { return retry_after_; }

 private:
  Kind kind_;
  int upstream_status_;
  std::string retry_after_;
};

}  // namespace ccgate::upstream
