// Hostile input at the real broker daemon (shoal-broker, with a real shoal-worker):
//   1. raw TCP junk below ZeroMQ: random bytes, a ZMTP greeting and then garbage, a truncated
//      frame, declared frame lengths past the socket's ceiling, 200 connections dropped;
//   2. real SHOAL/1 messages with flipped, replaced, inserted and deleted bytes (fixed seeds),
//      and every truncated prefix of a body;
//   3. protocol misuse: worker commands from a client, a second HELLO, DONE for unknown tasks
//      and for tasks held by another worker.
// Each bad message is refused (an ERROR, or ignored) and counted in INSPECT stats; results
// that were not the sender's to report never reach a client; and after each case the broker
// is still running and a fresh good client gets correct results. Every wait is bounded.
// Every case runs twice: against an open broker, and against one with CURVE keys (SECURITY.md),
// where the hostile peers hold authorised keys (a worker key, which may say HELLO as a client
// or a worker) and a plaintext ZMTP session gets nothing at all.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "process/key_dir.hpp"
#include "process/local_cluster.hpp"
#include "process/wait_until.hpp"
#include "shoal/client/client.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/wire.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

namespace proto = shoal::proto;
using shoal::broker::testing::str_field;
using shoal::broker::testing::test_peer;
using shoal::testing::local_cluster;
using shoal::testing::wait_until;
using counters = std::map<std::string, std::int64_t>;
using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Plain TCP, below ZeroMQ. Non-blocking sockets; every wait goes through poll with a deadline.

double seconds_left(clock_type::time_point deadline) {
    return std::chrono::duration<double>(deadline - clock_type::now()).count();
}
clock_type::time_point after(double seconds) {
    return clock_type::now() +
           std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
}

class tcp_conn {
  public:
    // Connects to 127.0.0.1:port within timeout_s; connected() says whether it did.
    explicit tcp_conn(int port, double timeout_s = 5.0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
            connected_ = true;
            return;
        }
        if (errno != EINPROGRESS) return;
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(timeout_s * 1000)) != 1) return;
        int err = 0;
        socklen_t len = sizeof err;
        connected_ = ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ~tcp_conn() { close(); }
    tcp_conn(const tcp_conn&) = delete;
    tcp_conn& operator=(const tcp_conn&) = delete;
    tcp_conn(tcp_conn&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), connected_(o.connected_), eof_(o.eof_) {}

    bool connected() const noexcept { return connected_; }

    // Sends everything; false if the peer closed, an error, or the time ran out.
    bool send_all(std::string_view data, double timeout_s = 5.0) {
        const auto deadline = after(timeout_s);
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
            const double left = seconds_left(deadline);
            if (left <= 0) return false;
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, std::max(1, static_cast<int>(left * 1000)));
        }
        return true;
    }

    // Reads until `want` bytes are in `into`, the peer closes, or the time runs out.
    void read_into(std::string& into, std::size_t want, double timeout_s) {
        const auto deadline = after(timeout_s);
        char buf[4096];
        while (into.size() < want && !eof_) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                into.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                eof_ = true;
                break;
            }
            const double left = seconds_left(deadline);
            if (left <= 0) break;
            pollfd p{fd_, POLLIN, 0};
            ::poll(&p, 1, std::max(1, static_cast<int>(left * 1000)));
        }
    }

    // True once the other side closed the connection (EOF or reset) within timeout_s;
    // whatever arrives meanwhile is discarded.
    bool closed_by_peer(double timeout_s) {
        std::string sink;
        const auto deadline = after(timeout_s);
        while (!eof_ && seconds_left(deadline) > 0) {
            sink.clear();
            read_into(sink, 1u << 20, std::min(0.2, std::max(0.001, seconds_left(deadline))));
        }
        return eof_;
    }

    // An abrupt close: RST instead of FIN.
    void abort() {
        if (fd_ < 0) return;
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close();
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
};

// ZMTP 3.0 (rfc.zeromq.org/spec/23) by hand: enough to greet a ROUTER as a DEALER.
std::string zmtp_greeting(std::string_view mechanism = "NULL") {
    std::string g(64, '\0');
    g[0] = '\xff';
    g[9] = '\x7f';
    g[10] = 3;  // major
    g[11] = 0;  // minor
    std::memcpy(g.data() + 12, mechanism.data(), std::min<std::size_t>(mechanism.size(), 20));
    return g;  // as-server 0, filler zeros
}
std::string be(std::uint64_t v, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
}
// The NULL mechanism's READY command, Socket-Type DEALER.
std::string zmtp_ready_dealer() {
    std::string body = "\x05READY";
    body += "\x0bSocket-Type" + be(6, 4) + "DEALER";
    return std::string("\x04", 1) + static_cast<char>(body.size()) + body;
}
std::string zmtp_frame(std::string_view data, bool more) {
    std::string out;
    if (data.size() < 256) {
        out += static_cast<char>(more ? 0x01 : 0x00);
        out += static_cast<char>(data.size());
    } else {
        out += static_cast<char>(more ? 0x03 : 0x02);
        out += be(data.size(), 8);
    }
    out += data;
    return out;
}
std::string zmtp_message(const std::vector<std::string>& frames) {
    std::string out;
    for (std::size_t i = 0; i < frames.size(); ++i)
        out += zmtp_frame(frames[i], i + 1 < frames.size());
    return out;
}

// A DEALER session spoken by hand over a plain TCP connection.
class raw_zmtp {
  public:
    explicit raw_zmtp(int port) : conn_(port) {}
    tcp_conn& conn() { return conn_; }

    // Greets, sends READY, and checks the broker's greeting; false if any of it failed.
    bool handshake() {
        if (!conn_.connected()) return false;
        if (!conn_.send_all(zmtp_greeting() + zmtp_ready_dealer())) return false;
        conn_.read_into(buffer_, 64, 5.0);
        if (buffer_.size() < 64 || buffer_[0] != '\xff' || buffer_[9] != '\x7f' ||
            buffer_[10] != 3) {
            return false;
        }
        buffer_.erase(0, 64);
        return true;
    }
    // The next whole message's frames (command frames such as READY are skipped).
    std::optional<std::vector<std::string>> read_message(double timeout_s) {
        const auto deadline = after(timeout_s);
        std::vector<std::string> frames;
        while (seconds_left(deadline) > 0) {
            // Parse what is buffered.
            while (true) {
                if (buffer_.size() < 2) break;
                const auto flags = static_cast<std::uint8_t>(buffer_[0]);
                std::size_t header = 2;
                std::uint64_t size = static_cast<std::uint8_t>(buffer_[1]);
                if (flags & 0x02) {
                    header = 9;
                    if (buffer_.size() < header) break;
                    size = 0;
                    for (int i = 1; i <= 8; ++i)
                        size = (size << 8) |
                               static_cast<std::uint8_t>(buffer_[static_cast<std::size_t>(i)]);
                }
                if (buffer_.size() < header + size) break;
                std::string data = buffer_.substr(header, size);
                buffer_.erase(0, header + size);
                if (flags & 0x04) continue;  // a command (READY, PING): not a message
                frames.push_back(std::move(data));
                if (!(flags & 0x01)) return frames;
            }
            conn_.read_into(buffer_, buffer_.size() + 1, std::min(0.1, seconds_left(deadline)));
        }
        return std::nullopt;
    }

  private:
    tcp_conn conn_;
    std::string buffer_;
};

int open_fd_count(pid_t pid) {
    std::error_code ec;
    int n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n;
}

// ---------------------------------------------------------------------------------------------
// Mutations of real encoded messages.

std::string mutate(std::string body, std::mt19937& rng) {
    static constexpr std::array<std::uint8_t, 16> interesting{0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0,
                                                              0xc1, 0xc4, 0xc6, 0xcf, 0xd9, 0xdb,
                                                              0xdc, 0xdd, 0xde, 0xdf};
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    auto byte = [&] { return static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)); };
    if (body.empty()) return std::string(1, byte());
    switch (pick(6)) {
        case 0:  // one bit
            body[pick(body.size())] ^= static_cast<char>(1u << pick(8));
            break;
        case 1:  // a few bits
            for (std::size_t i = 0, n = 2 + pick(7); i < n; ++i)
                body[pick(body.size())] ^= static_cast<char>(1u << pick(8));
            break;
        case 2:  // a few bytes replaced
            for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) body[pick(body.size())] = byte();
            break;
        case 3:  // a byte that means something to msgpack (a type or a length header)
            body[pick(body.size())] = static_cast<char>(interesting[pick(interesting.size())]);
            break;
        case 4:  // a byte inserted or deleted
            if (pick(2) == 0) {
                body.insert(body.begin() + static_cast<std::ptrdiff_t>(pick(body.size() + 1)),
                            byte());
            } else {
                body.erase(pick(body.size()), 1);
            }
            break;
        default:  // cut short, then junk appended
            body.resize(pick(body.size()));
            for (std::size_t i = 0, n = pick(8); i < n; ++i) body += byte();
            break;
    }
    return body;
}

// What the broker's decoder must say about a body: nullopt if it decodes, else the error code.
template <class M>
std::optional<std::string> decode_verdict(std::string_view body,
                                          std::optional<M>* decoded = nullptr) {
    try {
        M m = proto::decode<M>(body);
        if (decoded != nullptr) *decoded = std::move(m);
        return std::nullopt;
    } catch (const proto::decode_error& e) {
        return std::string(proto::to_string(e.code()));
    } catch (const std::exception& e) {
        // Not a decode_error: the broker would neither answer nor count it.
        return std::string("<not a decode_error: ") + e.what() + ">";
    }
}

proto::task_id random_id(std::mt19937& rng) {
    proto::task_id id;
    for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng());
    return id;
}

proto::submitted_task hostile_task(const proto::task_id& id, std::string name = "hostile_task") {
    proto::submitted_task t;
    t.id = id;
    t.name = std::move(name);
    t.payload = "\x92\x01\x02";
    return t;
}

// Messages built field by field (the structs may grow fields).
proto::outcome outcome_of(const proto::task_id& id, std::string payload,
                          proto::task_status status = proto::task_status::ok,
                          proto::error_info error = {}) {
    proto::outcome o;
    o.id = id;
    o.status = status;
    o.payload = std::move(payload);
    o.error = std::move(error);
    return o;
}
proto::finished_task finished(proto::outcome o, std::uint32_t attempt) {
    proto::finished_task f;
    f.result = std::move(o);
    f.attempt = attempt;
    return f;
}
proto::hello hello_of(proto::peer_role role, std::string name, std::uint32_t slots = 1,
                      std::uint32_t prefetch = 0, std::vector<std::string> names = {}) {
    proto::hello h;
    h.role = role;
    h.name = std::move(name);
    if (role == proto::peer_role::worker) {
        h.worker.slots = slots;
        h.worker.prefetch = prefetch;
        h.worker.task_names = std::move(names);
    }
    return h;
}

proto::done done_for(const proto::task_id& id, std::uint32_t attempt, std::string payload,
                     std::uint32_t credit = 0) {
    proto::done d;
    d.finished.push_back(finished(outcome_of(id, std::move(payload)), attempt));
    d.credit = credit;
    return d;
}

std::string error_code_of(const shoal::broker::testing::raw_message& m) {
    if (m.cmd != proto::command::error) return {};
    return proto::decode<proto::error_reply>(m.body).code;
}

// ---------------------------------------------------------------------------------------------

// The parameter: whether the broker has CURVE keys.
class HostileInputTest : public ::testing::TestWithParam<bool> {
  protected:
    HostileInputTest()
        : keys_(GetParam() ? std::make_unique<shoal::testing::key_dir>() : nullptr),
          cluster_(broker_args(keys_.get())) {}

    // Liveness 2 s (heartbeats every 100 ms): a test peer that is briefly not polled, e.g.
    // on a loaded machine or under ASan, is not declared dead in the middle of a case. With
    // keys: "peer" (a worker key) for the hostile peers, "admin" for the inspectors, "w1" for
    // the real worker and "client" for the good client.
    static std::vector<std::string> broker_args(shoal::testing::key_dir* keys) {
        std::vector<std::string> args{"--heartbeat-ms", "100", "--liveness", "20"};
        if (keys != nullptr) {
            keys->add("peer", "workers");
            keys->add("w1", "workers");
            keys->add("admin", "admins");
            keys->add("client", "clients");
            args.insert(args.end(),
                        {"--secret-key", keys->broker_secret(), "--keys-dir", keys->keys()});
        }
        return args;
    }
    bool secure() const { return keys_ != nullptr; }
    // What a raw socket of NAME sets before it connects: its key, or nothing when open.
    std::function<void(zmq::socket_t&)> curve(const std::string& name) const {
        if (!keys_) return {};
        return keys_->curve_setup(name);
    }

    void SetUp() override {
        ASSERT_FALSE(cluster_.endpoint().empty());
        port_ = std::stoi(cluster_.endpoint().substr(cluster_.endpoint().rfind(':') + 1));
        if (keys_) {
            cluster_.add_worker(
                "w1", {"--broker-key", keys_->broker_public(), "--key", keys_->secret("w1")});
        } else {
            cluster_.add_worker("w1");
        }
        // The real worker is registered before anything else happens (the unknown-task rule
        // then applies at once, and the good client has someone to run its tasks).
        ASSERT_TRUE(wait_until([&] { return stat(stats(), "workers") == 1; }, 30.0))
            << "the worker did not register";
    }

    // INSPECT stats from a fresh client session, as name -> value (ints only).
    counters stats() {
        test_peer p(context_, cluster_.endpoint(), curve("admin"));
        p.hello_client("hostile-inspector");
        const proto::report r = p.inspect("stats");
        p.send(proto::bye{"inspected"});
        counters c;
        if (r.rows.size() != 1) {
            ADD_FAILURE() << "INSPECT stats gave " << r.rows.size() << " rows";
            return c;
        }
        for (const auto& f : r.rows[0]) {
            if (std::holds_alternative<std::int64_t>(f.value))
                c[f.key] = std::get<std::int64_t>(f.value);
        }
        return c;
    }
    static std::int64_t stat(const counters& c, const std::string& key) {
        const auto it = c.find(key);
        if (it == c.end()) {
            ADD_FAILURE() << "INSPECT stats has no counter " << key;
            return -1;
        }
        return it->second;
    }
    static std::int64_t delta(const counters& before, const counters& now, const std::string& key) {
        return stat(now, key) - stat(before, key);
    }

    // A fresh good client, with the real worker, gets correct results within a bounded time.
    void expect_a_good_client_is_served(const std::string& after_what) {
        SCOPED_TRACE("after " + after_what);
        ASSERT_TRUE(cluster_.broker().running()) << "the broker died";
        {
            shoal::client_options options;
            if (keys_) {
                options.broker_key_file = keys_->broker_public();
                options.key_file = keys_->secret("client");
            }
            shoal::client good(cluster_.endpoint(), options);
            std::vector<std::tuple<long, long>> args;
            for (long i = 0; i < 25; ++i) args.emplace_back(i, 1000 + i);
            auto futures = good.submit_many(shoal_examples::add, args);
            for (std::size_t i = 0; i < futures.size(); ++i) {
                const long a = std::get<0>(args[i]);
                const long b = std::get<1>(args[i]);
                EXPECT_EQ(futures[i].get(30.0), a + b) << "add(" << a << ", " << b << ")";
            }
        }
        EXPECT_TRUE(cluster_.broker().running()) << "the broker died";
    }

    // The next reply to a request, skipping pushed RESULTs (and heartbeats).
    static std::optional<shoal::broker::testing::raw_message> reply_to_request(
        test_peer& p, double timeout_s = 10.0) {
        const auto deadline = after(timeout_s);
        while (seconds_left(deadline) > 0) {
            auto m = p.next(seconds_left(deadline));
            if (m && m->cmd == proto::command::result) continue;
            return m;
        }
        return std::nullopt;
    }

    // Reads whatever is waiting without blocking; counts ERRORs.
    static void drain(test_peer& p, int& errors, std::map<std::string, int>* codes = nullptr) {
        while (auto m = p.next(0.0)) {
            if (m->cmd == proto::command::error) {
                ++errors;
                if (codes != nullptr) ++(*codes)[error_code_of(*m)];
            }
        }
    }

    // Waits until INSPECT workers shows the (fake) worker with this much credit.
    void wait_for_credit(const std::string& worker_name, std::int64_t credit) {
        const bool ok = wait_until(
            [&] {
                test_peer p(context_, cluster_.endpoint(), curve("admin"));
                p.hello_client("hostile-inspector");
                const proto::report r = p.inspect("workers");
                p.send(proto::bye{"inspected"});
                for (const auto& row : r.rows) {
                    const auto v = shoal::broker::testing::field(row, "credit");
                    if (str_field(row, "name") == worker_name && v &&
                        std::holds_alternative<std::int64_t>(*v) &&
                        std::get<std::int64_t>(*v) == credit) {
                        return true;
                    }
                }
                return false;
            },
            10.0);
        ASSERT_TRUE(ok) << "worker " << worker_name << " never had credit " << credit;
    }
    // The worker an active task is held by, from INSPECT active ("" if it is not active).
    std::string holder_of(const proto::task_id& id) {
        test_peer p(context_, cluster_.endpoint(), curve("admin"));
        p.hello_client("hostile-inspector");
        const proto::report r = p.inspect("active");
        p.send(proto::bye{"inspected"});
        for (const auto& row : r.rows) {
            if (str_field(row, "task") == id.to_hex()) return str_field(row, "worker");
        }
        return {};
    }

    // The fake workers (test_peer) offer only "hostile_task" or "hostile_nobody": the real
    // worker never takes those, so which task goes where is up to each test.
    std::unique_ptr<shoal::testing::key_dir> keys_;  // before cluster_: the broker reads them
    local_cluster cluster_;
    zmq::context_t context_;
    int port_ = 0;
};

// ---- 1. raw TCP junk ------------------------------------------------------------------------

TEST_P(HostileInputTest, RawTcpJunkBelowZeroMqLeavesTheBrokerServing) {
    std::mt19937 rng(20261121);
    auto junk = [&](std::size_t n) {
        std::string s(n, '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        return s;
    };

    // With keys, a hand-made plaintext (NULL) session gets nothing: the message never reaches
    // the broker, and the connection is closed.
    if (secure()) {
        const counters before = stats();
        raw_zmtp s(port_);
        (void)s.handshake();
        (void)s.conn().send_all(
            zmtp_message({"SHOAL1", std::string(1, '\x01'),
                          proto::encode(hello_of(proto::peer_role::client, "raw-zmtp"))}),
            2.0);
        EXPECT_FALSE(s.read_message(3.0)) << "a plaintext session was answered";
        EXPECT_TRUE(s.conn().closed_by_peer(10.0)) << "a plaintext session was kept open";
        EXPECT_EQ(delta(before, stats(), "invalid_messages"), 0);
    }
    // First (no junk in flight yet), a hand-made ZMTP session is a real one: a message with a
    // wrong version reaches the broker, is answered ERROR bad_version on the same connection,
    // and counted.
    if (!secure()) {
        const counters before = stats();
        raw_zmtp s(port_);
        ASSERT_TRUE(s.handshake());
        ASSERT_TRUE(s.conn().send_all(
            zmtp_message({"SHOAL9", std::string(1, '\x01'),
                          proto::encode(hello_of(proto::peer_role::client, "raw-zmtp"))})));
        const auto reply = s.read_message(10.0);
        ASSERT_TRUE(reply) << "no reply on the hand-made ZMTP session";
        ASSERT_EQ(reply->size(), 3u);
        EXPECT_EQ((*reply)[0], "SHOAL1");
        EXPECT_EQ((*reply)[1], std::string(1, static_cast<char>(proto::command::error)));
        EXPECT_EQ(proto::decode<proto::error_reply>((*reply)[2]).code, "bad_version");
        EXPECT_EQ(delta(before, stats(), "invalid_messages"), 1);
        s.conn().abort();
    }

    // Random bytes, some closed with a reset.
    for (int i = 0; i < 40; ++i) {
        tcp_conn c(port_);
        ASSERT_TRUE(c.connected()) << "connection " << i;
        (void)c.send_all(junk(1 + rng() % 4096), 2.0);
        if (i % 2 == 0) c.abort();
    }
    // The broker's ZeroMQ answers a ZMTP signature with its own greeting: this is the
    // ZeroMQ listener, not some other port.
    {
        tcp_conn c(port_);
        ASSERT_TRUE(c.connected());
        ASSERT_TRUE(c.send_all(zmtp_greeting().substr(0, 11)));
        std::string got;
        c.read_into(got, 11, 5.0);
        ASSERT_GE(got.size(), 10u);
        EXPECT_EQ(got[0], '\xff');
        EXPECT_EQ(got[9], '\x7f');
    }
    // A valid greeting, then garbage where the handshake should be.
    for (int i = 0; i < 20; ++i) {
        tcp_conn c(port_);
        ASSERT_TRUE(c.connected());
        (void)c.send_all(zmtp_greeting() + junk(1 + rng() % 512), 2.0);
        if (i % 2 == 1) c.abort();
    }
    // A greeting with a mechanism nobody speaks: the broker hangs up.
    {
        tcp_conn c(port_);
        ASSERT_TRUE(c.connected());
        ASSERT_TRUE(c.send_all(zmtp_greeting("JUNK") + zmtp_ready_dealer()));
        EXPECT_TRUE(c.closed_by_peer(10.0)) << "a greeting with mechanism JUNK was not refused";
    }
    // Frames after a completed plaintext handshake (a keyed broker never completes one for a
    // plaintext peer: checked above; an authenticated peer's messages are the cases below).
    if (!secure()) {
        // A full handshake, then a truncated frame (and a truncated long frame), then gone.
        for (int i = 0; i < 10; ++i) {
            raw_zmtp s(port_);
            ASSERT_TRUE(s.handshake()) << "handshake " << i;
            std::string partial = i % 2 == 0 ? std::string("\x01\x06SHO", 5)
                                             : std::string("\x02", 1) + be(1000, 8) + junk(100);
            (void)s.conn().send_all(partial, 2.0);
            if (i % 3 == 0) s.conn().abort();
        }
        // Declared frame lengths past the socket's ceiling (proto::socket_max_frame_bytes): the
        // broker drops the connection instead of waiting for (or allocating) them.
        for (const std::uint64_t huge :
             {std::uint64_t{proto::socket_max_frame_bytes} + 1, std::uint64_t{1} << 40,
              ~std::uint64_t{0}, std::uint64_t{1} << 63}) {
            raw_zmtp s(port_);
            ASSERT_TRUE(s.handshake());
            (void)s.conn().send_all(std::string("\x02", 1) + be(huge, 8) + junk(64), 2.0);
            EXPECT_TRUE(s.conn().closed_by_peer(10.0))
                << "a frame declaring " << huge << " bytes was not refused";
        }
        // A large frame under the ceiling, abandoned a little way in.
        {
            raw_zmtp s(port_);
            ASSERT_TRUE(s.handshake());
            (void)s.conn().send_all(std::string("\x01\x06SHOAL1\x01\x01\x01\x02", 12) +
                                        be(32u << 20, 8) + junk(1 << 16),
                                    5.0);
            s.conn().abort();
        }
    }

    // 200 connections opened and dropped (in waves, half reset, half with a partial
    // greeting): none is leaked by the broker.
    const pid_t broker_pid = cluster_.broker().pid();
    const int fds_before = open_fd_count(broker_pid);
    ASSERT_GT(fds_before, 0);
    for (int wave = 0; wave < 4; ++wave) {
        std::vector<tcp_conn> conns;
        for (int i = 0; i < 50; ++i) {
            conns.emplace_back(port_);
            EXPECT_TRUE(conns.back().connected()) << "wave " << wave << " connection " << i;
            if (i % 2 == 0) (void)conns.back().send_all(zmtp_greeting().substr(0, 5), 1.0);
        }
        for (std::size_t i = 0; i < conns.size(); ++i) {
            if (i % 2 == 0)
                conns[i].abort();
            else
                conns[i].close();
        }
    }
    EXPECT_TRUE(wait_until([&] { return open_fd_count(broker_pid) <= fds_before + 2; }, 20.0))
        << "the broker holds " << open_fd_count(broker_pid) << " fds, " << fds_before << " before";

    expect_a_good_client_is_served("raw TCP junk");
}

// ---- 2. flipped bytes and truncated bodies ---------------------------------------------------

// A client session: every mutated SUBMIT, FETCH and INSPECT gets exactly one reply, an ERROR
// exactly when the codec refuses the body (with the codec's code), and each ERROR is counted.
TEST_P(HostileInputTest, FlippedClientMessagesAreEachAnsweredAndCounted) {
    std::mt19937 rng(5);
    proto::submit base_submit;
    for (int i = 0; i < 3; ++i) {
        proto::submitted_task t = hostile_task(random_id(rng), "add");
        if (i == 1) t.queue = "hostile-q";
        if (i == 2) t.options.time_limit_ms = 5000;
        base_submit.tasks.push_back(std::move(t));
    }
    const std::string submit_body = proto::encode(base_submit);
    const std::string fetch_body =
        proto::encode(proto::fetch{{random_id(rng), random_id(rng), random_id(rng)}});
    const std::string inspect_body = proto::encode(proto::inspect{"stats"});

    const counters before = stats();
    test_peer fuzz(context_, cluster_.endpoint(), curve("peer"));
    fuzz.hello_client("fuzz-client");
    int errors = 0;
    int refused_by_codec = 0;
    for (int round = 0; round < 3000; ++round) {
        const int kind = round % 3;
        const proto::command cmd = kind == 0   ? proto::command::submit
                                   : kind == 1 ? proto::command::fetch
                                               : proto::command::inspect;
        const std::string body = mutate(kind == 0   ? submit_body
                                        : kind == 1 ? fetch_body
                                                    : inspect_body,
                                        rng);
        std::optional<std::string> verdict;
        proto::command normal_reply = proto::command::accepted;
        if (kind == 0) {
            verdict = decode_verdict<proto::submit>(body);
        } else if (kind == 1) {
            verdict = decode_verdict<proto::fetch>(body);
            normal_reply = proto::command::fetched;
        } else {
            std::optional<proto::inspect> m;
            verdict = decode_verdict<proto::inspect>(body, &m);
            normal_reply = proto::command::report;
            static const std::vector<std::string> targets{"workers", "queues", "active", "stats"};
            if (!verdict && std::find(targets.begin(), targets.end(), m->what) == targets.end()) {
                verdict = "bad_body";  // an unknown INSPECT target
            }
        }
        fuzz.send_raw(cmd, body);
        const auto reply = reply_to_request(fuzz);
        ASSERT_TRUE(reply) << "no reply to mutated " << proto::command_name(cmd) << " #" << round;
        if (reply->cmd == proto::command::error) ++errors;
        if (verdict) {
            ++refused_by_codec;
            EXPECT_EQ(error_code_of(*reply), *verdict)
                << "mutated " << proto::command_name(cmd) << " #" << round << " got "
                << proto::command_name(reply->cmd);
        } else {
            EXPECT_EQ(reply->cmd, normal_reply) << "mutated " << proto::command_name(cmd) << " #"
                                                << round << ": " << error_code_of(*reply);
        }
    }
    EXPECT_GT(refused_by_codec, 500) << "the mutations hardly ever broke a body";
    EXPECT_LT(refused_by_codec, 3000) << "no mutation ever left a body readable";
    const counters now = stats();
    EXPECT_EQ(delta(before, now, "invalid_messages"), errors);
    EXPECT_EQ(delta(before, now, "unexpected_messages"), 0);
    expect_a_good_client_is_served("mutated client messages");
}

// A worker session: mutated DONE and READY, and every prefix of a DONE, sent without waiting.
// The broker counts exactly the bodies the codec refuses as invalid, answers each with an
// ERROR, and counts every readable DONE entry (all for unknown tasks) as a late result;
// none of them reaches a client.
TEST_P(HostileInputTest, FlippedAndTruncatedWorkerMessagesAreCountedExactly) {
    std::mt19937 rng(6);
    proto::done base_done;
    std::vector<proto::task_id> unknown_ids;
    for (int i = 0; i < 3; ++i) {
        unknown_ids.push_back(random_id(rng));
        base_done.finished.push_back(finished(
            i == 2 ? outcome_of(unknown_ids.back(), "", proto::task_status::failed,
                                proto::error_info{"std::runtime_error", "forged", "nowhere"})
                   : outcome_of(unknown_ids.back(), "\x2a"),
            1));
    }
    base_done.credit = 1;
    const std::string done_body = proto::encode(base_done);
    const std::string ready_body = proto::encode(proto::ready{2});

    // A client that watches: it asks for the unknown ids first, and must never get a RESULT.
    test_peer watcher(context_, cluster_.endpoint(), curve("peer"));
    watcher.hello_client("watcher");
    for (const auto& e : watcher.fetch(unknown_ids).entries)
        EXPECT_EQ(e.state, proto::result_state::unknown);

    const counters before = stats();
    test_peer fuzz(context_, cluster_.endpoint(), curve("peer"));
    fuzz.hello_worker({"hostile_nobody"}, 2, 0, "fuzz-worker");
    int expected_invalid = 0;
    std::int64_t expected_late = 0;
    int errors = 0;
    std::map<std::string, int> codes;
    std::map<std::string, int> expected_codes;
    auto send_done = [&](const std::string& body) {
        std::optional<proto::done> m;
        if (const auto verdict = decode_verdict<proto::done>(body, &m)) {
            ++expected_invalid;
            ++expected_codes[*verdict];
        } else {
            // Random ids: no task has them, so every entry is ignored as not in flight.
            expected_late += static_cast<std::int64_t>(m->finished.size());
        }
        fuzz.send_raw(proto::command::done, body);
        drain(fuzz, errors, &codes);
    };
    for (int i = 0; i < 2000; ++i) send_done(mutate(done_body, rng));
    for (std::size_t n = 0; n < done_body.size(); ++n) send_done(done_body.substr(0, n));
    for (int i = 0; i < 300; ++i) {
        const std::string body = mutate(ready_body, rng);
        if (const auto verdict = decode_verdict<proto::ready>(body)) {
            ++expected_invalid;
            ++expected_codes[*verdict];
        }
        fuzz.send_raw(proto::command::ready, body);
        drain(fuzz, errors, &codes);
    }
    EXPECT_GT(expected_invalid, 500);
    EXPECT_GT(expected_late, 100);

    counters now;
    const bool settled = wait_until(
        [&] {
            drain(fuzz, errors, &codes);
            now = stats();
            return delta(before, now, "invalid_messages") >= expected_invalid &&
                   delta(before, now, "late_results") >= expected_late &&
                   errors >= expected_invalid;
        },
        30.0);
    EXPECT_TRUE(settled) << "the broker did not get through the mutated worker messages";
    EXPECT_EQ(delta(before, now, "invalid_messages"), expected_invalid);
    EXPECT_EQ(delta(before, now, "late_results"), expected_late);
    EXPECT_EQ(delta(before, now, "completed"), 0);
    EXPECT_EQ(delta(before, now, "foreign_results"), 0);
    EXPECT_EQ(delta(before, now, "unexpected_messages"), 0);
    EXPECT_EQ(errors, expected_invalid);
    EXPECT_EQ(codes, expected_codes);

    // Nothing reached the watcher, and the ids are still unknown.
    EXPECT_TRUE(watcher.quiet_for(0.3)) << "a forged result reached a client";
    for (const auto& e : watcher.fetch(unknown_ids).entries)
        EXPECT_EQ(e.state, proto::result_state::unknown);
    expect_a_good_client_is_served("mutated worker messages");
}

// Every prefix of a SUBMIT body is refused whole (nothing accepted), as truncated (or as
// claiming more elements than it has bytes), and counted.
TEST_P(HostileInputTest, EveryTruncatedSubmitIsRefusedAndCounted) {
    std::mt19937 rng(7);
    proto::submit s;
    for (int i = 0; i < 4; ++i) s.tasks.push_back(hostile_task(random_id(rng), "add"));
    s.tasks[3].options.time_limit_ms = 1000;
    const std::string body = proto::encode(s);

    const counters before = stats();
    test_peer client(context_, cluster_.endpoint(), curve("peer"));
    client.hello_client("truncating-client");
    for (std::size_t n = 0; n < body.size(); ++n) {
        const auto verdict = decode_verdict<proto::submit>(body.substr(0, n));
        ASSERT_TRUE(verdict) << "a prefix of " << n << " bytes decodes";
        client.send_raw(proto::command::submit, body.substr(0, n));
        const auto reply = reply_to_request(client);
        ASSERT_TRUE(reply) << "no reply to a SUBMIT cut at " << n;
        // Cut short; or an array header that claims more elements than bytes are left.
        EXPECT_TRUE(*verdict == "truncated" || *verdict == "too_many_elements")
            << *verdict << " at " << n;
        EXPECT_EQ(error_code_of(*reply), *verdict) << "cut at " << n;
    }
    const counters now = stats();
    EXPECT_EQ(delta(before, now, "invalid_messages"), static_cast<std::int64_t>(body.size()));
    EXPECT_EQ(delta(before, now, "submitted"), 0);
    std::vector<proto::task_id> ids;
    for (const auto& t : s.tasks) ids.push_back(t.id);
    for (const auto& e : client.fetch(ids).entries)
        EXPECT_EQ(e.state, proto::result_state::unknown);
    // The whole body is still fine.
    const auto accepted = client.submit(s.tasks);
    EXPECT_EQ(accepted.ids.size(), s.tasks.size());
    EXPECT_EQ(client.results(s.tasks.size(), 30.0).size(), s.tasks.size());
    expect_a_good_client_is_served("truncated SUBMITs");
}

// Mutated HELLOs on an established worker session: each gets WELCOME (counted as a repeated
// HELLO) or an ERROR (counted as invalid), and a refused HELLO leaves the session as it was.
TEST_P(HostileInputTest, FlippedHellosAreEachAnsweredAndCounted) {
    std::mt19937 rng(8);
    const proto::hello base =
        hello_of(proto::peer_role::worker, "fuzz-hello", 2, 1, {"hostile_nobody", "x"});
    const std::string hello_body = proto::encode(base);

    const counters before = stats();
    test_peer fuzz(context_, cluster_.endpoint(), curve("peer"));
    fuzz.hello_worker({"hostile_nobody"}, 1, 0, "fuzz-hello");
    int welcomes = 0;
    int errors = 0;
    for (int i = 0; i < 1500; ++i) {
        const std::string body = mutate(hello_body, rng);
        std::optional<proto::hello> m;
        auto verdict = decode_verdict<proto::hello>(body, &m);
        if (!verdict && m->minor < proto::oldest_served_minor) verdict = "bad_version";
        if (!verdict && m->role == proto::peer_role::worker && m->worker.slots == 0)
            verdict = "bad_body";
        fuzz.send_raw(proto::command::hello, body);
        const auto reply = reply_to_request(fuzz);
        ASSERT_TRUE(reply) << "no reply to mutated HELLO #" << i;
        if (verdict) {
            ++errors;
            EXPECT_EQ(error_code_of(*reply), *verdict)
                << "mutated HELLO #" << i << " got " << proto::command_name(reply->cmd);
        } else {
            ++welcomes;
            EXPECT_EQ(reply->cmd, proto::command::welcome)
                << "mutated HELLO #" << i << ": " << error_code_of(*reply);
        }
    }
    EXPECT_GT(errors, 200);
    EXPECT_GT(welcomes, 100);
    // A session is still there whatever the last HELLO was (a worker's or a client's): a
    // HEARTBEAT is not answered not_registered.
    fuzz.send(proto::heartbeat{});
    EXPECT_TRUE(fuzz.quiet_for(0.2)) << "the session did not survive refused HELLOs";
    const counters now = stats();
    EXPECT_EQ(delta(before, now, "invalid_messages"), errors);
    EXPECT_EQ(delta(before, now, "repeated_hellos"), welcomes);
    EXPECT_EQ(delta(before, now, "unexpected_messages"), 0);
    expect_a_good_client_is_served("mutated HELLOs");
}

// The envelope too: version, command byte and frame count mutated, from a peer without a
// session, fire and forget. Each message with a wrong version or frame count is invalid.
TEST_P(HostileInputTest, MutatedEnvelopesAreDroppedAndCounted) {
    std::mt19937 rng(9);
    const std::vector<std::pair<proto::command, std::string>> bases{
        {proto::command::submit,
         proto::encode(proto::submit{{hostile_task(random_id(rng), "add")}, {}})},
        {proto::command::fetch, proto::encode(proto::fetch{{random_id(rng)}})},
        {proto::command::done, proto::encode(done_for(random_id(rng), 1, "\x01"))},
        {proto::command::ready, proto::encode(proto::ready{3})},
        {proto::command::heartbeat, proto::encode(proto::heartbeat{})},
    };
    const counters before = stats();
    test_peer fuzz(context_, cluster_.endpoint(), curve("peer"));
    int surely_invalid = 0;
    int errors = 0;
    for (int i = 0; i < 2000; ++i) {
        const auto& [cmd, body] = bases[static_cast<std::size_t>(i) % bases.size()];
        std::vector<std::string> frames{std::string(proto::protocol_id),
                                        std::string(1, static_cast<char>(cmd)), body};
        const auto which = rng() % 4;
        if (which == 0) frames[0] = mutate(frames[0], rng);
        if (which == 1) frames[1] = mutate(frames[1], rng);
        if (which == 2) frames[2] = mutate(frames[2], rng);
        if (which == 3) {
            if (rng() % 2 == 0)
                frames.pop_back();
            else
                frames.push_back(mutate(body, rng));
        }
        if (frames[0] != proto::protocol_id || frames.size() != proto::frames_per_message)
            ++surely_invalid;
        fuzz.send_frames(frames);
        drain(fuzz, errors);
    }
    counters now;
    EXPECT_TRUE(wait_until(
        [&] {
            drain(fuzz, errors);
            now = stats();
            return delta(before, now, "invalid_messages") >= surely_invalid &&
                   errors >= surely_invalid;
        },
        30.0))
        << "invalid messages counted: " << delta(before, now, "invalid_messages") << ", at least "
        << surely_invalid << " expected";
    EXPECT_GT(surely_invalid, 500);
    EXPECT_GE(errors, surely_invalid);
    expect_a_good_client_is_served("mutated envelopes");
}

// ---- 3. protocol misuse ----------------------------------------------------------------------

// Worker commands (and broker replies) from a client: ERROR unexpected, each counted, and
// nothing changes: a DONE naming a real queued task does not finish it.
TEST_P(HostileInputTest, WorkerCommandsFromAClientAreRefusedAndCounted) {
    std::mt19937 rng(10);
    test_peer worker(context_, cluster_.endpoint(), curve("peer"));
    worker.hello_worker({"hostile_task"}, 1, 0, "fake-worker");  // no credit yet

    test_peer client(context_, cluster_.endpoint(), curve("peer"));
    client.hello_client("misbehaving-client");
    const proto::task_id queued = random_id(rng);
    ASSERT_EQ(client.submit({hostile_task(queued)}).ids.size(), 1u);
    const proto::task_id unknown = random_id(rng);

    const counters before = stats();
    // Before HELLO, from another peer: not_registered.
    {
        test_peer stranger(context_, cluster_.endpoint(), curve("peer"));
        stranger.send(done_for(queued, 1, "forged-before-hello", 1));
        EXPECT_EQ(stranger.expect_error(10.0).code, "not_registered");
    }
    client.send(proto::ready{5});
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    client.send(done_for(unknown, 1, "forged", 5));
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    client.send(done_for(queued, 1, "forged", 1));  // a real task, never dispatched to anyone
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    proto::dispatch dispatch;
    dispatch.tasks.emplace_back();
    dispatch.tasks.back().id = queued;
    dispatch.tasks.back().name = "hostile_task";
    dispatch.tasks.back().payload = "\x90";
    client.send(dispatch);
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    client.send(proto::result{{outcome_of(queued, "forged")}});
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    proto::cancel cancel;
    cancel.ids = {queued};
    client.send(cancel);
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    client.send(proto::welcome{});
    EXPECT_EQ(client.expect_error(10.0).code, "unexpected");
    // And client commands from a worker.
    worker.send(proto::submit{{hostile_task(random_id(rng))}, {}});
    EXPECT_EQ(worker.expect_error(10.0).code, "unexpected");
    worker.send(proto::fetch{{queued}});
    EXPECT_EQ(worker.expect_error(10.0).code, "unexpected");

    const counters now = stats();
    EXPECT_EQ(delta(before, now, "unexpected_messages"), 10);
    EXPECT_EQ(delta(before, now, "invalid_messages"), 0);
    EXPECT_EQ(delta(before, now, "completed"), 0);
    EXPECT_EQ(delta(before, now, "late_results"), 0);

    // Nothing was trusted: the queued task is pending, the unknown one unknown, no RESULT.
    const auto f = client.fetch({queued, unknown});
    ASSERT_EQ(f.entries.size(), 2u);
    EXPECT_EQ(f.entries[0].state, proto::result_state::pending);
    EXPECT_EQ(f.entries[1].state, proto::result_state::unknown);
    EXPECT_TRUE(client.quiet_for(0.2)) << "a forged result reached the client";

    // The task then runs normally on the worker, and its genuine result is what counts.
    worker.send(proto::ready{1});
    const auto d = worker.expect<proto::dispatch>(10.0);
    ASSERT_EQ(d.tasks.size(), 1u);
    EXPECT_EQ(d.tasks[0].id, queued);
    worker.send(done_for(queued, d.tasks[0].attempt, "genuine", 1));
    const auto r = client.results(1, 10.0);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].payload, "genuine");
    expect_a_good_client_is_served("worker commands from a client");
}

// A second HELLO on an established session ends that session (its tasks go back with the next
// attempt, so the old attempt's DONE is late) and is counted; a refused HELLO changes nothing.
TEST_P(HostileInputTest, ASecondHelloIsCountedAndTheOldSessionIsNotTrusted) {
    std::mt19937 rng(11);
    test_peer worker(context_, cluster_.endpoint(), curve("peer"));
    worker.hello_worker({"hostile_task"}, 1, 0, "twice");
    worker.send(proto::ready{1});
    ASSERT_NO_FATAL_FAILURE(wait_for_credit("twice", 1));
    test_peer client(context_, cluster_.endpoint(), curve("peer"));
    client.hello_client("asker");
    const proto::task_id id = random_id(rng);
    ASSERT_EQ(client.submit({hostile_task(id)}).ids.size(), 1u);
    const auto first = worker.expect<proto::dispatch>(10.0);
    ASSERT_EQ(first.tasks.size(), 1u);
    EXPECT_EQ(first.tasks[0].attempt, 1u);

    const counters c0 = stats();
    // A HELLO the broker refuses (a worker without slots): the session goes on untouched.
    worker.send(hello_of(proto::peer_role::worker, "twice", 0, 0, {"hostile_task"}));
    EXPECT_EQ(worker.expect_error(10.0).code, "bad_body");
    const counters c1 = stats();
    EXPECT_EQ(delta(c0, c1, "invalid_messages"), 1);
    EXPECT_EQ(delta(c0, c1, "repeated_hellos"), 0);
    EXPECT_EQ(delta(c0, c1, "requeued"), 0);
    EXPECT_EQ(holder_of(id), "twice") << "a refused HELLO ended the session";

    // A HELLO accepted again: counted, and what the old session held is taken back.
    worker.send(hello_of(proto::peer_role::worker, "twice", 1, 0, {"hostile_task"}));
    worker.expect<proto::welcome>(10.0);
    const counters c2 = stats();
    EXPECT_EQ(delta(c1, c2, "repeated_hellos"), 1);
    EXPECT_EQ(delta(c1, c2, "requeued"), 1);
    EXPECT_EQ(holder_of(id), "");
    // The old session's result is not trusted: late, counted, the task still pending.
    worker.send(done_for(id, first.tasks[0].attempt, "stale", 0));
    EXPECT_TRUE(wait_until([&] { return delta(c2, stats(), "late_results") == 1; }, 10.0));
    EXPECT_EQ(client.fetch({id}).entries.at(0).state, proto::result_state::pending);
    EXPECT_TRUE(client.quiet_for(0.2)) << "the stale result reached the client";
    // The new session runs it as attempt 2.
    worker.send(proto::ready{1});
    const auto again = worker.expect<proto::dispatch>(10.0);
    ASSERT_EQ(again.tasks.size(), 1u);
    EXPECT_EQ(again.tasks[0].id, id);
    EXPECT_EQ(again.tasks[0].attempt, 2u);
    worker.send(done_for(id, again.tasks[0].attempt, "fresh", 1));
    const auto r = client.results(1, 10.0);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].payload, "fresh");

    // A client's second HELLO: counted too, and the client goes on.
    client.send(hello_of(proto::peer_role::client, "asker"));
    client.expect<proto::welcome>(10.0);
    const auto f = client.fetch({id});
    EXPECT_EQ(f.entries.at(0).state, proto::result_state::done);
    EXPECT_EQ(f.entries.at(0).result->payload, "fresh");
    const counters c3 = stats();
    EXPECT_EQ(delta(c2, c3, "repeated_hellos"), 1);
    EXPECT_EQ(delta(c0, c3, "completed"), 1);
    expect_a_good_client_is_served("second HELLOs");
}

// DONE from a worker for tasks that do not exist, that are queued but were never dispatched,
// that another worker holds, or that are finished already: each ignored and counted, and only
// the holder's result reaches the client and FETCH.
TEST_P(HostileInputTest, DoneForUnknownOrAnotherWorkersTasksIsIgnoredAndCounted) {
    std::mt19937 rng(12);
    test_peer holder(context_, cluster_.endpoint(), curve("peer"));
    holder.hello_worker({"hostile_task"}, 1, 0, "holder");
    test_peer other(context_, cluster_.endpoint(), curve("peer"));
    other.hello_worker({"hostile_task"}, 1, 0, "other");  // never given credit
    holder.send(proto::ready{1});
    ASSERT_NO_FATAL_FAILURE(wait_for_credit("holder", 1));

    test_peer client(context_, cluster_.endpoint(), curve("peer"));
    client.hello_client("submitter");
    const proto::task_id held = random_id(rng);
    const proto::task_id waiting = random_id(rng);
    ASSERT_EQ(client.submit({hostile_task(held)}).ids.size(), 1u);
    const auto d = holder.expect<proto::dispatch>(10.0);
    ASSERT_EQ(d.tasks.size(), 1u);
    ASSERT_EQ(d.tasks[0].id, held);
    ASSERT_EQ(client.submit({hostile_task(waiting)}).ids.size(), 1u);  // queued: no credit left
    std::vector<proto::task_id> unknown;
    for (int i = 0; i < 3; ++i) unknown.push_back(random_id(rng));

    const counters c0 = stats();
    // Another worker reports the held task, with the right attempt: foreign.
    other.send(done_for(held, d.tasks[0].attempt, "forged", 0));
    // ... and with a wrong attempt: late.
    other.send(done_for(held, d.tasks[0].attempt + 1, "forged", 0));
    // Tasks that do not exist: late (not in flight).
    proto::done forged;
    for (const auto& id : unknown) forged.finished.push_back(finished(outcome_of(id, "forged"), 1));
    other.send(forged);
    // A task queued but never dispatched: late.
    other.send(done_for(waiting, 1, "forged", 0));
    // The holder too may not report a task it was never given.
    holder.send(done_for(waiting, 1, "forged", 0));
    counters c1;
    EXPECT_TRUE(wait_until(
        [&] {
            c1 = stats();
            return delta(c0, c1, "foreign_results") >= 1 && delta(c0, c1, "late_results") >= 6;
        },
        10.0));
    EXPECT_EQ(delta(c0, c1, "foreign_results"), 1);
    EXPECT_EQ(delta(c0, c1, "late_results"), 6);
    EXPECT_EQ(delta(c0, c1, "completed"), 0);
    // Nothing changed: the task is still with its holder, the others pending or unknown.
    EXPECT_EQ(holder_of(held), "holder");
    EXPECT_TRUE(client.quiet_for(0.2)) << "a forged result reached the client";
    std::vector<proto::task_id> all{held, waiting};
    all.insert(all.end(), unknown.begin(), unknown.end());
    auto f = client.fetch(all);
    ASSERT_EQ(f.entries.size(), all.size());
    EXPECT_EQ(f.entries[0].state, proto::result_state::pending);
    EXPECT_EQ(f.entries[1].state, proto::result_state::pending);
    for (std::size_t i = 2; i < all.size(); ++i)
        EXPECT_EQ(f.entries[i].state, proto::result_state::unknown);

    // The holder's result counts; reporting it twice does not.
    holder.send(done_for(held, d.tasks[0].attempt, "genuine", 0));
    const auto r = client.results(1, 10.0);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].id, held);
    EXPECT_EQ(r[0].payload, "genuine");
    holder.send(done_for(held, d.tasks[0].attempt, "again", 0));
    other.send(done_for(held, d.tasks[0].attempt, "forged-after", 0));
    counters c2;
    EXPECT_TRUE(wait_until(
        [&] {
            c2 = stats();
            return delta(c1, c2, "late_results") >= 2;
        },
        10.0));
    EXPECT_EQ(delta(c1, c2, "late_results"), 2);
    EXPECT_EQ(delta(c1, c2, "completed"), 1);
    EXPECT_EQ(delta(c0, c2, "foreign_results"), 1);
    EXPECT_TRUE(client.quiet_for(0.2)) << "a second result reached the client";
    f = client.fetch(all);
    ASSERT_EQ(f.entries.size(), all.size());
    EXPECT_EQ(f.entries[0].state, proto::result_state::done);
    ASSERT_TRUE(f.entries[0].result);
    EXPECT_EQ(f.entries[0].result->payload, "genuine");
    EXPECT_EQ(f.entries[1].state, proto::result_state::pending);
    for (std::size_t i = 2; i < all.size(); ++i)
        EXPECT_EQ(f.entries[i].state, proto::result_state::unknown);
    // The per-worker view says the same: only the holder reported a result that counted.
    std::map<std::string, std::int64_t> done_by;
    for (const auto& row : client.inspect("workers").rows) {
        done_by[str_field(row, "name")] = shoal::broker::testing::int_field(row, "done");
    }
    EXPECT_EQ(done_by["holder"], 1);
    EXPECT_EQ(done_by["other"], 0);
    expect_a_good_client_is_served("DONE for unknown and foreign tasks");
}

INSTANTIATE_TEST_SUITE_P(OpenAndKeyed, HostileInputTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "Curve" : "Plaintext";
                         });

}  // namespace
