#pragma once
// stdin as lines, read with blocking read(2): the stub has nothing else to do while it waits.

#include <optional>
#include <string>

namespace ccgate::bench {

class StdinLines {
 public:
  // The next line without its '\n'; std::nullopt at end of input.
  std::optional<std::string> next();

 private:
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool ended_ = false;
};

}  // namespace ccgate::bench
