// Sessions against an in-process broker: HELLO/WELCOME, heartbeats both ways, liveness, BYE,
// and commands from peers that have no session.

#include <gtest/gtest.h>

#include <thread>

#include "broker_test_peer.hpp"
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
    EXPECT_EQ(w.liveness, 4u);
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
    EXPECT_TRUE(client.quiet_for(0.4));
    // 400 ms at one heartbeat per 50-62 ms: at least 4 even on a slow machine.
    EXPECT_GE(client.heartbeats_seen, 4);
}

TEST(BrokerSession, SilentPeerIsForgottenAndMustHelloAgain) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    client.go_silent();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // past 4 x 50 ms
    client.send(proto::fetch{{id_of(1)}});
    // Heartbeats sent before the broker gave up may still be queued: skip them.
    EXPECT_EQ(client.expect_error().code, "not_registered");
    test_peer observer(ctx, b.endpoint());
    observer.hello_client("observer");
    const auto stats = observer.inspect("stats");
    EXPECT_EQ(int_field(stats.rows.at(0), "clients_dead"), 1);
}

TEST(BrokerSession, HeartbeatsKeepAPeerAlive) {
    embedded_broker b(fast_config());
    zmq::context_t ctx;
    test_peer client(ctx, b.endpoint());
    client.hello_client();
    EXPECT_TRUE(client.quiet_for(0.5));  // it heartbeats every 20 ms meanwhile
    EXPECT_EQ(client.fetch({id_of(1)}).entries.at(0).state, proto::result_state::unknown);
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
    const auto m = client.next(1.0);
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
