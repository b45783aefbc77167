#pragma once
// Reading the YAML configuration file's nodes: each value interpolated (${VAR} from the
// environment, $${ for a literal ${), each error a ConfigError "FILE:LINE: key.path: what is
// wrong". Shared by every part of the file (config_file.cpp, config_gateway.cpp).

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/environment.hpp"

namespace ccgate::app {

bool variable_name(std::string_view name);

// A byte below 0x20, or DEL.
bool control_character(char c);

class Parser {
 public:
  Parser(const std::string& file, const Environment& env) : file_(file), env_(env) {}

  [[noreturn]] void fail(const YAML::Node& at, std::string_view path, std::string_view what) const;
  std::string interpolate(const std::string& raw, const YAML::Node& at,
                          std::string_view path) const;
  // A scalar, interpolated.
  std::string text(const YAML::Node& node, std::string_view path) const;
  std::string non_empty(const YAML::Node& node, std::string_view path) const;
  long long integer(const YAML::Node& node, std::string_view path, long long min,
                    long long max) const;
  // A positive number of seconds (fractions allowed), at most a week.
  std::chrono::milliseconds seconds(const YAML::Node& node, std::string_view path) const;
  bool boolean(const YAML::Node& node, std::string_view path) const;
  // An absolute http:// or https:// URL with a host, interpolated (shown without its password
  // when it is refused).
  std::string url(const YAML::Node& node, std::string_view path) const;
  // A mapping of HTTP header names to values (interpolated; no line breaks). Values are never
  // shown: headers carry credentials.
  std::vector<std::pair<std::string, std::string>> headers(const YAML::Node& node,
                                                           std::string_view path) const;

  // Calls on_entry(key, key node, value node) for each entry of a mapping (null: none). A key
  // given twice is an error, and so is one on_entry does not know (it returns false). expected:
  // the known keys, for the error message.
  void each(const YAML::Node& map, std::string_view path, std::string_view expected,
            const std::function<bool(const std::string&, const YAML::Node&, const YAML::Node&)>&
                on_entry) const;

  const std::string& file() const { return file_; }

 private:
  const std::string& file_;
  const Environment& env_;
  mutable int key_line_ = 1;  // the line of the key whose value is being read
};

}  // namespace ccgate::app
