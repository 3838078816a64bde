// How a broker outcome settles a remote future (PROTOCOL.md section 5.3), and revoking.

#include "shoal/client/detail/remote_state.hpp"

#include <spdlog/spdlog.h>

#include "client_core.hpp"
#include "shoal/client/errors.hpp"

namespace shoal::detail {

namespace {

std::string or_default(const std::string& text, const char* fallback) {
    return text.empty() ? std::string(fallback) : text;
}

}  // namespace

remote_status remote_state_base::status() const {
    const auto& b = base();
    if (!b.done()) {
        return accepted_.load(std::memory_order_acquire) ? remote_status::accepted
                                                         : remote_status::pending;
    }
    if (b.cancelled()) return remote_status::revoked;
    // Done: exception() returns at once.
    return b.exception(concurrent::detail::deadline_after(0.0)) ? remote_status::failed
                                                                : remote_status::done;
}

bool remote_state_base::cancel() {
    cancel_requested_.store(true, std::memory_order_release);
    if (!base().cancel()) return false;  // already finished: nothing to revoke
    if (auto core = core_.lock()) {
        const proto::task_id id = id_;
        core->post_if_open([c = core.get(), id] { c->revoke(id, false); });
    }
    return true;
}

void remote_state_base::check_can_block(std::optional<double> timeout_seconds) const {
    if (timeout_seconds && *timeout_seconds <= 0) return;  // a poll never waits
    if (base().done()) return;
    if (auto core = core_.lock(); core && core->on_io_thread()) {
        throw invalid_state_error(
            "waiting for a pending remote future on the client's own I/O thread (in a done "
            "callback) would wait forever: only that thread can deliver its result");
    }
}

void remote_state_base::complete(const proto::outcome& outcome) {
    const auto& e = outcome.error;
    switch (outcome.status) {
        case proto::task_status::ok:
            set_value(outcome.payload);
            return;
        case proto::task_status::failed:
            if (e.type == "shoal::time_limit_exceeded" ||
                e.type == "shoal::soft_time_limit_exceeded") {
                // The same type a local pool raises, so one catch serves both.
                fail(std::make_exception_ptr(time_limit_exceeded(
                    e.message + " (worker " + or_default(e.where, "unknown") + ")")));
                return;
            }
            fail(std::make_exception_ptr(remote_task_error(or_default(e.type, "unknown"), e.message,
                                                           or_default(e.where, "unknown"))));
            return;
        case proto::task_status::revoked:
            cancel_local();
            return;
        case proto::task_status::unknown_task:
            fail(std::make_exception_ptr(unknown_task_error(
                "unknown_task", or_default(e.message, "no worker can run this task"),
                or_default(e.where, "broker"))));
            return;
        case proto::task_status::lost:
            // code() "dead_letter" when the broker set the task aside (`shoal inspect dead`).
            fail(std::make_exception_ptr(task_lost_error(
                or_default(e.type, "lost"),
                or_default(e.message, "every attempt ended with its worker's death"),
                or_default(e.where, "broker"))));
            return;
        case proto::task_status::expired:
            fail(std::make_exception_ptr(task_expired_error(
                "expired", or_default(e.message, "the task expired before it started"),
                or_default(e.where, "broker"))));
            return;
    }
    fail(std::make_exception_ptr(
        broker_error("bad_outcome", "the broker sent an unknown outcome", "broker")));
}

void remote_state_base::fail(std::exception_ptr error) noexcept {
    try {
        base().set_exception(std::move(error));
    } catch (const invalid_state_error&) {
        // Already cancelled or settled: the first word stands.
    } catch (const std::exception& e) {
        spdlog::error("shoal client: could not fail a future: {}", e.what());
    }
}

void remote_state_base::cancel_local() noexcept {
    try {
        base().cancel();
    } catch (const std::exception& e) {
        spdlog::error("shoal client: could not cancel a future: {}", e.what());
    }
}

}  // namespace shoal::detail
