#include "app/environment.hpp"

#include <fstream>
#include <sstream>

#include "translate/text.hpp"

extern char** environ;

namespace ccgate::app {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::string unquote_double(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      const char next = body[++i];
      out.push_back(next == 'n' ? '\n' : next);
    } else {
      out.push_back(body[i]);
    }
  }
  return out;
}

std::string parse_value(std::string_view raw) {
  raw = trim(raw);
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'')) {
    const char quote = raw.front();
    auto close = raw.find(quote, 1);
    while (quote == '"' && close != std::string_view::npos && raw[close - 1] == '\\')
      close = raw.find(quote, close + 1);  // \" inside double quotes does not close them
    if (close != std::string_view::npos) {
      const auto body = raw.substr(1, close - 1);
      return quote == '"' ? unquote_double(body) : std::string(body);
    }
  }
  if (const auto comment = raw.find(" #"); comment != std::string_view::npos)
    raw = trim(raw.substr(0, comment));
  return std::string(raw);
}

void append_escaped_byte(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\x");
  out.push_back(kHex[byte >> 4]);
  out.push_back(kHex[byte & 0xF]);
}

}  // namespace

std::string quoted_value(std::string_view value) {
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size();) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte >= 0x80) {
      const std::size_t length = translate::utf8_sequence_length(value.substr(i));
      if (length == 0) {
        append_escaped_byte(out, byte);
        ++i;
      } else {
        out.append(value.substr(i, length));
        i += length;
      }
      continue;
    }
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else if (byte == '\n') {
      out.append("\\n");
    } else if (byte == '\t') {
      out.append("\\t");
    } else if (byte < 0x20 || byte == 0x7F) {
      append_escaped_byte(out, byte);
    } else {
      out.push_back(static_cast<char>(byte));
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view pair(*entry);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
  return env;
}

Environment parse_dotenv(std::string_view text) {
  Environment env;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::string_view view = trim(line);
    if (view.empty() || view.front() == '#') continue;
    if (view.starts_with("export ")) view = trim(view.substr(7));
    const auto eq = view.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = trim(view.substr(0, eq));
    if (key.empty()) continue;
    env.insert_or_assign(std::string(key), parse_value(view.substr(eq + 1)));
  }
  return env;
}

Environment load_environment(const std::filesystem::path& dotenv) {
  Environment env = process_environment();
  std::ifstream file(dotenv);
  if (!file) return env;
  std::stringstream text;
  text << file.rdbuf();
  for (auto& [key, value] : parse_dotenv(text.str())) env.emplace(key, std::move(value));
  return env;
}

}  // namespace ccgate::app
