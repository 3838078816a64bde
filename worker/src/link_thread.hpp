#pragma once
// link_thread: the worker's connection to the broker, on a thread and an event_loop of its
// own, so that heartbeats (and reading the broker's messages) never wait for the loop that
// runs tasks: a loop task that blocks must not get its worker declared dead, and the tasks
// beside it dead-lettered with it (issue 12).
//
// The two loops talk through call_soon_threadsafe only:
//   - connected, message and lost are posted to the task loop (through its loop_gate), in the
//     order they happened;
//   - send() posts the encoded message, tagged with the session the task loop believes in.
//     A message whose session is over by the time it reaches the socket, or that the socket
//     refuses (its queue is full), comes back to the task loop as bounced, so that the core
//     keeps its results and its credit exact.
// The task loop keeps a mirror of the session (in_session, the WELCOME, its number), updated
// when it handles connected and lost: its view always agrees with the messages it has seen.
//
// Thread-safety: every public member on the task loop's thread (the constructor and the
// destructor included); the dealer_link lives on the link thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <zmq.hpp>

#include "loop_gate.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/proto/codec.hpp"
#include "shoal/proto/dealer_link.hpp"

namespace shoal::worker_detail {

struct link_thread_events {
    std::function<void(const proto::welcome&)> connected;
    std::function<void(proto::command, std::string_view body)> message;
    std::function<void(std::string_view why)> lost;
    // A message sent that never left; same_session: the session it was meant for still runs
    // (the socket refused it), else that session is over (lost was handled before this).
    std::function<void(proto::command, std::string_view body, bool same_session)> bounced;
};

class link_thread {
  public:
    link_thread(std::shared_ptr<loop_gate> task_gate, proto::dealer_link_options options,
                link_thread_events events);
    // Closes (without BYE if close() was not called) and joins the thread.
    ~link_thread();
    link_thread(const link_thread&) = delete;
    link_thread& operator=(const link_thread&) = delete;

    // Starts the thread, which connects and sends HELLO.
    void start();
    // Sends BYE if in a session (after every message sent before it), closes the socket and
    // joins the thread. What the broker sends afterwards is not delivered.
    void close(std::string reason);

    // Queues one message for the broker if the task loop's view is in a session; false
    // otherwise (the caller keeps it and resends after connected()).
    bool send_raw(proto::command cmd, std::string body);
    template <class Message>
    bool send(const Message& m) {
        return send_raw(Message::cmd, proto::encode(m));
    }

    bool in_session() const noexcept { return in_session_; }
    const proto::welcome& session() const noexcept { return session_; }
    // Sessions started so far, as the task loop has seen them (1 after the first WELCOME).
    std::uint64_t sessions() const noexcept { return sessions_; }

  private:
    void run();
    // Link thread: sends if the session it was meant for still runs, else bounces it.
    void deliver(proto::command cmd, std::string& body, std::uint64_t session);
    // Link thread: runs cb on the task loop.
    void to_task_loop(callback cb);

    std::shared_ptr<loop_gate> task_gate_;
    proto::dealer_link_options options_;
    link_thread_events events_;
    zmq::context_t context_{1};
    event_loop loop_;                           // the link thread's
    std::unique_ptr<proto::dealer_link> link_;  // link thread only
    std::thread thread_;

    // The task loop's mirror of the session.
    bool in_session_ = false;
    proto::welcome session_{};
    std::uint64_t sessions_ = 0;
};

}  // namespace shoal::worker_detail
