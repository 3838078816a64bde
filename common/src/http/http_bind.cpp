#include "shoal/common/http_bind.hpp"

#include <httplib.h>

#include <fmt/format.h>

namespace shoal {

std::string bind_http_server(httplib::Server& server, const http_address& where,
                             std::thread& thread) {
    int port = where.port;
    if (port == 0) {
        port = server.bind_to_any_port(where.host.c_str());
    } else if (!server.bind_to_port(where.host.c_str(), port)) {
        port = -1;
    }
    if (port < 0) return {};
    thread = std::thread([&server] { server.listen_after_bind(); });
    return fmt::format("{}:{}", where.host, port);
}

}  // namespace shoal
