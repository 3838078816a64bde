#include "process/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace shoal::testing {

namespace {

int connect_to(const std::string& host, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

tcp_proxy::tcp_proxy(const std::string& upstream) {
    // tcp://HOST:PORT
    const auto colon = upstream.rfind(':');
    if (upstream.rfind("tcp://", 0) != 0 || colon == std::string::npos) {
        throw std::invalid_argument("tcp_proxy: not tcp://HOST:PORT: " + upstream);
    }
    upstream_host_ = upstream.substr(6, colon - 6);
    upstream_port_ = std::stoi(upstream.substr(colon + 1));

    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
        throw std::runtime_error("tcp_proxy: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("tcp_proxy: pipe");
    thread_ = std::thread([this] { serve(); });
}

tcp_proxy::~tcp_proxy() {
    stop_ = true;
    const char c = 's';
    if (::write(wake_[1], &c, 1) < 0) {
        // The pipe is never full here; if it were, the thread still sees stop_ within 50 ms.
    }
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void tcp_proxy::cut() {
    cuts_.fetch_add(1);
    const char c = 'c';
    if (::write(wake_[1], &c, 1) < 0) {
        // See the destructor.
    }
}

void tcp_proxy::serve() {
    // Pairs of (client fd, server fd); bytes flow both ways.
    std::vector<std::pair<int, int>> pairs;
    int cuts_seen = 0;
    char buffer[65536];
    const auto close_all = [&] {
        for (auto [a, b] : pairs) {
            ::close(a);
            ::close(b);
        }
        pairs.clear();
    };
    while (!stop_) {
        std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        for (auto [a, b] : pairs) {
            fds.push_back({a, POLLIN, 0});
            fds.push_back({b, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), 50) < 0) continue;
        if (fds[1].revents & POLLIN) {
            while (::read(wake_[0], buffer, sizeof buffer) > 0) {
            }
        }
        if (cuts_.load() != cuts_seen) {
            cuts_seen = cuts_.load();
            close_all();
            continue;
        }
        if (fds[0].revents & POLLIN) {
            const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) {
                const int s = connect_to(upstream_host_, upstream_port_);
                if (s < 0) {
                    ::close(c);
                } else {
                    pairs.emplace_back(c, s);
                    accepted_.fetch_add(1);
                }
            }
        }
        std::vector<std::size_t> dead;
        for (std::size_t i = 0; i < pairs.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
            const auto [a, b] = pairs[i];
            bool broken = false;
            for (int side = 0; side < 2 && !broken; ++side) {
                const auto& p = fds[2 + 2 * i + static_cast<std::size_t>(side)];
                if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const int from = side == 0 ? a : b;
                const int to = side == 0 ? b : a;
                const ssize_t n = ::read(from, buffer, sizeof buffer);
                if (n <= 0) {
                    broken = true;
                    break;
                }
                ssize_t off = 0;
                while (off < n) {
                    const ssize_t w = ::write(to, buffer + off, static_cast<std::size_t>(n - off));
                    if (w <= 0) {
                        broken = true;
                        break;
                    }
                    off += w;
                }
            }
            if (broken) dead.push_back(i);
        }
        for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
            ::close(pairs[*it].first);
            ::close(pairs[*it].second);
            pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(*it));
        }
    }
    close_all();
}

}  // namespace shoal::testing
