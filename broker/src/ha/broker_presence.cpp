#include "ha/broker_presence.hpp"

#include <charconv>

#include <fmt/format.h>

namespace shoal::broker {

std::string encode_presence(std::string_view role, std::uint64_t at_ms, std::string_view endpoint) {
    return fmt::format("{},{},{}", role, at_ms, endpoint);
}

std::optional<broker_presence> decode_presence(std::string_view name, std::string_view value) {
    const auto first = value.find(',');
    const auto second = first == std::string_view::npos ? first : value.find(',', first + 1);
    if (second == std::string_view::npos || first == 0) return std::nullopt;
    broker_presence p;
    p.name = std::string(name);
    p.role = std::string(value.substr(0, first));
    const char* begin = value.data() + first + 1;
    const char* end = value.data() + second;
    const auto [at, ec] = std::from_chars(begin, end, p.at_ms);
    if (ec != std::errc{} || at != end) return std::nullopt;
    p.endpoint = std::string(value.substr(second + 1));
    return p;
}

}  // namespace shoal::broker
