#pragma once
// What routing needs to know of an Anthropic Messages request, read without validating it
// (translation validates afterwards). Pure.

#include <boost/json/value.hpp>
#include <string_view>

namespace ccgate::translate {

struct RouteTraits {
  std::string_view model;   // the request's "model"; empty when missing or not a string
  bool thinking = false;    // thinking.type is "enabled" (an explicit budget); "adaptive" is not
  bool web_search = false;  // a tool whose "type" starts with "web_search"
};

// Views into request, which must outlive the traits.
RouteTraits route_traits(const boost::json::value& request);

}  // namespace ccgate::translate
