// dealer_link against a broker played by the test: a raw ROUTER socket on a free port.
#include "shoal/proto/dealer_link.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace shoal::proto;

struct routed {
    std::string identity;
    command cmd;
    std::string body;
};

class DealerLinkTest : public ::testing::Test {
  protected:
    DealerLinkTest() : router_(context_, zmq::socket_type::router) {
        configure_socket(router_);
        router_.bind("tcp://127.0.0.1:0");
        endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    }

    ~DealerLinkTest() override {
        link_.reset();
        loop_.close();
    }

    void start_link(const std::string& endpoints = {}) {
        dealer_link_options options;
        options.endpoint = endpoints.empty() ? endpoint_ : endpoints;
        options.greeting = hello{peer_role::client, "test-client", 0, {}};
        options.heartbeat_ms = 50;
        options.reconnect_initial_s = 0.02;
        dealer_link_events events;
        events.connected = [this](const welcome& w) { welcomes_.push_back(w); };
        events.message = [this](command c, std::string_view body) {
            messages_.push_back({"", c, std::string(body)});
        };
        events.lost = [this](std::string_view why) { lost_.emplace_back(why); };
        link_ = std::make_unique<dealer_link>(loop_, context_, options, events);
        link_->start();
    }

    void run_for(double seconds) {
        loop_.call_later(seconds, [this] { loop_.stop(); });
        loop_.run_forever();
    }

    // Runs the loop in slices until the router has a message, for at most `seconds`.
    std::optional<routed> next_at_router(double seconds = 2.0) { return next_at(router_, seconds); }

    // The same for any ROUTER the test plays a broker with.
    std::optional<routed> next_at(zmq::socket_t& router, double seconds) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto m = receive(router, true)) {
                const auto env = m->parse();
                return routed{m->identity, env.cmd, std::string(env.body)};
            }
            run_for(0.005);
        }
        return std::nullopt;
    }

    // The next message at the router that is not a HEARTBEAT.
    std::optional<routed> next_non_heartbeat(double seconds = 2.0) {
        for (int i = 0; i < 100; ++i) {
            auto m = next_at_router(seconds);
            if (!m || m->cmd != command::heartbeat) return m;
        }
        return std::nullopt;
    }

    void welcome_peer(const std::string& identity, std::uint32_t heartbeat_ms = 50) {
        send_to(router_, identity, welcome{heartbeat_ms, 3, 1u << 20, 100});
    }

    zmq::context_t context_;
    zmq::socket_t router_;
    std::string endpoint_;
    shoal::event_loop loop_;
    std::unique_ptr<dealer_link> link_;
    std::vector<welcome> welcomes_;
    std::vector<routed> messages_;
    std::vector<std::string> lost_;
};

TEST_F(DealerLinkTest, SendsHelloAndStartsTheSessionAtWelcome) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->cmd, command::hello);
    EXPECT_EQ(decode<hello>(first->body).name, "test-client");
    EXPECT_FALSE(link_->send(fetch{}));  // no session yet
    welcome_peer(first->identity, 70);
    for (int i = 0; i < 100 && welcomes_.empty(); ++i) run_for(0.005);
    ASSERT_EQ(welcomes_.size(), 1u);
    EXPECT_EQ(welcomes_[0].heartbeat_ms, 70u);
    EXPECT_TRUE(link_->in_session());
    EXPECT_TRUE(link_->send(fetch{}));
    const auto sent = next_non_heartbeat();
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->cmd, command::fetch);
}

TEST_F(DealerLinkTest, MessagesBeforeWelcomeAreIgnoredAndAfterItDelivered) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    send_to(router_, first->identity, result{});
    run_for(0.05);
    EXPECT_TRUE(messages_.empty());
    welcome_peer(first->identity);
    send_to(router_, first->identity, result{});
    for (int i = 0; i < 100 && messages_.empty(); ++i) run_for(0.005);
    ASSERT_EQ(messages_.size(), 1u);
    EXPECT_EQ(messages_[0].cmd, command::result);
}

TEST_F(DealerLinkTest, HeartbeatsWhenIdle) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity, 30);
    const auto beat = next_at_router(1.0);
    ASSERT_TRUE(beat);
    EXPECT_EQ(beat->cmd, command::heartbeat);
}

TEST_F(DealerLinkTest, ASilentBrokerEndsTheSessionAndTheLinkGreetsAgain) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity, 30);
    // Say nothing more: after 30 ms x 3 the link gives up on this session, then reconnects
    // with a fresh socket (a new identity) and says HELLO again.
    std::optional<routed> again;
    for (int i = 0; i < 100; ++i) {
        again = next_non_heartbeat(2.0);
        if (!again || again->cmd == command::hello) break;
    }
    ASSERT_TRUE(again);
    EXPECT_EQ(again->cmd, command::hello);
    EXPECT_NE(again->identity, first->identity);
    ASSERT_EQ(lost_.size(), 1u);
    EXPECT_FALSE(link_->in_session());
    welcome_peer(again->identity, 30);
    for (int i = 0; i < 100 && welcomes_.size() < 2; ++i) run_for(0.005);
    EXPECT_EQ(link_->sessions(), 2u);
}

TEST_F(DealerLinkTest, NotRegisteredMakesTheLinkGreetAgainOnTheSameSocket) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity, 1000);
    for (int i = 0; i < 100 && welcomes_.empty(); ++i) run_for(0.005);
    send_to(router_, first->identity, error_reply{"not_registered", "who are you", std::nullopt});
    const auto again = next_non_heartbeat();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->cmd, command::hello);
    EXPECT_EQ(again->identity, first->identity);
    EXPECT_EQ(lost_.size(), 1u);
}

TEST_F(DealerLinkTest, GarbageFromTheBrokerIsDroppedAndTheSessionGoesOn) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity, 1000);
    router_.send(zmq::buffer(first->identity), zmq::send_flags::sndmore);
    router_.send(zmq::str_buffer("NOPE"), zmq::send_flags::none);
    send_to(router_, first->identity, purged{"q", 3});
    for (int i = 0; i < 100 && messages_.empty(); ++i) run_for(0.005);
    ASSERT_EQ(messages_.size(), 1u);
    EXPECT_EQ(decode<purged>(messages_[0].body).count, 3u);
    EXPECT_TRUE(link_->in_session());
}

TEST_F(DealerLinkTest, CloseSaysByeAndStops) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity, 1000);
    for (int i = 0; i < 100 && welcomes_.empty(); ++i) run_for(0.005);
    link_->close("done here");
    const auto last = next_non_heartbeat(0.5);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->cmd, command::bye);
    EXPECT_EQ(decode<bye>(last->body).reason, "done here");
    EXPECT_FALSE(link_->send(fetch{}));
}

// Several brokers (PROTOCOL.md 6.7): a second ROUTER plays the other one.
class DealerLinkListTest : public DealerLinkTest {
  protected:
    DealerLinkListTest() : other_(context_, zmq::socket_type::router) {
        configure_socket(other_);
        other_.bind("tcp://127.0.0.1:0");
        other_endpoint_ = other_.get(zmq::sockopt::last_endpoint);
    }

    std::optional<routed> next_at_other(double seconds = 5.0) { return next_at(other_, seconds); }

    zmq::socket_t other_;
    std::string other_endpoint_;
};

TEST_F(DealerLinkListTest, AStandbysNotActiveSendsTheLinkToTheNextBrokerOfTheList) {
    start_link(endpoint_ + ", " + other_endpoint_);
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->cmd, command::hello);
    EXPECT_EQ(link_->endpoint(), endpoint_);
    send_to(router_, first->identity,
            error_reply{"not_active", "broker a is standing by", std::nullopt, command::hello});
    const auto second = next_at_other();
    ASSERT_TRUE(second) << "no HELLO reached the next broker";
    EXPECT_EQ(second->cmd, command::hello);
    EXPECT_EQ(link_->endpoint(), other_endpoint_);
    send_to(other_, second->identity, welcome{50, 3, 1u << 20, 100});
    for (int i = 0; i < 200 && welcomes_.empty(); ++i) run_for(0.005);
    EXPECT_EQ(welcomes_.size(), 1u);
    EXPECT_TRUE(link_->in_session());
}

TEST_F(DealerLinkListTest, ABrokerSilentInASessionIsLeftForTheNextAndTheListWrapsAround) {
    start_link(endpoint_ + "," + other_endpoint_);
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    welcome_peer(first->identity);
    for (int i = 0; i < 100 && welcomes_.empty(); ++i) run_for(0.005);
    ASSERT_EQ(welcomes_.size(), 1u);
    // The first broker says nothing more: after heartbeat x liveness the link moves on.
    const auto second = next_at_other();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->cmd, command::hello);
    EXPECT_EQ(lost_.size(), 1u);
    // The second is a standby: back to the first, which is the end of the list wrapped.
    send_to(other_, second->identity,
            error_reply{"not_active", "standing by", std::nullopt, command::hello});
    std::optional<routed> again;
    for (int i = 0; i < 100; ++i) {
        again = next_at_router();
        if (!again || again->cmd == command::hello) break;
    }
    ASSERT_TRUE(again);
    EXPECT_EQ(again->cmd, command::hello);
    EXPECT_EQ(link_->endpoint(), endpoint_);
}

TEST_F(DealerLinkListTest, OneEndpointIsItsOwnListAndNotActiveRetriesIt) {
    start_link();
    const auto first = next_at_router();
    ASSERT_TRUE(first);
    send_to(router_, first->identity,
            error_reply{"not_active", "standing by", std::nullopt, command::hello});
    std::optional<routed> again;
    for (int i = 0; i < 100; ++i) {
        again = next_at_router();
        if (!again || again->cmd == command::hello) break;
    }
    ASSERT_TRUE(again) << "a link with one broker gave up after not_active";
    EXPECT_EQ(again->cmd, command::hello);
    EXPECT_FALSE(link_->in_session());
}

}  // namespace
