#pragma once
// http_listener: a daemon's HTTP side (the broker's and the worker's --http HOST:PORT):
// /metrics, /healthz, /readyz. cpp-httplib serves on threads of its own; every answer is made
// on the daemon's event loop (asked with call_soon_threadsafe, waited for at most
// answer_timeout_s), so no daemon state is ever read from another thread, and a loop that
// does not turn makes /healthz fail: which is what a liveness probe is for. Library
// shoal_http (common/src/http), linked by the broker and the worker only: clients never carry
// an HTTP server.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/http_address.hpp"

namespace httplib {
class Server;
}

namespace shoal {

// The listener cannot start (a bad address, a port in use).
class http_error : public error {
  public:
    using error::error;
};

struct http_answer {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain; charset=utf-8";
};

class http_listener {
  public:
    // Called on the loop for each request, with its path.
    using answerer = std::function<http_answer(std::string_view path)>;
    static constexpr double answer_timeout_s = 5.0;

    // `paths`: the paths served; any other is 404.
    http_listener(event_loop& loop, answerer answer, std::vector<std::string> paths);
    ~http_listener();
    http_listener(const http_listener&) = delete;
    http_listener& operator=(const http_listener&) = delete;

    // Binds HOST:PORT (port 0: a free one) and starts serving; returns "HOST:PORT" as bound.
    // Throws http_error if it cannot bind.
    std::string start(const std::string& address);
    // Stops serving and joins the server's thread. Idempotent. Call on the loop's thread.
    void stop();

  private:
    http_answer ask_loop(std::string path);

    event_loop& loop_;
    answerer answer_;
    std::vector<std::string> paths_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    // Loop-thread side: false once stopped, so an answer queued before stop() does nothing.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal
