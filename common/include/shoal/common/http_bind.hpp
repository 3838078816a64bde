#pragma once
// bind_http_server: binds a cpp-httplib server to HOST:PORT (port 0: a free one) and serves it
// on a thread of its own; the one way the daemons' listener (http_listener) and `shoal
// dashboard` start theirs. Library shoal_http.

#include <string>
#include <thread>

#include "shoal/common/http_address.hpp"

namespace httplib {
class Server;
}

namespace shoal {

// "HOST:PORT" as bound, with `thread` serving; "" (nothing started) if it cannot bind.
std::string bind_http_server(httplib::Server& server, const http_address& where,
                             std::thread& thread);

}  // namespace shoal
