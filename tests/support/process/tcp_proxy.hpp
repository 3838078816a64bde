#pragma once
// tcp_proxy: a loopback TCP relay between a client and a server, which a test can cut. Cutting
// closes every live connection at once (as a dropped network link would) while the proxy
// keeps listening, so the client's next connection attempt goes through again.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace shoal::testing {

class tcp_proxy {
  public:
    // Relays 127.0.0.1:<free port> to the server at `upstream` (tcp://HOST:PORT).
    explicit tcp_proxy(const std::string& upstream);
    ~tcp_proxy();
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;

    // tcp://127.0.0.1:PORT: give this to the client instead of the server's endpoint.
    const std::string& endpoint() const noexcept { return endpoint_; }
    // Closes every connection relayed so far.
    void cut();
    // Connections accepted so far.
    int connections() const noexcept { return accepted_.load(); }

  private:
    void serve();

    std::string upstream_host_;
    int upstream_port_ = 0;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::atomic<int> cuts_{0};
    std::thread thread_;
};

}  // namespace shoal::testing
