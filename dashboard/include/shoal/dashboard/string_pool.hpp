#pragma once
// string_pool: task names, queue names and worker names, each stored once and named by a
// small number, so that 100,000 tasks do not hold 300,000 copies of a few dozen strings, and
// a filter by name compares numbers. Bounded: past max_strings, new strings share one
// "(other)" entry rather than grow the pool.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shoal::dashboard {

using pooled_string = std::uint32_t;
inline constexpr pooled_string no_string = 0;  // the empty string

class string_pool {
  public:
    static constexpr std::size_t max_strings = 100'000;

    string_pool();
    // The number of `text`, added if new (no_string for the empty string).
    pooled_string intern(std::string_view text);
    // The number of `text` if it is in the pool.
    std::optional<pooled_string> find(std::string_view text) const;
    const std::string& text(pooled_string s) const;

  private:
    std::vector<std::string> texts_;
    std::unordered_map<std::string, pooled_string> numbers_;
    pooled_string other_ = no_string;
};

}  // namespace shoal::dashboard
