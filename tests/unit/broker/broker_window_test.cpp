// The output window (PROTOCOL.md 7.1): what one peer costs the broker is bounded by what it
// reads. A client that does not acknowledge loses its pushed results past its window (they stay
// fetchable, and it is told once it reads again); a worker that does not acknowledge gets no
// more tasks; FETCH answers each id once, a slice per pass; everyone else is served as before.

#include <gtest/gtest.h>

#include "broker_harness.hpp"

namespace {

using namespace shoal::broker;
using namespace shoal::broker::testing;
namespace proto = shoal::proto;

constexpr std::uint64_t window = 256u << 10;
constexpr std::size_t result_bytes = 100u << 10;

broker_config small_window() {
    auto c = harness_config();
    c.window_bytes = window;
    return c;
}

proto::done done_with(const std::vector<proto::dispatched_task>& tasks, std::size_t bytes,
                      std::uint32_t credit) {
    proto::done d;
    for (const auto& t : tasks) {
        d.finished.push_back(
            {{t.id, proto::task_status::ok, std::string(bytes, 'r'), {}}, t.attempt, {}});
    }
    d.credit = credit;
    return d;
}

// Runs n tasks of client `c` on worker `w`, each returning `bytes`.
void run_tasks(broker_harness& h, const std::string& c, std::uint32_t first, std::uint32_t n,
               std::size_t bytes) {
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 0; i < n; ++i) tasks.push_back(task(first + i));
    h.send(c, proto::submit{tasks, {}});
    ASSERT_EQ(h.take<proto::accepted>(c).ids.size(), n);
    std::vector<proto::dispatched_task> got;
    while (got.size() < n) {
        const auto d = h.take<proto::dispatch>("w");
        if (d.tasks.empty()) break;
        got.insert(got.end(), d.tasks.begin(), d.tasks.end());
        h.send("w", done_with(d.tasks, bytes, static_cast<std::uint32_t>(d.tasks.size())));
    }
}

std::size_t body_bytes_to(broker_harness& h, std::string_view identity) {
    std::size_t n = 0;
    if (auto it = h.port().outbox.find(identity); it != h.port().outbox.end()) {
        for (const auto& m : it->second) n += m.body.size();
    }
    return n;
}

TEST(BrokerWindow, AClientThatDoesNotReadLosesItsPushesPastItsWindowNotItsResults) {
    broker_harness h(small_window());
    h.hello_client("slow");
    h.hello_client("fast");
    h.hello_worker("w", {"add"}, 10);
    h.send("w", proto::ready{10});
    // Ten results of 100 KiB for a client that never acknowledges: its window holds two.
    run_tasks(h, "slow", 1, 10, result_bytes);
    EXPECT_LE(body_bytes_to(h, "slow"), window + result_bytes + 4096) << "the broker kept sending";
    EXPECT_GT(h.stats().output_dropped, 0u);
    // Another client is served in full meanwhile.
    h.send("fast", proto::heartbeat{0});
    run_tasks(h, "fast", 100, 3, 1000);
    EXPECT_EQ(h.results("fast").size(), 3u);
    // The slow one reads what it got and says so: it is told, once, that it missed something.
    const std::size_t read = body_bytes_to(h, "slow");
    std::size_t results_seen = 0;
    while (h.has_mail("slow")) {
        auto m = h.next("slow");
        if (m->cmd == proto::command::result)
            results_seen += proto::decode<proto::result>(m->body).outcomes.size();
    }
    EXPECT_LT(results_seen, 10u);
    h.send("slow", proto::heartbeat{read});
    const auto notice = h.take<proto::error_reply>("slow");
    EXPECT_EQ(notice.code, "output_dropped");
    EXPECT_FALSE(h.has_mail("slow")) << "told once";
    // Every result is still there to FETCH.
    std::vector<proto::task_id> ids;
    for (std::uint32_t i = 1; i <= 10; ++i) ids.push_back(id_of(i));
    h.send("slow", proto::fetch{ids});
    std::size_t done = 0;
    std::uint64_t acked = read + body_bytes_to(h, "slow");
    for (int pass = 0; pass < 100 && done < 10; ++pass) {
        while (h.has_mail("slow")) {
            for (const auto& e : h.take<proto::fetched>("slow").entries) {
                EXPECT_EQ(e.state, proto::result_state::done);
                ++done;
            }
        }
        h.send("slow", proto::heartbeat{acked});  // reads and acknowledges: more comes
        acked += body_bytes_to(h, "slow");
    }
    EXPECT_EQ(done, 10u);
}

TEST(BrokerWindow, AWorkerThatDoesNotAcknowledgeGetsNoMoreTasksTheyWaitInTheQueue) {
    broker_harness h(small_window());
    h.hello_client("c");
    h.hello_worker("w", {"add"}, 100);
    h.send("w", proto::ready{100});
    std::vector<proto::submitted_task> tasks;
    for (std::uint32_t i = 1; i <= 10; ++i)
        tasks.push_back(task(i, "add", std::string(result_bytes, 'a')));
    h.send("c", proto::submit{tasks, {}});
    h.take<proto::accepted>("c");
    std::size_t dispatched = 0;
    while (h.has_mail("w")) dispatched += h.take<proto::dispatch>("w").tasks.size();
    EXPECT_LT(dispatched, 10u);
    EXPECT_LE(dispatched * result_bytes, window + result_bytes);
    h.send("c", proto::inspect{"queues"});
    EXPECT_EQ(static_cast<std::size_t>(int_field(h.take<proto::report>("c").rows.at(0), "length")),
              10 - dispatched);
    // It acknowledges: the rest flows.
    h.send("w", proto::heartbeat{body_bytes_to(h, "w") + 1'000'000});
    std::size_t more = 0;
    for (int pass = 0; pass < 20 && dispatched + more < 10; ++pass) {
        std::uint64_t sent = 0;
        while (h.has_mail("w")) {
            const auto d = h.take<proto::dispatch>("w");
            more += d.tasks.size();
            sent += 1;
        }
        h.send("w", proto::heartbeat{std::uint64_t{1} << 40});
    }
    EXPECT_EQ(dispatched + more, 10u);
}

TEST(BrokerWindow, OneFetchNamingALargeResultTenThousandTimesIsAnsweredOnce) {
    broker_harness h;
    h.hello_client("c");
    h.hello_worker("w", {"add"});
    h.send("w", proto::ready{1});
    run_tasks(h, "c", 1, 1, 110u << 10);
    h.results("c");
    h.send("c", proto::fetch{std::vector<proto::task_id>(10'000, id_of(1))});
    std::size_t entries = 0;
    std::size_t bytes = 0;
    while (h.has_mail("c")) {
        auto m = h.next("c");
        bytes += m->body.size();
        entries += proto::decode<proto::fetched>(m->body).entries.size();
    }
    EXPECT_EQ(entries, 1u);
    EXPECT_LT(bytes, (110u << 10) + 1024);
}

TEST(BrokerWindow, AFetchIsAnsweredASlicePerPass) {
    broker_harness h;
    h.hello_client("c");
    h.hello_worker("w", {"add"}, 20);
    h.send("w", proto::ready{20});
    run_tasks(h, "c", 1, 20, 200u << 10);  // 20 results of 200 KiB: 4 MiB
    h.results("c");
    h.send("c", proto::heartbeat{std::uint64_t{1} << 40});
    std::vector<proto::task_id> ids;
    for (std::uint32_t i = 1; i <= 20; ++i) ids.push_back(id_of(i));
    h.send("c", proto::fetch{ids});
    // A pass answers a slice (about 1 MiB: five of these), never everything: the wake-up
    // that read the FETCH and the pass after it (send() runs one) answered two slices.
    std::size_t total = 0;
    while (h.has_mail("c")) total += h.take<proto::fetched>("c").entries.size();
    EXPECT_GE(total, 1u);
    EXPECT_LE(total, 12u);
    int passes = 0;
    for (; passes < 100 && total < 20; ++passes) {
        h.run_once();
        std::size_t this_pass = 0;
        while (h.has_mail("c")) this_pass += h.take<proto::fetched>("c").entries.size();
        EXPECT_LE(this_pass, 6u);
        total += this_pass;
    }
    EXPECT_EQ(total, 20u);
    EXPECT_GE(passes, 2);
}

}  // namespace
