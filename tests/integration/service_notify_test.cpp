// systemd's Type=notify, with the real daemons and a datagram socket of the test's own as
// NOTIFY_SOCKET: READY=1 once each serves, WATCHDOG=1 from the event loop (so a wedged loop
// goes quiet, and systemd would restart it), STOPPING=1 when SIGTERM begins the stop.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/local_cluster.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::testing::local_cluster;
using steady = std::chrono::steady_clock;

// What systemd would be: a datagram socket that the daemon's messages arrive at.
class notify_socket {
  public:
    notify_socket() {
        path_ = (fs::temp_directory_path() /
                 ("shoal_notify_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                    .string();
        fs::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
        bound_ = fd_ >= 0 &&
                 ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    }
    ~notify_socket() {
        if (fd_ >= 0) ::close(fd_);
        fs::remove(path_);
    }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    bool bound() const { return bound_; }
    const std::string& path() const { return path_; }

    // The next message, or nullopt when none came within timeout_s.
    std::optional<std::string> next(double timeout_s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout_s * 1000)) <= 0) return std::nullopt;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }
    // Reads messages until one contains `part` (and returns it) or timeout_s passes.
    std::optional<std::string> wait_for(const std::string& part, double timeout_s) {
        const auto until = steady::now() + std::chrono::duration<double>(timeout_s);
        while (steady::now() < until) {
            const double left = std::chrono::duration<double>(until - steady::now()).count();
            auto m = next(left);
            if (!m) return std::nullopt;
            seen_.push_back(*m);
            if (m->find(part) != std::string::npos) return m;
        }
        return std::nullopt;
    }
    const std::vector<std::string>& seen() const { return seen_; }

  private:
    static inline int counter_ = 0;
    std::string path_;
    int fd_ = -1;
    bool bound_ = false;
    std::vector<std::string> seen_;
};

std::string all_of(const std::vector<std::string>& messages) {
    std::string out;
    for (const auto& m : messages) out += "[" + m + "] ";
    return out;
}

// 0.2 s of watchdog: the daemons send WATCHDOG=1 every 0.1 s.
std::vector<std::string> under_systemd(const notify_socket& s) {
    return {"/usr/bin/env", "NOTIFY_SOCKET=" + s.path(), "WATCHDOG_USEC=200000"};
}

TEST(ServiceNotify, TheBrokerIsReadyWhenBoundPatsTheWatchdogAndSaysStopping) {
    notify_socket systemd;
    ASSERT_TRUE(systemd.bound());
    local_cluster cluster({}, under_systemd(systemd));
    ASSERT_FALSE(cluster.endpoint().empty());
    const auto ready = systemd.wait_for("READY=1", 30.0);
    ASSERT_TRUE(ready) << all_of(systemd.seen());
    EXPECT_NE(ready->find("STATUS=serving on " + cluster.endpoint()), std::string::npos) << *ready;
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", 30.0)) << all_of(systemd.seen());
    }
    cluster.broker().signal(SIGTERM);
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 30.0)) << all_of(systemd.seen());
    EXPECT_EQ(cluster.broker().wait(30.0), 0);
}

TEST(ServiceNotify, TheWorkerIsReadyPatsTheWatchdogFromItsLoopAndSaysStoppingOnDrain) {
    notify_socket systemd;
    ASSERT_TRUE(systemd.bound());
    local_cluster cluster;
    ASSERT_FALSE(cluster.endpoint().empty());
    cluster.add_worker("w-notify", {"--threads", "1", "--processes", "1"}, under_systemd(systemd));
    ASSERT_TRUE(systemd.wait_for("READY=1", 30.0)) << all_of(systemd.seen());
    EXPECT_TRUE(systemd.wait_for("STATUS=connected to " + cluster.endpoint(), 30.0))
        << all_of(systemd.seen());
    ASSERT_TRUE(systemd.wait_for("WATCHDOG=1", 30.0)) << all_of(systemd.seen());
    // A task that blocks the worker's loop for 3 s: no WATCHDOG=1 can come meanwhile, which
    // is what lets systemd restart a wedged worker.
    const auto submitted = cluster.cli({"submit", "block_loop", "3"});
    ASSERT_EQ(submitted.status, 0) << submitted.out;
    double longest_gap = 0;
    auto last = steady::now();
    const auto until = last + std::chrono::seconds(30);
    while (steady::now() < until && longest_gap < 2.0) {
        if (!systemd.wait_for("WATCHDOG=1", 30.0)) break;
        const auto now = steady::now();
        longest_gap = std::max(longest_gap, std::chrono::duration<double>(now - last).count());
        last = now;
    }
    EXPECT_GE(longest_gap, 2.0) << "the watchdog went on while the loop was blocked";
    cluster.worker(0).signal(SIGTERM);
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 30.0)) << all_of(systemd.seen());
    EXPECT_EQ(cluster.worker(0).wait(60.0), 0);
}

}  // namespace
