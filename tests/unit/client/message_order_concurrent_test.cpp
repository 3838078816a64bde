// The messages of one client leave in the order its calls made them: a REVOKE followed by a
// FETCH of the same task reaches the broker first, so the FETCH shows the task revoked (the
// broker answers one connection in order). Calls that reach the I/O thread together are
// the hard case: the I/O thread takes them in one pass, and must not send some kinds at once
// and keep others for the end of the pass.
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_broker.hpp"
#include "shoal/client/client.hpp"

namespace {

using namespace shoal;
using shoal::testing::fake_broker;
using shoal::testing::quick_options;
using shoal::testing::reply_deadline_s;

inline constexpr task_def<int(int, int)> add{"add"};

constexpr auto deadline = std::chrono::duration<double>(reply_deadline_s);

// Holds the client's I/O thread inside a done callback until release(): every call the test
// makes meanwhile is queued, and the I/O thread takes them all in its next pass. Declared
// before the client, so that a failing test still lets the callback return before the
// client's destructor joins the I/O thread.
class io_thread_hold {
  public:
    ~io_thread_hold() { release(); }

    // The callback to attach: it reports that it runs, then waits (bounded) for release().
    auto callback() {
        return [this](const remote_future<int>&) {
            entered_.set_value();
            (void)opened_.wait_for(std::chrono::seconds(60));
        };
    }
    bool wait_entered() {
        return entered_.get_future().wait_for(deadline) == std::future_status::ready;
    }
    void release() {
        if (released_) return;
        released_ = true;
        open_.set_value();
    }

  private:
    std::promise<void> entered_;
    std::promise<void> open_;
    std::shared_future<void> opened_ = open_.get_future().share();
    bool released_ = false;
};

proto::outcome ok(const proto::task_id& id, int value) {
    proto::outcome o;
    o.id = id;
    o.payload = detail::pack_result(value);
    return o;
}

// The commands of the next `count` messages, with what each carries (ids, tasks, names).
std::vector<std::string> next_messages(fake_broker& broker, std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        const auto m = broker.next();
        if (!m) {
            out.push_back("<nothing within the deadline>");
            break;
        }
        std::string text(proto::command_name(m->cmd));
        switch (m->cmd) {
            case proto::command::revoke: {
                const auto r = proto::decode<proto::revoke>(m->body);
                for (const auto& id : r.ids) text += " " + id.to_hex().substr(0, 6);
                if (r.terminate) text += " terminate";
                break;
            }
            case proto::command::fetch:
                for (const auto& id : proto::decode<proto::fetch>(m->body).ids)
                    text += " " + id.to_hex().substr(0, 6);
                break;
            case proto::command::requeue:
                for (const auto& id : proto::decode<proto::requeue>(m->body).ids)
                    text += " " + id.to_hex().substr(0, 6);
                break;
            case proto::command::submit:
                for (const auto& t : proto::decode<proto::submit>(m->body).tasks)
                    text += " " + t.id.to_hex().substr(0, 6);
                break;
            case proto::command::inspect:
                text += " " + proto::decode<proto::inspect>(m->body).what;
                break;
            default:
                break;
        }
        out.push_back(text);
    }
    return out;
}

std::string short_id(const proto::task_id& id) { return id.to_hex().substr(0, 6); }

TEST(MessageOrder, CallsTakenInOnePassLeaveInTheOrderTheyWereMade) {
    io_thread_hold hold;
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto identity = broker.handshake();
    ASSERT_TRUE(c.wait_connected(reply_deadline_s));

    auto gate = c.submit(add, 0, 0);
    gate.add_done_callback(hold.callback());
    broker.expect<proto::submit>();
    broker.send(identity, proto::result{{ok(gate.id(), 0)}});
    ASSERT_TRUE(hold.wait_entered());

    const auto other = proto::task_id::random();
    const auto dead = proto::task_id::random();
    const auto running = proto::task_id::random();
    c.revoke(other);
    auto state = c.fetch_state(other);
    auto first = c.submit(add, 1, 2);
    auto second = c.submit(add, 3, 4);
    auto report = c.inspect("queues");
    c.requeue(dead);
    c.revoke(running, true);
    auto third = c.submit(add, 5, 6);
    hold.release();

    const std::vector<std::string> expected{
        "REVOKE " + short_id(other),
        "FETCH " + short_id(other),
        "SUBMIT " + short_id(first.id()) + " " + short_id(second.id()),  // still one batch
        "INSPECT queues",
        "REQUEUE " + short_id(dead),
        "REVOKE " + short_id(running) + " terminate",
        "SUBMIT " + short_id(third.id()),
    };
    EXPECT_EQ(next_messages(broker, expected.size()), expected);
}

TEST(MessageOrder, ARevokeMadeBeforeTheSessionGoesBeforeTheFetchMadeAfterIt) {
    fake_broker broker;
    client c(broker.endpoint(), quick_options());
    const auto id = proto::task_id::random();
    c.revoke(id);  // no session yet: both wait for the WELCOME
    auto state = c.fetch_state(id);
    broker.handshake();
    const std::vector<std::string> expected{"REVOKE " + short_id(id), "FETCH " + short_id(id)};
    EXPECT_EQ(next_messages(broker, expected.size()), expected);
}

}  // namespace
