#include "shoal/common/http_address.hpp"

#include <charconv>

namespace shoal {

bool parse_http_address(std::string_view text, http_address& out) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view port = text.substr(colon + 1);
    int n = -1;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || n < 0 || n > 65535)
        return false;
    out.host = std::string(text.substr(0, colon));
    out.port = n;
    return true;
}

}  // namespace shoal
