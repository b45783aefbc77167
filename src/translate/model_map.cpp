#include "translate/model_map.hpp"

#include <algorithm>
#include <stdexcept>

#include "translate/text.hpp"

namespace ccgate::translate {

std::vector<std::pair<std::string, std::string>> parse_model_aliases(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> aliases;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view item = trim(text.substr(begin, comma - begin));
    begin = comma + 1;
    if (item.empty()) continue;  // tolerate "a=b," and ",,"
    const std::size_t equals = item.find('=');
    const std::string_view from =
        equals == std::string_view::npos ? "" : trim(item.substr(0, equals));
    const std::string_view to =
        equals == std::string_view::npos ? "" : trim(item.substr(equals + 1));
    if (from.empty() || to.empty()) {
      throw std::invalid_argument("model alias \"" + std::string(item) +
                                  "\" is not of the form client-model=upstream-model");
    }
    aliases.emplace_back(std::string(from), std::string(to));
  }
  return aliases;
}

bool has_reasoning_prefix(const std::vector<std::string>& prefixes, std::string_view model) {
  if (const auto slash = model.rfind('/'); slash != std::string_view::npos) {
    model.remove_prefix(slash + 1);
  }
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
    return !prefix.empty() && starts_with_ignoring_case(model, prefix);
  });
}

}  // namespace ccgate::translate
