#pragma once
// remote_state<T>: the one shared record per remote task. remote_future<T> handles point at
// it, and the client's I/O thread keeps it in its table until the answer arrives. It owns the
// concurrent::future<T> that carries the value, so remote and local futures mix; the I/O
// thread settles it from the broker's outcome through the type-erased base.
//
// Thread-safety: mark_accepted/complete/fail/cancel_local are called by the I/O thread only;
// everything else from any thread. Settling races with cancel() are decided by the
// concurrent future's own lock (whoever comes second gets invalid_state_error, ignored here).

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "shoal/client/detail/call_codec.hpp"
#include "shoal/client/raw_msgpack.hpp"
#include "shoal/client/remote_status.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::detail {

class client_core;

class remote_state_base {
  public:
    remote_state_base(const proto::task_id& id, std::weak_ptr<client_core> core) noexcept
        : id_(id), core_(std::move(core)) {}
    remote_state_base(const remote_state_base&) = delete;
    remote_state_base& operator=(const remote_state_base&) = delete;
    virtual ~remote_state_base() = default;

    const proto::task_id& id() const noexcept { return id_; }
    remote_status status() const;
    // cancel() was called (the I/O thread then skips sending the task at all).
    bool cancel_requested() const noexcept {
        return cancel_requested_.load(std::memory_order_acquire);
    }

    // Any thread: cancels the local future and asks the broker to revoke the task. False if
    // the future was already done with a value or an error.
    bool cancel();
    // Before a blocking wait: throws invalid_state_error if the future is pending and this is
    // the client's I/O thread (a done callback), which alone could settle it.
    void check_can_block(std::optional<double> timeout_seconds) const;

    // I/O thread only.
    void mark_accepted() noexcept { accepted_.store(true, std::memory_order_release); }
    // Settles from the broker's outcome: a value, a typed error, or cancelled for revoked.
    void complete(const proto::outcome& outcome);
    void fail(std::exception_ptr error) noexcept;
    void cancel_local() noexcept;

    virtual concurrent::detail::future_state_base& base() const = 0;

    // The task as sent: filled by the submitting thread, then owned by the I/O thread (the
    // outbox's mutex hands it over), which keeps it until the answer arrives so that it can
    // be sent again, and then releases it. Kept here rather than in the I/O thread's table
    // so that the table stays small enough to stay in cache.
    proto::submitted_task task;
    void release_task() noexcept { task = proto::submitted_task{}; }

  protected:
    // Decodes the payload into T and sets it; a payload of the wrong type fails the future.
    virtual void set_value(std::string_view payload) = 0;

  private:
    proto::task_id id_;
    std::weak_ptr<client_core> core_;
    std::atomic<bool> accepted_{false};
    std::atomic<bool> cancel_requested_{false};
};

// How a result's payload becomes a T.
template <class T>
struct result_decoder {
    static T decode(std::string_view payload) { return unpack_call_result<T>(payload); }
};
template <>
struct result_decoder<raw_msgpack> {
    static raw_msgpack decode(std::string_view payload) {
        return raw_msgpack{std::string(payload)};
    }
};

template <class T>
class remote_state final : public remote_state_base {
  public:
    using remote_state_base::remote_state_base;

    const concurrent::future<T>& future() const noexcept { return future_; }
    concurrent::detail::future_state_base& base() const override {
        return concurrent::detail::future_access::base(future_);
    }

  protected:
    void set_value(std::string_view payload) override {
        if constexpr (std::is_void_v<T>) {
            (void)payload;  // a void task's result is nil; whatever came, there is no value
            future_.try_set_result();  // cancelled meanwhile: that stands
        } else {
            std::optional<T> value;
            try {
                value.emplace(result_decoder<T>::decode(payload));
            } catch (...) {
                fail(std::current_exception());
                return;
            }
            future_.try_set_result(std::move(*value));
        }
    }

  private:
    concurrent::future<T> future_ = concurrent::make_future<T>();
};

}  // namespace shoal::detail
