#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "translate/json_arena.hpp"

namespace ccgate::translate {
namespace {

namespace json = boost::json;

TEST(JsonArena, GivesAlignedSeparateMemoryOfEverySize) {
  JsonArena arena;
  json::memory_resource& resource = arena;
  std::vector<std::pair<std::byte*, std::size_t>> taken;
  for (std::size_t i = 0; i < 4000; ++i) {
    const std::size_t bytes = (i * 7919) % 5000 + 1 + (i % 97 == 0 ? 300'000 : 0);
    const std::size_t alignment = std::size_t{1} << (i % 5);  // 1 … 16
    auto* at = static_cast<std::byte*>(resource.allocate(bytes, alignment));
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(at) % alignment, 0u);
    std::memset(at, static_cast<int>(i), bytes);  // ASan flags a write past what was given
    taken.emplace_back(at, bytes);
  }
  std::sort(taken.begin(), taken.end());
  for (std::size_t i = 1; i < taken.size(); ++i)
    EXPECT_LE(taken[i - 1].first + taken[i - 1].second, taken[i].first);
}

TEST(JsonArena, HoldsAParsedTurnLargerThanItsBlocks) {
  std::string text = R"({"messages":[)";
  for (int i = 0; i < 2000; ++i) {
    if (i > 0) text += ",";
    text += R"({"role":"user","content":")" + std::string(1000 + i % 300, 'x') + R"("})";
  }
  text += R"(],"big":")" + std::string(3 * JsonArena::kMaxBlock, 'y') + R"("})";
  JsonArena arena;
  const json::value parsed = json::parse(text, &arena);
  EXPECT_TRUE(parsed.storage().is_deallocate_trivial());
  EXPECT_EQ(json::serialize(parsed), text);
}

}  // namespace
}  // namespace ccgate::translate
