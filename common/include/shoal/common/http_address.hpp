#pragma once
// The --http setting: HOST:PORT (port 0 picks a free one).

#include <string>
#include <string_view>

namespace shoal {

struct http_address {
    std::string host;
    int port = 0;
};
// False for an empty host, no port, or a port outside 0..65535.
bool parse_http_address(std::string_view text, http_address& out);

}  // namespace shoal
