#pragma once
// Machinery shared by the synchronisation primitives (event, lock, semaphore, queue).
//
// loop_bound is asyncio's _LoopBoundMixin (3.10+): a primitive is created outside any loop and
// binds to the running loop the first time it has to wait (creates a waiter future); from then
// on, waiting from any other loop is refused with event_loop_error, as asyncio raises
// RuntimeError("... is bound to a different event loop").
//
// waiter_list holds the futures of the coroutines waiting on a primitive, oldest first.
// A std::list rather than CPython's deque: every waiter unlinks its own entry when it resumes
// (woken or cancelled) through the iterator it kept, which is O(1) wherever the entry sits,
// and iterators stay valid while other waiters come and go.
//
// Why waiters clean up in a catch block and not in a destructor: a pending task's coroutine
// frame is destroyed without resuming when its loop closes, and the primitive may already be
// gone by then (a local declared after the loop). A destructor-based cleanup would touch it;
// a catch block runs only when the coroutine is really resumed with an exception.

#include <list>
#include <string>

#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"
#include "shoal/common/future.hpp"

namespace shoal::detail {

using waiter_list = std::list<future<void>>;

class loop_bound {
  public:
    loop_bound(const loop_bound&) = delete;
    loop_bound& operator=(const loop_bound&) = delete;

  protected:
    loop_bound() = default;
    ~loop_bound() = default;

    // The running loop, binding to it on the first call. Throws event_loop_error when no loop
    // runs on this thread or when this object is bound to another loop. `what` names the
    // primitive in the message.
    event_loop& get_loop(const char* what) {
        event_loop& running = event_loop::current();
        if (loop_ == nullptr) {
            loop_ = &running;
        } else if (loop_ != &running) {
            throw event_loop_error(std::string(what) + " is bound to a different event loop");
        }
        return running;
    }

  private:
    event_loop* loop_ = nullptr;  // null until the first wait
};

}  // namespace shoal::detail
