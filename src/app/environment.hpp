#pragma once
// Where configuration values come from: the process environment, a .env file in the working
// directory (never overriding the real environment), and command-line flags (overriding both).

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace ccgate::app {

using Environment = std::map<std::string, std::string, std::less<>>;

Environment process_environment();

// KEY=VALUE lines; blank lines and '#' comments skipped; an optional "export " prefix; values in
// single or double quotes taken literally (double quotes understand \n, \" and \\); an unquoted
// value ends at " #".
Environment parse_dotenv(std::string_view text);

// The process environment, completed by the .env file if it exists.
Environment load_environment(const std::filesystem::path& dotenv);

// A value as messages show it: in double quotes, with quotes, backslashes, control characters
// and bytes that are not UTF-8 escaped ("a\"b", "\n", "\xc0"). (fmt 9's "{:?}" aborts the
// process on a value that ends inside a UTF-8 sequence.)
std::string quoted_value(std::string_view value);

}  // namespace ccgate::app
