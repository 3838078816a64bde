// Active and standby brokers on one Redis (broker/README.md, "Active and standby brokers"):
// two real shoal-brokers with a lease, two real workers and a client that know both, a
// steady stream of add(i, i). The active broker is killed (SIGKILL), or paused (SIGSTOP: a
// broker cut off from Redis and everyone, as a partition would, that wakes up later).
//
// What must hold: the standby holds the lease within 2x its time; every task the client was
// told was accepted ends with its value, one stored result per id (the durability checker);
// a woken old active writes nothing (its writes are fenced: its lease token no longer holds)
// and stands by again (it starts over, not_active to everyone).

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process/child_process.hpp"
#include "process/free_port.hpp"
#include "process/local_cluster.hpp"
#include "process/report_fields.hpp"
#include "process/wait_until.hpp"
#include "raw_peer.hpp"
#include "redis/durable_cluster.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/client.hpp"
#include "shoal_examples/seed_tasks.hpp"

namespace {

using shoal::testing::child_process;
using shoal::testing::cluster_paths;
using shoal::testing::free_port;
using shoal::testing::redis_server;
using shoal::testing::wait_until;
using clock_type = std::chrono::steady_clock;

constexpr int lease_ms = 1000;

class failover_cluster {
  public:
    failover_cluster() {
        for (const char* name : {"a", "b"}) {
            endpoints_.push_back("tcp://127.0.0.1:" + std::to_string(free_port()));
            names_.push_back(name);
        }
        list_ = endpoints_[0] + "," + endpoints_[1];
    }

    // Starts broker i (a or b) and reads the endpoint it prints.
    bool start_broker(std::size_t i, int redis_timeout_ms = 2000) {
        brokers_[i] = child_process::spawn(
            {cluster_paths::broker(), "--bind", endpoints_[i], "--print-endpoint", "--redis",
             redis_.url(), "--ha-lease-ms", std::to_string(lease_ms), "--ha-name", names_[i],
             "--heartbeat-ms", "100", "--liveness", "10", "--redis-timeout-ms",
             std::to_string(redis_timeout_ms), "--log-level", "info"});
        const auto line = brokers_[i].read_line(20.0);
        return line && *line == endpoints_[i];
    }

    void start_workers() {
        for (const char* name : {"w1", "w2"}) {
            workers_.push_back(child_process::spawn({cluster_paths::worker(), "--broker", list_,
                                                     "--tasks", cluster_paths::seed_tasks(),
                                                     "--name", name, "--log-level", "warn"}));
        }
    }

    void start_client() {
        shoal::client_options o;
        o.reconnect_max_s = 0.5;
        o.fetch_poll_max_s = 0.5;
        client_ = std::make_unique<shoal::client>(list_, o);
    }

    // The lease's holder as Redis has it ("" when nobody holds it).
    std::string holder() {
        const std::string token = redis_.command({"GET", "shoal:broker:lease"});
        const auto colon = token.find(':');
        return token == "(nil)" || colon == std::string::npos ? "" : token.substr(colon + 1);
    }
    long epoch() {
        const std::string e = redis_.command({"GET", "shoal:broker:epoch"});
        return e == "(nil)" ? 0 : std::stol(e);
    }

    bool workers_connected(double timeout_s) {
        return wait_until(
            [&] {
                try {
                    return client_->inspect("workers").result(2.0).rows.size() == 2;
                } catch (const std::exception&) {
                    return false;
                }
            },
            timeout_s);
    }

    // add(i, i) for the next `count` values of i, as one burst.
    void submit(std::size_t count) {
        for (std::size_t k = 0; k < count; ++k) {
            const long i = next_++;
            futures_.push_back(client_->submit(shoal_examples::add, i, i));
            expected_.push_back(2 * i);
        }
    }

    redis_server& redis() { return redis_; }
    child_process& broker(std::size_t i) { return brokers_[i]; }
    const std::string& endpoint(std::size_t i) const { return endpoints_[i]; }
    shoal::client& client() { return *client_; }
    std::vector<shoal::testing::seen_task> outcomes(double timeout_s) {
        return shoal::testing::record_all(futures_, expected_, timeout_s);
    }

  private:
    redis_server redis_;
    std::vector<std::string> endpoints_;
    std::vector<std::string> names_;
    std::string list_;
    child_process brokers_[2];
    std::vector<child_process> workers_;
    std::unique_ptr<shoal::client> client_;
    std::vector<shoal::remote_future<long>> futures_;
    std::vector<long> expected_;
    long next_ = 1;
};

// a active, b standing by, workers and the client connected (to a).
void start_active_and_standby(failover_cluster& c) {
    ASSERT_TRUE(c.start_broker(0));
    ASSERT_TRUE(wait_until([&] { return c.holder() == "a"; }, 20.0)) << "a never took the lease";
    ASSERT_TRUE(c.start_broker(1));
    c.start_workers();
    c.start_client();
    ASSERT_TRUE(c.client().wait_connected(20.0));
    ASSERT_TRUE(c.workers_connected(30.0)) << "the workers did not join the active broker";
}

// A stream of bursts for `seconds`, one every 20 ms.
void stream(failover_cluster& c, double seconds, std::size_t burst = 50) {
    const auto end = clock_type::now() + std::chrono::duration<double>(seconds);
    while (clock_type::now() < end) {
        c.submit(burst);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

TEST(BrokerFailover, KillNineTheActiveAndTheStandbyTakesOverLosingNothing) {
    failover_cluster c;
    start_active_and_standby(c);
    const long first_epoch = c.epoch();
    stream(c, 1.0);
    c.broker(0).signal(SIGKILL);
    (void)c.broker(0).wait(10.0);
    const auto killed = clock_type::now();
    // The stream goes on while nobody serves: the client holds the tasks and sends them on.
    std::thread more([&] { stream(c, 1.5); });
    const bool took = wait_until([&] { return c.holder() == "b"; }, 4.0 * lease_ms / 1000.0);
    const double took_s = seconds_since(killed);
    more.join();
    ASSERT_TRUE(took) << "b did not take the lease (holder '" << c.holder() << "')";
    std::printf("standby held the lease %.2f s after the kill (lease %d ms)\n", took_s, lease_ms);
    EXPECT_LE(took_s, 2.0 * lease_ms / 1000.0);
    EXPECT_EQ(c.epoch(), first_epoch + 1);

    const auto seen = c.outcomes(120.0);
    shoal::testing::expect_durable(seen, c.redis());
    for (const auto& t : seen) {
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
    const auto rows = c.client().inspect("brokers").result(5.0).rows;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(shoal::testing::field(rows[0], "name"), "b");
    EXPECT_EQ(shoal::testing::field(rows[0], "role"), "active");
    EXPECT_EQ(shoal::testing::field(rows[0], "epoch"), std::to_string(first_epoch + 1));
}

TEST(BrokerFailover, APausedActiveIsFencedWhenItWakesAndStandsByAgain) {
    failover_cluster c;
    start_active_and_standby(c);
    stream(c, 0.5);
    // Paused: it cannot renew its lease, answer anyone or write, and knows nothing of it.
    c.broker(0).signal(SIGSTOP);
    ASSERT_TRUE(wait_until([&] { return c.holder() == "b"; }, 4.0 * lease_ms / 1000.0));
    stream(c, 1.0);
    const long epoch_of_b = c.epoch();
    // Woken: whatever it had staged or in flight must not be written, and it must not serve.
    c.broker(0).signal(SIGCONT);
    stream(c, 1.0);

    const auto seen = c.outcomes(120.0);
    shoal::testing::expect_durable(seen, c.redis());
    for (const auto& t : seen) {
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
    EXPECT_EQ(c.holder(), "b");
    EXPECT_EQ(c.epoch(), epoch_of_b) << "the lease changed hands again";
    // It started over as a standby (the same command line: it prints its endpoint again),
    // and a client that knows only it is sent on (not_active), never welcomed.
    const auto again = c.broker(0).read_line(30.0);
    EXPECT_EQ(again.value_or("<nothing>"), c.endpoint(0)) << "the old active did not start over";
    EXPECT_TRUE(c.broker(0).running()) << "the old active should stand by, not exit";
    shoal::client only_a(c.endpoint(0));
    EXPECT_FALSE(only_a.wait_connected(3.0)) << "a standby welcomed a client";
}

TEST(BrokerFailover, AStepDownHandsTheLeaseToTheStandbyAndLosesNothing) {
    failover_cluster c;
    start_active_and_standby(c);
    stream(c, 0.5);
    // `shoal admin step-down`: a writes what it holds, gives the lease up, stands by again.
    const auto answer = c.client().admin("step-down").result(10.0);
    ASSERT_EQ(answer.rows.size(), 1u);
    EXPECT_EQ(shoal::testing::field(answer.rows[0], "broker"), "a");
    EXPECT_EQ(shoal::testing::field(answer.rows[0], "epoch"), "1");
    std::thread more([&] { stream(c, 1.5); });
    const bool took = wait_until([&] { return c.holder() == "b"; }, 4.0 * lease_ms / 1000.0);
    more.join();
    ASSERT_TRUE(took) << "b did not take the lease after a stepped down";
    EXPECT_EQ(c.epoch(), 2);
    const auto seen = c.outcomes(120.0);
    shoal::testing::expect_durable(seen, c.redis());
    for (const auto& t : seen) {
        ASSERT_EQ(t.how, shoal::testing::seen_task::end::value) << t.id << " " << t.error;
    }
    // a started over as a standby: it prints its endpoint again, and is still running.
    EXPECT_EQ(c.broker(0).read_line(30.0).value_or("<nothing>"), c.endpoint(0));
    EXPECT_TRUE(c.broker(0).running());
}

TEST(BrokerFailover, InspectBrokersListsTheActiveAndTheStandbysItHearsOf) {
    failover_cluster c;
    start_active_and_standby(c);
    const auto brokers = [&] { return c.client().inspect("brokers").result(5.0).rows; };
    // b writes its presence each time it tries the lease, a reads it every third of its lease.
    ASSERT_TRUE(wait_until([&] { return brokers().size() == 2; }, 20.0))
        << "the standby is not listed";
    const auto rows = brokers();
    EXPECT_EQ(shoal::testing::field(rows[0], "name"), "a");
    EXPECT_EQ(shoal::testing::field(rows[0], "role"), "active");
    EXPECT_EQ(shoal::testing::field(rows[1], "name"), "b");
    EXPECT_EQ(shoal::testing::field(rows[1], "role"), "standby");
    EXPECT_EQ(shoal::testing::field(rows[1], "endpoint"), c.endpoint(1));
    // A standby that is gone (killed) is no longer listed after three lease times.
    c.broker(1).signal(SIGKILL);
    (void)c.broker(1).wait(10.0);
    EXPECT_TRUE(wait_until([&] { return brokers().size() == 1; }, 30.0))
        << "a killed standby is still listed";
}

// A standby whose Redis hangs (paused: connections are taken, nothing is answered) keeps
// answering its peers not_active at once, so that they go on to the next broker: its tries of
// the lease never block its loop. Its Redis calls may take 10 s here; a try that blocked would
// hold every answer for that long.
TEST(BrokerFailover, AStandbyWhoseRedisHangsStillAnswersItsPeersAtOnce) {
    failover_cluster c;
    ASSERT_TRUE(c.start_broker(0));
    ASSERT_TRUE(wait_until([&] { return c.holder() == "a"; }, 20.0)) << "a never took the lease";
    ASSERT_TRUE(c.start_broker(1, 10'000));
    c.redis().pause();
    zmq::context_t context;
    for (int i = 0; i < 5; ++i) {
        auto peer = shoal::testing::raw_peer::dealer_to(context, c.endpoint(1));
        shoal::proto::hello h;
        h.role = shoal::proto::peer_role::client;
        h.name = "probe";
        ASSERT_TRUE(peer.send(h));
        const auto answer = peer.receive(3.0);
        ASSERT_TRUE(answer.has_value())
            << "the standby did not answer within 3 s (try " << i << ")";
        ASSERT_EQ(answer->cmd, shoal::proto::command::error);
        EXPECT_EQ(shoal::proto::decode<shoal::proto::error_reply>(answer->body).code, "not_active");
        // Spread over several of its lease tries (a third of the lease apart).
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    c.redis().resume();
}

TEST(BrokerFailover, ABrokerWithoutALeaseRefusesToStepDownAndSaysWhy) {
    shoal::testing::local_cluster alone;
    ASSERT_FALSE(alone.endpoint().empty());
    shoal::client client(alone.endpoint());
    ASSERT_TRUE(client.wait_connected(20.0));
    try {
        (void)client.admin("step-down").result(10.0);
        ADD_FAILURE() << "a broker without a lease stepped down";
    } catch (const shoal::broker_error& e) {
        EXPECT_NE(std::string(e.what()).find("holds no lease"), std::string::npos) << e.what();
    }
    const auto rows = client.inspect("brokers").result(5.0).rows;
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(shoal::testing::field(rows[0], "role"), "alone");
}

}  // namespace
