#include "app/config_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/algorithm/string.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cmath>

#include "app/config.hpp"

namespace ccgate::app {

using std::chrono::milliseconds;

namespace {

// RFC 9110 token characters: what a header name may hold.
bool header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// An absolute http or https URL with a host.
bool http_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  return parsed && (parsed->scheme() == "http" || parsed->scheme() == "https") &&
         !parsed->host().empty();
}

// A URL's user and password are never shown; text that is no URL at all is shown as it is.
std::string url_as_shown(const std::string& text) {
  return boost::urls::parse_uri(text) ? shown_url(text) : text;
}

}  // namespace

bool variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool control_character(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
}

void Parser::fail(const YAML::Node& at, std::string_view path, std::string_view what) const {
  const YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  // An empty value ("key:") is marked where the next token starts: its key's line is meant.
  const int line = mark.is_null() || (at.IsNull() && key_line_ > 0) ? key_line_ : mark.line + 1;
  throw ConfigError(fmt::format("{}:{}: {}: {}", file_, line, path, what));
}

std::string Parser::interpolate(const std::string& raw, const YAML::Node& at,
                                std::string_view path) const {
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      out.push_back(raw[i++]);
      continue;
    }
    const auto close = raw.find('}', i + 2);
    if (close == std::string::npos)
      fail(at, path, "\"${\" without its \"}\" (write $${ for a literal ${)");
    const std::string name = raw.substr(i + 2, close - i - 2);
    if (!variable_name(name))
      fail(at, path, fmt::format("${{{}}} is not a variable name", quoted_value(name)));
    const auto found = env_.find(name);
    if (found == env_.end()) fail(at, path, fmt::format("${{{}}}: {} is not set", name, name));
    if (found->second.empty()) fail(at, path, fmt::format("${{{}}}: {} is empty", name, name));
    out += found->second;
    i = close + 1;
  }
  return out;
}

std::string Parser::text(const YAML::Node& node, std::string_view path) const {
  if (!node.IsScalar())
    fail(node, path, node.IsNull() ? "a value is required" : "expected a single value");
  return interpolate(node.Scalar(), node, path);
}

std::string Parser::non_empty(const YAML::Node& node, std::string_view path) const {
  std::string value = text(node, path);
  if (value.empty()) fail(node, path, "must not be empty");
  return value;
}

long long Parser::integer(const YAML::Node& node, std::string_view path, long long min,
                          long long max) const {
  const std::string value = text(node, path);
  long long parsed = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc{} || end != value.data() + value.size() || parsed < min || parsed > max)
    fail(node, path,
         fmt::format("{}: expected a whole number from {} to {}", quoted_value(value), min, max));
  return parsed;
}

milliseconds Parser::seconds(const YAML::Node& node, std::string_view path) const {
  const std::string value = text(node, path);
  char* end = nullptr;
  const double parsed = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(parsed) ||
      parsed <= 0 || parsed > 86400.0 * 7)
    fail(node, path,
         fmt::format("{}: expected a number of seconds greater than 0", quoted_value(value)));
  return milliseconds(static_cast<long long>(std::ceil(parsed * 1000.0)));
}

bool Parser::boolean(const YAML::Node& node, std::string_view path) const {
  std::string value = boost::algorithm::to_lower_copy(text(node, path));
  if (value == "true" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "no" || value == "off") return false;
  fail(node, path, fmt::format("{}: expected true or false", quoted_value(value)));
}

std::string Parser::url(const YAML::Node& node, std::string_view path) const {
  std::string value = text(node, path);
  if (!http_url(value))
    fail(node, path,
         fmt::format("{}: expected an http:// or https:// URL", quoted_value(url_as_shown(value))));
  return value;
}

std::vector<std::pair<std::string, std::string>> Parser::headers(const YAML::Node& node,
                                                                 std::string_view path) const {
  std::vector<std::pair<std::string, std::string>> headers;
  each(node, path, "", [&](const std::string& name, const YAML::Node& at, const YAML::Node& value) {
    const std::string header_path = fmt::format("{}.{}", path, name);
    if (!header_name(name)) fail(at, header_path, "not a valid header name");
    std::string text = this->text(value, header_path);
    // RFC 9110 allows HTAB in a field value, no other control character.
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return c != '\t' && control_character(c); }))
      fail(value, header_path, "the value holds a line break or another control character");
    headers.emplace_back(name, std::move(text));
    return true;
  });
  return headers;
}

void Parser::each(const YAML::Node& map, std::string_view path, std::string_view expected,
                  const std::function<bool(const std::string&, const YAML::Node&,
                                           const YAML::Node&)>& on_entry) const {
  if (map.IsNull()) return;
  if (!map.IsMap()) fail(map, path, "expected a mapping (key: value lines)");
  std::vector<std::string> seen;
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) fail(entry.first, path, "a key must be a single value");
    const std::string& key = entry.first.Scalar();
    const std::string key_path = path.empty() ? key : fmt::format("{}.{}", path, key);
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      fail(entry.first, key_path, "given twice");
    seen.push_back(key);
    key_line_ = entry.first.Mark().line + 1;
    if (!on_entry(key, entry.first, entry.second))
      fail(entry.first, key_path,
           expected.empty() ? std::string("unknown key")
                            : fmt::format("unknown key (expected one of: {})", expected));
  }
}

}  // namespace ccgate::app
