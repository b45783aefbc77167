#pragma once
// The mock's command line: where to listen and how many event loops to run.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ccgate::bench {

struct MockOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned threads = 1;
  bool help = false;
};

// A flag the mock does not know, or a value it cannot use.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

MockOptions parse_mock_options(int argc, char** argv);  // throws UsageError
std::string_view mock_usage();

}  // namespace ccgate::bench
