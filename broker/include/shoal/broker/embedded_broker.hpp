#pragma once
// embedded_broker: a broker on a thread of its own, for tests, benchmarks and programs that
// want one in-process.
//
//     shoal::broker::broker_config config;
//     config.bind = "tcp://127.0.0.1:0";
//     shoal::broker::embedded_broker broker(config);   // bound and serving on return
//     connect_to(broker.endpoint());
//     auto stats = broker.call([](shoal::broker::broker& b) { return b.stats(); });
//     broker.stop();                                     // or let the destructor do it
//
// Tests may run it on a clock of their own (tests/support/manual_clock.hpp): its loop then sees
// time pass only when the test advances the clock, from the broker's thread (call()), so that
// TTLs, liveness and held tasks decide nothing because the machine was slow.
//
// Thread-safety: every member may be called from any thread but the broker's own.

#include <exception>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "shoal/broker/broker.hpp"
#include "shoal/broker/broker_config.hpp"
#include "shoal/common/clock.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::broker {

class embedded_broker {
  public:
    // Starts the thread and binds; throws broker_error if the bind fails. With a clock, the
    // broker's loop runs on it (it must outlive the broker, and is read on its thread only).
    explicit embedded_broker(broker_config config, const shoal::clock* time_source = nullptr);
    ~embedded_broker();
    embedded_broker(const embedded_broker&) = delete;
    embedded_broker& operator=(const embedded_broker&) = delete;

    const std::string& endpoint() const noexcept { return endpoint_; }

    // Runs f(broker&) on the broker's thread and returns what it returns (or rethrows).
    template <class F>
    auto call(F&& f) -> std::invoke_result_t<F&, broker&>;

    // Closes the broker and joins its thread. Idempotent.
    void stop();

  private:
    void run(broker_config config, const shoal::clock* time_source,
             std::promise<std::string>& started);

    std::thread thread_;
    event_loop* loop_ = nullptr;  // owned by the thread, valid while it runs
    broker* broker_ = nullptr;    // likewise
    std::string endpoint_;
};

template <class F>
auto embedded_broker::call(F&& f) -> std::invoke_result_t<F&, broker&> {
    using R = std::invoke_result_t<F&, broker&>;
    if (loop_ == nullptr) throw broker_error("embedded_broker: stopped");
    std::promise<R> done;
    auto result = done.get_future();
    loop_->call_soon_threadsafe([&f, &done, this] {
        try {
            if constexpr (std::is_void_v<R>) {
                f(*broker_);
                done.set_value();
            } else {
                done.set_value(f(*broker_));
            }
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    return result.get();
}

}  // namespace shoal::broker
