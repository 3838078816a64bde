// A flood of short connections against a broker with few descriptors: the broker runs under
// `prlimit --nofile=64:64` (soft and hard, so that its own raise to the hard limit changes
// nothing) and the test opens thousands of connections:
//
//   - 1500 sessions, one after another: a DEALER connects, says HELLO, reads WELCOME and
//     closes without BYE (the broker keeps the session until its liveness ends it);
//   - 3 bursts of 150 DEALERs at once, each saying HELLO, held for a moment, closed without
//     BYE: more connections than the broker has descriptors;
//   - 2000 raw TCP connections (connect, close; some send half a ZMTP greeting first), and 3
//     bursts of 200 held open at once.
//
// Meanwhile a good client (a batch client process, connected before the flood) submits and
// waits on its tasks in small chunks. What must hold: the broker lives; the good client's
// tasks all complete, each once (outcome_checker.hpp); and afterwards the broker's open
// descriptors (/proc/PID/fd) and its sessions (inspect stats: peers, clients) return to what
// they were before the flood.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "process/batch_run.hpp"
#include "process/batch_tasks.hpp"
#include "process/local_cluster.hpp"
#include "process/outcome_checker.hpp"
#include "process/proc_stats.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/wire.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::testing::batch_client_argv;
using shoal::testing::child_process;
using shoal::testing::count_log_lines;
using shoal::testing::field;
using shoal::testing::joined;
using shoal::testing::local_cluster;
using shoal::testing::open_fds;
using shoal::testing::outcome_checker;
using shoal::testing::scratch_dir;
using shoal::testing::wait_until;
namespace batch = shoal::testing::batch;
namespace proto = shoal::proto;
using clock_type = std::chrono::steady_clock;

constexpr int kDescriptorLimit = 64;

long stat_of(shoal::client& c, const std::string& key) {
    const auto rows = c.inspect("stats").result(10.0).rows;
    if (rows.empty()) return -1;
    const std::string v = field(rows.front(), key);
    return v.empty() ? -1 : std::stol(v);
}

// 127.0.0.1:PORT of a tcp:// endpoint.
sockaddr_in address_of(const std::string& endpoint) {
    const auto colon = endpoint.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(endpoint.substr(colon + 1))));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    return a;
}

// A non-blocking TCP connect, not waited for; the descriptor, or -1.
int raw_connect_start(const sockaddr_in& to) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Waits (at most wait_ms in all) until each connect ended; how many are connected.
std::size_t wait_connected(const std::vector<int>& fds, int wait_ms) {
    std::vector<pollfd> polls;
    for (const int fd : fds) polls.push_back({fd, POLLOUT, 0});
    const auto until = clock_type::now() + std::chrono::milliseconds(wait_ms);
    std::size_t connected = 0;
    for (auto& p : polls) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now())
                .count();
        if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left))) == 1 &&
            (p.revents & POLLOUT) != 0) {
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) ++connected;
        }
    }
    return connected;
}

// A DEALER that says HELLO as a client, and whether WELCOME came within `wait_ms`.
struct hello_peer {
    std::unique_ptr<zmq::socket_t> socket;
    bool welcomed = false;
};

hello_peer say_hello(zmq::context_t& ctx, const std::string& endpoint, const std::string& name) {
    hello_peer p;
    p.socket = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
    p.socket->set(zmq::sockopt::linger, 0);
    p.socket->connect(endpoint);
    proto::hello h;
    h.role = proto::peer_role::client;
    h.name = name;
    (void)proto::send_message(*p.socket, proto::command::hello, proto::encode(h));
    return p;
}

bool wait_welcome(hello_peer& p, int wait_ms) {
    zmq::pollitem_t item{p.socket->handle(), 0, ZMQ_POLLIN, 0};
    const auto until = clock_type::now() + std::chrono::milliseconds(wait_ms);
    while (clock_type::now() < until) {
        if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) continue;
        while (auto msg = proto::receive(*p.socket, false)) {
            try {
                if (msg->parse().cmd == proto::command::welcome) p.welcomed = true;
            } catch (const std::exception&) {
            }
        }
        if (p.welcomed) return true;
    }
    return false;
}

TEST(ConnectionFlood,
     ThousandsOfShortConnectionsUnderALowDescriptorLimitLeaveTheBrokerServingAndReturnToBaseline) {
    // The test itself holds a few hundred descriptors at once.
    rlimit own{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
    own.rlim_cur = own.rlim_max;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &own), 0);
    ASSERT_GE(own.rlim_cur, 2048u);

    // Sessions of silent peers end after 2 s (100 ms x 20).
    const std::string limit =
        "--nofile=" + std::to_string(kDescriptorLimit) + ":" + std::to_string(kDescriptorLimit);
    local_cluster cluster({"--heartbeat-ms", "100", "--liveness", "20", "--log-level", "error"},
                          {"/usr/bin/prlimit", limit});
    ASSERT_FALSE(cluster.endpoint().empty());
    const pid_t broker = cluster.broker().pid();
    cluster.add_worker("w1", {"--concurrency", "50", "--prefetch", "0", "--log-level", "warn"});
    shoal::client watcher(cluster.endpoint());
    ASSERT_TRUE(watcher.wait_connected(20.0));
    ASSERT_TRUE(
        wait_until([&] { return watcher.inspect("workers").result(5.0).rows.size() == 1; }, 20.0));

    // The baseline: the worker and the watcher connected, nothing else.
    long fds_before = -1;
    ASSERT_TRUE(wait_until(
        [&] {
            const long a = open_fds(broker);
            std::this_thread::sleep_for(300ms);
            fds_before = open_fds(broker);
            return a == fds_before && a > 0;
        },
        10.0));
    const long peers_before = stat_of(watcher, "peers");
    const long clients_before = stat_of(watcher, "clients");
    ASSERT_LT(fds_before + 20, kDescriptorLimit)
        << "the broker's idle descriptors leave no room for peers";

    // The good client: 6000 short sleeps in 150 chunks with 300 ms between them (45 s and
    // more), from before the flood (about 20 to 40 s) to after it.
    scratch_dir dir;
    const std::string log = dir.file("good.log");
    const batch::spec spec{batch::kind::sleep, 5, 20};
    auto good = child_process::spawn(
        batch_client_argv({}, cluster.endpoint(), log, spec, 6000, 40,
                          {"--pause-ms", "300", "--timeout", "240", "--name", "good-client"}));
    ASSERT_TRUE(wait_until([&] { return count_log_lines(log, "result") >= 50; }, 30.0))
        << "the good client was not served before the flood";
    const auto flood_began = clock_type::now();

    zmq::context_t ctx(1);
    const std::string& ep = cluster.endpoint();
    const sockaddr_in to = address_of(ep);
    long fds_max = fds_before;
    const auto sample = [&] { fds_max = std::max(fds_max, open_fds(broker)); };
    // The good client is served during every phase of the flood (or has finished).
    std::vector<std::string> phases;
    std::size_t results_mark = count_log_lines(log, "result");
    auto phase_mark = clock_type::now();
    const auto end_phase = [&](const std::string& what) {
        const std::size_t now = count_log_lines(log, "result");
        const double took = std::chrono::duration<double>(clock_type::now() - phase_mark).count();
        phases.push_back(what + " " + std::to_string(took).substr(0, 4) + " s, good client +" +
                         std::to_string(now - results_mark));
        EXPECT_TRUE(now > results_mark || count_log_lines(log, "end") == 1)
            << "the good client got no result during the phase: " << what;
        results_mark = now;
        phase_mark = clock_type::now();
    };

    // 1500 sessions, one at a time: HELLO, WELCOME, gone without BYE.
    std::size_t welcomed = 0;
    for (int i = 0; i < 1500 && clock_type::now() - flood_began < 90s; ++i) {
        auto p = say_hello(ctx, ep, "flood-" + std::to_string(i));
        welcomed += wait_welcome(p, 2000) ? 1 : 0;
        if (i % 100 == 0) sample();
    }
    end_phase("1500 HELLOs");
    // Bursts of 150 HELLOs at once: more than the broker has descriptors.
    std::size_t burst_welcomed = 0;
    for (int round = 0; round < 3; ++round) {
        std::vector<hello_peer> burst;
        for (int i = 0; i < 150; ++i) {
            burst.push_back(
                say_hello(ctx, ep, "burst-" + std::to_string(round) + "-" + std::to_string(i)));
        }
        for (auto& p : burst) burst_welcomed += wait_welcome(p, 20) ? 1 : 0;
        sample();
        std::this_thread::sleep_for(500ms);
        sample();
    }
    end_phase("3 x 150 HELLOs at once");
    // Raw TCP: 2000 connects and closes, one in four after half a ZMTP greeting.
    std::size_t raw_ok = 0;
    for (int i = 0; i < 2000 && clock_type::now() - flood_began < 150s; ++i) {
        const int fd = raw_connect_start(to);
        if (fd < 0) continue;
        if (wait_connected({fd}, 1000) == 1 && i % 4 == 0) {
            const unsigned char half[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3};
            raw_ok +=
                ::send(fd, half, sizeof half, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof half)
                    ? 1
                    : 0;
        }
        ::close(fd);
        if (i % 200 == 0) sample();
    }
    end_phase("2000 raw connects");
    // Bursts of 200 raw connections held open at once.
    std::size_t raw_held = 0;
    for (int round = 0; round < 3; ++round) {
        std::vector<int> held;
        for (int i = 0; i < 200; ++i) {
            const int fd = raw_connect_start(to);
            if (fd >= 0) held.push_back(fd);
        }
        raw_held += wait_connected(held, 1000);
        std::this_thread::sleep_for(500ms);
        sample();
        for (const int fd : held) ::close(fd);
    }
    end_phase("3 x 200 raw connects at once");
    const double flood_s = std::chrono::duration<double>(clock_type::now() - flood_began).count();
    ctx.shutdown();
    ctx.close();

    // The broker lives and answers.
    ASSERT_TRUE(cluster.broker().running()) << "the broker died in the flood";
    const long sessions_peak = stat_of(watcher, "peers");

    // The good client was served throughout: every task done, once.
    ASSERT_EQ(good.wait(150.0), 0) << "the good client did not finish";
    outcome_checker checker([&](std::size_t i) { return batch::expected_value(spec, i); });
    ASSERT_TRUE(checker.read_log(log));
    auto problems = checker.violations();
    if (!checker.ended()) problems.push_back("the good client's log has no end line");
    EXPECT_TRUE(problems.empty()) << problems.size() << " breaches:" << joined(problems);
    EXPECT_EQ(checker.result_count(), 6000u);

    // Back to the baseline: sessions end at liveness, descriptors close.
    const auto settle_began = clock_type::now();
    long peers_now = -1;
    long clients_now = -1;
    EXPECT_TRUE(wait_until(
        [&] {
            peers_now = stat_of(watcher, "peers");
            clients_now = stat_of(watcher, "clients");
            return peers_now == peers_before && clients_now == clients_before;
        },
        60.0))
        << "sessions: peers " << peers_now << " (" << peers_before << " before), clients "
        << clients_now << " (" << clients_before << " before)";
    long fds_now = -1;
    EXPECT_TRUE(wait_until([&] { return (fds_now = open_fds(broker)) == fds_before; }, 60.0))
        << "the broker has " << fds_now << " descriptors open, " << fds_before
        << " before the flood";
    const double settled_s =
        std::chrono::duration<double>(clock_type::now() - settle_began).count();
    EXPECT_TRUE(cluster.broker().running());
    const long clients_dead = stat_of(watcher, "clients_dead");
    EXPECT_GE(clients_dead, 1000) << "the silent sessions were not ended by the liveness check";
    EXPECT_EQ(stat_of(watcher, "completed"), stat_of(watcher, "submitted"));

    std::printf(
        "[ connection flood ] broker under prlimit %d: descriptors %ld before, max %ld sampled, "
        "%ld after "
        "(settled %.1f s after the flood); sessions: peers %ld before, %ld after the flood, %ld "
        "settled; "
        "flood %.1f s: 1500 HELLOs (%zu welcomed), 450 in bursts (%zu welcomed at once), 2000 raw "
        "connects (%zu with half a greeting), 600 raw in bursts (%zu connected); clients_dead %ld; "
        "good "
        "client %zu/6000 results\n",
        kDescriptorLimit, fds_before, fds_max, fds_now, settled_s, peers_before, sessions_peak,
        peers_now, flood_s, welcomed, burst_welcomed, raw_ok, raw_held, clients_dead,
        checker.result_count());
    for (const auto& p : phases) std::printf("[ connection flood ]   %s\n", p.c_str());
}

}  // namespace
