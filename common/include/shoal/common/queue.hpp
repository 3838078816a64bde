#pragma once
// shoal::queue, shoal::priority_queue, shoal::lifo_queue: asyncio.Queue, PriorityQueue and
// LifoQueue, for producer/consumer coroutines on one loop.
//
//   shoal::queue<job> jobs(100);             // at most 100 items; 0 means unbounded
//   co_await jobs.put(j);                    // producer: suspends while the queue is full
//   job j = co_await jobs.get();             // consumer: suspends while it is empty
//   jobs.task_done();                        // consumer: j is fully processed
//   co_await jobs.join();                    // anyone: wait until every item is processed
//
// Fairness (asyncio 3.11): blocked getters and putters are woken one per item or free slot,
// oldest first. A woken waiter re-checks when it resumes; if another coroutine took the item
// or slot in between (put_nowait / get_nowait), it queues again at the back. A waiter
// cancelled after being woken passes the wake-up on to the next one, so nothing is stranded.
//
// T must be move-constructible; items are moved in and out. Loop-bound (see
// detail/loop_bound.hpp): binds to the running loop when put() or get() first has to wait.
// Loop thread only. Not copyable. Must outlive every task waiting on it.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "shoal/common/detail/loop_bound.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event.hpp"
#include "shoal/common/task.hpp"

namespace shoal {

// put_nowait() on a full queue (asyncio.QueueFull).
class queue_full : public error {
  public:
    queue_full() : error("queue is full") {}
};

// get_nowait() on an empty queue (asyncio.QueueEmpty).
class queue_empty : public error {
  public:
    queue_empty() : error("queue is empty") {}
};

namespace detail {

// Storage policies: the only thing that differs between the three queues (asyncio's _put and
// _get overrides).
template <class T>
class fifo_storage {
  public:
    void push(T item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    std::deque<T> items_;
};

template <class T>
class lifo_storage {
  public:
    void push(T item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    std::vector<T> items_;
};

// A binary min-heap under Compare (Python's heapq): pop() returns the least item. The std
// heap algorithms build a max-heap, hence the swapped arguments.
template <class T, class Compare>
class heap_storage {
  public:
    void push(T item) {
        items_.push_back(std::move(item));
        std::push_heap(items_.begin(), items_.end(), greater());
    }
    T pop() {
        std::pop_heap(items_.begin(), items_.end(), greater());
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    std::size_t size() const noexcept { return items_.size(); }

  private:
    auto greater() const {
        return [this](const T& a, const T& b) { return less_(b, a); };
    }

    std::vector<T> items_;
    [[no_unique_address]] Compare less_;
};

template <class T, class Storage>
class basic_queue : loop_bound {
  public:
    using value_type = T;

    // maxsize 0 means unbounded.
    explicit basic_queue(std::size_t maxsize = 0) : maxsize_(maxsize) { finished_.set(); }

    std::size_t qsize() const noexcept { return items_.size(); }
    std::size_t maxsize() const noexcept { return maxsize_; }
    bool empty() const noexcept { return items_.size() == 0; }
    bool full() const noexcept { return maxsize_ != 0 && items_.size() >= maxsize_; }

    // Adds the item, first suspending while the queue is full. Throws cancelled_error if the
    // task is cancelled while waiting (the item is then not added).
    task<void> put(T item) {
        while (full()) {
            future<void> putter = get_loop("queue").create_future<void>();
            const auto entry = putters_.insert(putters_.end(), putter);
            try {
                co_await putter;
            } catch (...) {
                leave_after_failed_wait(putters_, entry, putter, !full());
                throw;
            }
        }
        put_nowait(std::move(item));
    }

    // Adds the item without waiting; throws queue_full if there is no room.
    void put_nowait(T item) {
        if (full()) {
            throw queue_full();
        }
        items_.push(std::move(item));
        ++unfinished_tasks_;
        finished_.clear();
        wake_up_next(getters_);
    }

    // Removes and returns an item, first suspending while the queue is empty. Throws
    // cancelled_error if the task is cancelled while waiting (no item is then taken).
    task<T> get() {
        while (empty()) {
            future<void> getter = get_loop("queue").create_future<void>();
            const auto entry = getters_.insert(getters_.end(), getter);
            try {
                co_await getter;
            } catch (...) {
                leave_after_failed_wait(getters_, entry, getter, !empty());
                throw;
            }
        }
        co_return get_nowait();
    }

    // Removes and returns an item without waiting; throws queue_empty if there is none.
    T get_nowait() {
        if (empty()) {
            throw queue_empty();
        }
        T item = items_.pop();
        wake_up_next(putters_);
        return item;
    }

    // Marks one item taken by get() as fully processed; join() returns once every item put
    // has been marked. Throws invalid_state_error if called more times than items were put
    // (asyncio raises ValueError("task_done() called too many times")).
    void task_done() {
        if (unfinished_tasks_ == 0) {
            throw invalid_state_error("task_done() called too many times");
        }
        if (--unfinished_tasks_ == 0) {
            finished_.set();
        }
    }

    // Suspends until every item put so far has been marked with task_done(); returns at once
    // if there is none outstanding.
    task<void> join() {
        if (unfinished_tasks_ > 0) {
            co_await finished_.wait();
        }
    }

  private:
    // Wakes the oldest waiter that is still pending and unlinks it, so that a burst of puts
    // wakes distinct getters in O(1) each. Cancelled waiters are skipped but stay linked:
    // each unlinks itself when it resumes.
    static void wake_up_next(waiter_list& waiters) {
        for (auto it = waiters.begin(); it != waiters.end(); ++it) {
            if (!it->done()) {
                future<void> waiter = std::move(*it);
                waiters.erase(it);
                waiter.set_result();
                return;
            }
        }
    }

    // A waiter resumed with an exception (cancelled, perhaps after being woken). Unlinks its
    // entry if still linked: only woken entries were unlinked, and a woken future is finished
    // rather than cancelled. If it had been woken and what it waited for is still there, the
    // wake-up goes to the next waiter instead of being lost.
    static void leave_after_failed_wait(waiter_list& waiters, waiter_list::iterator entry,
                                        future<void>& waiter, bool still_available) {
        waiter.cancel();  // in case it is still pending
        if (waiter.cancelled()) {
            waiters.erase(entry);
        }
        if (still_available && !waiter.cancelled()) {
            wake_up_next(waiters);
        }
    }

    std::size_t maxsize_;  // 0: unbounded
    Storage items_;
    waiter_list getters_;               // get() calls waiting for an item, oldest first
    waiter_list putters_;               // put() calls waiting for room, oldest first
    std::size_t unfinished_tasks_ = 0;  // items put and not yet task_done()
    event finished_;                    // set while unfinished_tasks_ == 0
};

}  // namespace detail

// First in, first out (asyncio.Queue).
template <class T>
class queue : public detail::basic_queue<T, detail::fifo_storage<T>> {
  public:
    using detail::basic_queue<T, detail::fifo_storage<T>>::basic_queue;
};

// Least item first under Compare, as asyncio.PriorityQueue (Python's heapq). Note: the
// opposite of std::priority_queue, whose top() is the greatest.
template <class T, class Compare = std::less<T>>
class priority_queue : public detail::basic_queue<T, detail::heap_storage<T, Compare>> {
  public:
    using detail::basic_queue<T, detail::heap_storage<T, Compare>>::basic_queue;
};

// Last in, first out (asyncio.LifoQueue).
template <class T>
class lifo_queue : public detail::basic_queue<T, detail::lifo_storage<T>> {
  public:
    using detail::basic_queue<T, detail::lifo_storage<T>>::basic_queue;
};

}  // namespace shoal
