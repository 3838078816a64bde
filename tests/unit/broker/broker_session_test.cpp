// Sessions against an in-process broker: HELLO/WELCOME, heartbeats both ways, liveness, BYE,
// and commands from peers that have no session. Liveness on a manual clock: a peer dies when
// the test moves time past its window, never because the machine was slow.

#include <chrono>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"
#include "broker_time.hpp"
#include "manual_clock.hpp"
#include "shoal/broker/embedded_broker.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

TEST(BrokerSession, HelloGetsWelcomeWithTheBrokersSettings) {
    auto config = fast_config();
    config.max_batch = 500;
    config.max_message_bytes = 1 << 20;
    embedded_broker b(config);
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    const proto::welcome w = client.hello_client();
    EXPECT_EQ(w.heartbeat_ms, 50u);
    EXPECT_EQ(w.liveness, 400u);
    EXPECT_EQ(w.max_batch, 500u);
    EXPECT_EQ(w.max_message_bytes, 1u << 20);
    test_peer worker(ctx, b.endpoint());
    EXPECT_EQ(worker.hello_worker({"add"}, 2, 1).heartbeat_ms, 50u);
    const auto workers = client.inspect("workers");
    ASSERT_EQ(workers.rows.size(), 1u);
    EXPECT_EQ(str_field(workers.rows[0], "name"), "worker");
    EXPECT_EQ(int_field(workers.rows[0], "slots"), 2);
    EXPECT_EQ(int_field(workers.rows[0], "prefetch"), 1);
    EXPECT_EQ(str_field(workers.rows[0], "tasks"), "add");
}

TEST(BrokerSession, BindOnPortZeroReportsTheRealPort) {
    embedded_broker b(fast_config());
    EXPECT_EQ(b.endpoint().rfind("tcp://127.0.0.1:", 0), 0u);
    EXPECT_NE(b.endpoint(), "tcp://127.0.0.1:0");
}

TEST(BrokerSession, BindFailureIsABrokerError) {
    embedded_broker first(fast_config());
    auto config = fast_config();
    config.bind = first.endpoint();  // taken
    EXPECT_THROW(embedded_broker second(config), broker_error);
}

TEST(BrokerSession, CommandsBeforeHelloGetNotRegistered) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer peer(ctx, b.endpoint());
    peer.send(proto::submit{{task(1)}, {}});
    EXPECT_EQ(peer.expect_error().code, "not_registered");
    peer.send(proto::heartbeat{});
    EXPECT_EQ(peer.expect_error().code, "not_registered");
    peer.send(proto::ready{4});
    EXPECT_EQ(peer.expect_error().code, "not_registered");
    // It may still HELLO and be served.
    peer.hello_client();
    EXPECT_EQ(peer.submit({task(1)}).ids.size(), 1u);
}

TEST(BrokerSession, BrokerSendsHeartbeatsWhenItHasNothingElseToSay) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    // Nothing but heartbeats until 4 came (one per 50 ms), however long a busy machine takes.
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(reply_deadline_s);
    while (client.heartbeats_seen < 4 && std::chrono::steady_clock::now() < until) {
        ASSERT_TRUE(client.quiet_for(0.05));
    }
    EXPECT_GE(client.heartbeats_seen, 4);
}

TEST(BrokerSession, SilentPeerIsForgottenAndMustHelloAgain) {
    shoal::testing::manual_clock clock;
    embedded_broker b(short_liveness(), &clock);
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    client.go_silent();
    advance(b, clock, 0.4);  // past 4 x 50 ms
    client.send(proto::fetch{{id_of(1)}});
    // Heartbeats sent before the broker gave up may still be queued: skip them.
    EXPECT_EQ(client.expect_error().code, "not_registered");
    test_peer observer(ctx, b.endpoint());
    observer.hello_client("observer");
    const auto stats = observer.inspect("stats");
    EXPECT_EQ(int_field(stats.rows.at(0), "clients_dead"), 1);
}

TEST(BrokerSession, HeartbeatsKeepAPeerAlive) {
    shoal::testing::manual_clock clock;
    embedded_broker b(short_liveness(), &clock);
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    // A worker that says nothing but HEARTBEAT (every 20 ms while the test waits), heard
    // within every 100 ms of the clock's time, lives through 500 ms: 2.5 liveness windows.
    test_peer worker(ctx, b.endpoint());
    worker.hello_worker({"add"}, 1, 0, "beating");
    advance_alive(b, clock, 0.5, 0.1, client, {"beating"});
    EXPECT_EQ(int_field(client.inspect("stats").rows.at(0), "workers_dead"), 0);
    // Still served.
    worker.send(proto::ready{1});
    client.submit({task(1)});
    EXPECT_EQ(worker.expect<proto::dispatch>().tasks.size(), 1u);
}

TEST(BrokerSession, ByeEndsTheSession) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    client.send(proto::bye{"done"});
    client.send(proto::fetch{{id_of(1)}});
    EXPECT_EQ(client.expect_error().code, "not_registered");
}

TEST(BrokerSession, RoleMismatchIsUnexpected) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    client.send(proto::ready{1});
    EXPECT_EQ(client.expect_error().code, "unexpected");
    client.send(proto::done{{}, 1});
    EXPECT_EQ(client.expect_error().code, "unexpected");
    client.send(proto::dispatch{});  // broker-to-worker only
    EXPECT_EQ(client.expect_error().code, "unexpected");

    test_peer worker(ctx, b.endpoint());
    worker.hello_worker({"add"});
    worker.send(proto::submit{{task(1)}, {}});
    EXPECT_EQ(worker.expect_error().code, "unexpected");
    worker.send(proto::welcome{});
    EXPECT_EQ(worker.expect_error().code, "unexpected");
}

TEST(BrokerSession, WorkerWithoutSlotsIsRefused) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer worker(ctx, b.endpoint());
    proto::hello h;
    h.role = proto::peer_role::worker;
    h.name = "w";
    h.worker = proto::worker_details{0, 0, {"add"}};
    worker.send(h);
    EXPECT_EQ(worker.expect_error().code, "bad_body");
    worker.send(proto::ready{1});
    EXPECT_EQ(worker.expect_error().code, "not_registered");
}

TEST(BrokerSession, EmbeddedBrokerStopsCleanlyAndSaysBye) {
    zmq::context_t ctx;
    auto b = std::make_unique<embedded_broker>(fast_config());
    test_peer client(ctx, b->endpoint());
    client.hello_client();
    b->stop();
    const auto m = client.next();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->cmd, proto::command::bye);
    b.reset();
}

TEST(BrokerSession, EmbeddedBrokerCallSeesWhatPeersDid) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    client.submit({task(1), task(2)});
    EXPECT_EQ(b.call([](broker& x) { return x.stats().submitted; }), 2u);
}

}  // namespace
