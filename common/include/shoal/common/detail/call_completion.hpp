#pragma once
// How a process pool settles a caller's future without knowing its type: the pool holds a
// call_completion; the typed one decodes the msgpack result into R.

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"

namespace shoal::detail {

class call_completion {
  public:
    virtual ~call_completion() = default;
    // set_running_or_notify_cancel on the caller's future: false means skip the call.
    virtual bool start() = 0;
    virtual void succeed(std::string_view msgpack_result) = 0;
    virtual void fail(std::exception_ptr error) = 0;
    virtual void cancel() = 0;
    // Identifies the caller's future (its shared state), for process_pool_executor::terminate.
    virtual const void* key() const noexcept = 0;
};

// A future<R>; for R = std::string on the untyped path, see raw_completion.
template <class R>
class typed_completion final : public call_completion {
  public:
    explicit typed_completion(concurrent::future<R> future) : future_(std::move(future)) {}

    bool start() override { return future_.set_running_or_notify_cancel(); }
    void succeed(std::string_view msgpack_result) override {
        try {
            if constexpr (std::is_void_v<R>) {
                future_.set_result();
            } else {
                future_.set_result(unpack_result<R>(msgpack_result));
            }
        } catch (const task_error&) {
            future_.set_exception(std::current_exception());  // the result did not decode
        }
    }
    void fail(std::exception_ptr error) override { future_.set_exception(std::move(error)); }
    void cancel() override { future_.cancel(); }
    const void* key() const noexcept override {
        return &concurrent::detail::future_access::base(future_);
    }

  private:
    concurrent::future<R> future_;
};

// The untyped path: the result stays msgpack bytes.
class raw_completion final : public call_completion {
  public:
    explicit raw_completion(concurrent::future<std::string> future) : future_(std::move(future)) {}

    bool start() override { return future_.set_running_or_notify_cancel(); }
    void succeed(std::string_view msgpack_result) override {
        future_.set_result(std::string(msgpack_result));
    }
    void fail(std::exception_ptr error) override { future_.set_exception(std::move(error)); }
    void cancel() override { future_.cancel(); }
    const void* key() const noexcept override {
        return &concurrent::detail::future_access::base(future_);
    }

  private:
    concurrent::future<std::string> future_;
};

}  // namespace shoal::detail
