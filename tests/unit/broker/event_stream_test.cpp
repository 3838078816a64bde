// event_stream: events are packed once and told to every subscriber in EVENTS bodies cut at
// the batch and size limits; a subscriber that cannot take a body misses those events alone
// (counted, and told in its next body); one whose session ended is forgotten.
#include "observability/event_stream.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shoal/proto/codec.hpp"

namespace {

using shoal::broker::event_stream;
using shoal::broker::peer_ref;

struct sent_body {
    peer_ref to;
    shoal::proto::events body;
};

// Publishes with a sender that refuses the peers in `full` and says `gone` ones are gone.
std::vector<sent_body> publish(event_stream& s, std::size_t max_bytes, std::size_t max_events,
                               const std::vector<peer_ref>& full = {},
                               const std::vector<peer_ref>& gone = {}) {
    std::vector<sent_body> out;
    s.publish(max_bytes, max_events, [&](peer_ref to, std::string_view body, bool& is_gone) {
        for (const auto& g : gone) {
            if (g == to) {
                is_gone = true;
                return false;
            }
        }
        for (const auto& f : full) {
            if (f == to) return false;
        }
        out.push_back({to, shoal::proto::decode<shoal::proto::events>(body)});
        return true;
    });
    return out;
}

void add_events(event_stream& s, int n) {
    for (int i = 0; i < n; ++i) {
        s.begin("task-sent", 1.5);
        s.field("name", "add");
        s.field("attempt", std::uint64_t{1});
        s.end();
    }
}

TEST(EventStream, NothingIsBuiltOrSentWithoutSubscribers) {
    event_stream s;
    EXPECT_FALSE(s.active());
    EXPECT_TRUE(publish(s, 1 << 20, 100).empty());
}

TEST(EventStream, EachSubscriberGetsEveryEventInOrderWithItsFields) {
    event_stream s;
    const peer_ref a{1, 0}, b{2, 0};
    EXPECT_TRUE(s.subscribe(a));
    EXPECT_TRUE(s.subscribe(b));
    EXPECT_FALSE(s.subscribe(a)) << "a second SUBSCRIBE changes nothing";
    add_events(s, 3);
    const auto sent = publish(s, 1 << 20, 100);
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& m : sent) {
        ASSERT_EQ(m.body.items.size(), 3u);
        EXPECT_EQ(m.body.dropped, 0u);
    }
    // The first event: type, timestamp, clock 1, name, attempt (decode repacks its map16).
    const std::string& first = sent[0].body.items[0];
    EXPECT_EQ(static_cast<unsigned char>(first[0]), 0x85u);  // repacked by decode: fixmap of 5
    EXPECT_NE(first.find("task-sent"), std::string::npos);
    EXPECT_EQ(s.published(), 3u);
    EXPECT_TRUE(publish(s, 1 << 20, 100).empty()) << "told once";
}

TEST(EventStream, BodiesAreCutAtTheBatchAndSizeLimits) {
    event_stream s;
    s.subscribe({1, 0});
    add_events(s, 10);
    const auto by_count = publish(s, 1 << 20, 4);
    ASSERT_EQ(by_count.size(), 3u);
    EXPECT_EQ(by_count[0].body.items.size(), 4u);
    EXPECT_EQ(by_count[2].body.items.size(), 2u);
    add_events(s, 10);
    const auto by_size = publish(s, 100, 1000);  // about two events a body
    std::size_t total = 0;
    for (const auto& m : by_size) {
        EXPECT_GE(m.body.items.size(), 1u);
        total += m.body.items.size();
    }
    EXPECT_EQ(total, 10u);
    EXPECT_GT(by_size.size(), 3u);
}

TEST(EventStream, ASubscriberThatCannotTakeABodyMissesItAloneAndIsToldHowMany) {
    event_stream s;
    const peer_ref slow{1, 0}, fine{2, 0};
    s.subscribe(slow);
    s.subscribe(fine);
    add_events(s, 5);
    const auto first = publish(s, 1 << 20, 100, {slow});
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].to, fine);
    EXPECT_EQ(s.dropped(), 5u);
    add_events(s, 2);
    const auto second = publish(s, 1 << 20, 100);
    ASSERT_EQ(second.size(), 2u);
    for (const auto& m : second) {
        EXPECT_EQ(m.body.items.size(), 2u);
        EXPECT_EQ(m.body.dropped, m.to == slow ? 5u : 0u);
    }
}

TEST(EventStream, AGoneSubscriberIsForgottenAndTheLastOneStopsTheStream) {
    event_stream s;
    const peer_ref gone{1, 0};
    s.subscribe(gone);
    add_events(s, 1);
    EXPECT_TRUE(publish(s, 1 << 20, 100, {}, {gone}).empty());
    EXPECT_FALSE(s.active());
    EXPECT_EQ(s.dropped(), 0u) << "a gone subscriber misses nothing it could have read";
}

}  // namespace
