#pragma once
// http_server: the dashboard's HTTP side on cpp-httplib: the page (assets.hpp) and the JSON
// API (json_api.hpp), on the server's own threads. Viewing needs nothing; control needs the
// token (json_api). Binds loopback unless told otherwise.

#include <memory>
#include <string>
#include <thread>

#include "shoal/common/errors.hpp"
#include "shoal/dashboard/json_api.hpp"

namespace httplib {
class Server;
}

namespace shoal::dashboard {

class http_server_error : public error {
  public:
    using error::error;
};

class http_server {
  public:
    explicit http_server(const json_api& api);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // Binds HOST:PORT (port 0: a free one) and serves on a thread; returns "HOST:PORT" as
    // bound. Throws http_server_error if it cannot.
    std::string start(const std::string& address);
    // Stops serving and joins. Idempotent.
    void stop();

  private:
    const json_api& api_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace shoal::dashboard
