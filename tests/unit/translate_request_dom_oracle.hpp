#pragma once
// The request translation before the direct writer, kept as the oracle the new one is pinned to.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "translate/request.hpp"

namespace ccgate::translate::dom_oracle {

struct DomTranslatedRequest {
  boost::json::object body;
  std::string client_model;
  std::string upstream_model;
  bool stream = false;
  std::vector<std::string> stop_sequences;
};

// The request for target (its name and quirks). Throws InvalidRequest, with the messages the API
// uses.
DomTranslatedRequest to_openai_request_dom(const boost::json::value& anthropic_request,
                                           const RequestOptions& options,
                                           const UpstreamModel& target);

}  // namespace ccgate::translate::dom_oracle
