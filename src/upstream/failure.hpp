#pragma once
// Why an upstream call failed, in terms a door can map to its own protocol's errors.

#include <stdexcept>
#include <string>

namespace ccgate::upstream {

class Failure : public std::runtime_error {
 public:
  enum class Kind {
    status,       // the provider answered with an error status (see upstream_status)
    timeout,      // no answer, or a stall, within the configured time
    connect,      // could not reach the provider (DNS, refused, TLS)
    protocol,     // the provider's answer was not HTTP/JSON/SSE as expected
    unavailable,  // not tried: the provider is at its max_concurrent
  };
  Failure(Kind kind, int upstream_status, const std::string& message, std::string retry_after = {})
      : std::runtime_error(message),
        kind_(kind),
        upstream_status_(upstream_status),
        retry_after_(std::move(retry_after)) {}

  Kind kind() const { return kind_; }
  int upstream_status() const { return upstream_status_; }  // 0 when there was none
  const std::string& retry_after() const { return retry_after_; }
  // A 400 that says the request is longer than the model's context: another model may take it.
  bool context_too_long() const { return context_too_long_; }
  Failure& mark_context_too_long() {
    context_too_long_ = true;
    return *this;
  }

 private:
  Kind kind_;
  int upstream_status_;
  std::string retry_after_;
  bool context_too_long_ = false;
};

// Whether another target may serve the request after this failure (nothing reached the client
// yet): connect errors, timeouts, bad answers, 429, 5xx, 401/403 (every key of the provider
// refused), a context that is too long, a provider at its cap. Not: other 4xx, which another
// provider would refuse the same way.
// The failure in the metrics' short vocabulary (metrics::status_outcome for statuses):
// context_too_long, timeout, unreachable, bad_answer, at_capacity, or the status's class.
std::string_view metric_reason(const Failure& failure);

inline bool worth_another_target(const Failure& failure) {
  if (failure.kind() != Failure::Kind::status) return true;
  const int status = failure.upstream_status();
  return status == 401 || status == 403 || status == 408 || status == 429 || status >= 500 ||
         failure.context_too_long();
}

}  // namespace ccgate::upstream
