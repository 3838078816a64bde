// The broker dialog (PROTOCOL.md section 6): credit after every WELCOME, DISPATCH in, CANCEL
// in, ERROR logged. Bad input is logged and answered where it can be; it never stops the
// worker.

#include <spdlog/spdlog.h>

#include "shoal/common/detail/hop_trace.hpp"
#include "shoal/proto/codec.hpp"
#include "worker_core.hpp"

namespace shoal::worker_detail {
namespace {

// A DISPATCH entry that names its task but cannot be run is answered failed, never dropped.
proto::finished_task refusal_of(proto::malformed_dispatch bad, const std::string& worker_name) {
    proto::finished_task refused;
    refused.result.id = bad.id;
    refused.result.status = proto::task_status::failed;
    refused.result.error = {"shoal::bad_task",
                            "malformed task in DISPATCH: " + std::move(bad.problem), worker_name};
    refused.attempt = bad.attempt;
    return refused;
}

}  // namespace

void worker_core::on_connected(const proto::welcome& session) {
    connected_ = true;
    ledger_.start_session();
    const std::uint32_t credit = ledger_.grant();
    if (!link_->send(proto::ready{credit})) ledger_.take_back(credit);
    spdlog::info("worker {}: session {} with {} (heartbeat {} ms); holding {}, credit {}",
                 options_.name, link_->sessions(), options_.broker, session.heartbeat_ms,
                 ledger_.held(), credit);
    if (options_.hooks.status) options_.hooks.status("connected to " + options_.broker);
    flush();  // results finished while the broker was away
}

// A message that never reached the broker (see link_thread). A DONE's results are pending
// again; the credit it or a READY carried is taken back if its session still runs (the
// socket refused it: try again shortly), and was void anyway if that session is over.
void worker_core::on_bounced(proto::command cmd, std::string_view body, bool same_session) {
    try {
        if (cmd == proto::command::done) {
            auto message = proto::decode<proto::done>(body);
            ledger_.acquire(message.finished.size());
            if (same_session) ledger_.take_back(message.credit);
            results_.insert(results_.begin(), std::make_move_iterator(message.finished.begin()),
                            std::make_move_iterator(message.finished.end()));
        } else if (cmd == proto::command::ready) {
            if (same_session) ledger_.take_back(proto::decode<proto::ready>(body).credit);
        } else {
            // STARTED and DRAIN are best effort: the broker takes back what a lost session held.
            if (same_session) {
                spdlog::warn("worker {}: a {} could not be sent", options_.name,
                             proto::command_name(cmd));
            }
            return;
        }
    } catch (const std::exception& e) {
        spdlog::error("worker {}: a {} that was not sent could not be read back: {}", options_.name,
                      proto::command_name(cmd), e.what());
        return;
    }
    if (same_session) {
        retry_timer_.cancel();
        retry_timer_ = loop_.call_later(0.05, [this] { schedule_flush(); });
        spdlog::warn("worker {}: {} not sent (socket busy); retrying", options_.name,
                     proto::command_name(cmd));
    } else {
        schedule_flush();  // in the next session (now, if it has begun)
    }
}

void worker_core::on_lost(std::string_view why) {
    connected_ = false;
    ledger_.end_session();
    spdlog::warn("worker {}: lost the broker ({}); reconnecting, {} task(s) held", options_.name,
                 why, jobs_.size());
    if (options_.hooks.status)
        options_.hooks.status("broker lost (" + std::string(why) + "); reconnecting");
}

void worker_core::on_message(proto::command cmd, std::string_view body) {
    switch (cmd) {
        case proto::command::dispatch:
            on_dispatch(body);
            return;
        case proto::command::cancel:
            on_cancel(body);
            return;
        case proto::command::error:
            on_error(body);
            return;
        case proto::command::bye:
            spdlog::info("worker {}: the broker said goodbye", options_.name);
            return;
        default:
            spdlog::warn("worker {}: ignoring an unexpected {} from the broker", options_.name,
                         proto::command_name(cmd));
    }
}

void worker_core::on_dispatch(std::string_view body) {
    proto::dispatch reading;
    try {
        reading = proto::decode<proto::dispatch>(body);
    } catch (const std::exception& e) {
        // Not even a list of entries: nothing in it can be run or answered.
        spdlog::warn("worker {}: bad DISPATCH ignored: {}", options_.name, e.what());
        return;
    }
    if (!reading.malformed.empty() || reading.unidentified > 0) {
        spdlog::warn("worker {}: bad DISPATCH: {} task(s) readable, {} refused, {} unidentified",
                     options_.name, reading.tasks.size(), reading.malformed.size(),
                     reading.unidentified);
    }
    const std::uint64_t arrived =
        reading.tasks.size() + reading.malformed.size() + reading.unidentified;
    if (const std::uint64_t beyond = ledger_.dispatched(arrived); beyond > 0) {
        spdlog::warn("worker {}: the broker sent {} task(s) beyond the credit granted",
                     options_.name, beyond);
    }
    // Entries without an id cannot be reported or run; they no longer count as held.
    ledger_.release(reading.unidentified);
    for (auto& bad : reading.malformed) report(refusal_of(std::move(bad), options_.name));
    if (draining_ && !reading.tasks.empty()) {
        // Sent before the broker had our DRAIN: they go straight back.
        hand_back(std::move(reading.tasks));
        return;
    }
    const double now = loop_.time();
    for (auto& task : reading.tasks) {
        hop_trace::record(hop_trace::hop::worker_dispatch, task.id.as_bytes());
        task_log_.received(task, now);
        accept(std::move(task));
    }
    start_waiting();
}

void worker_core::on_cancel(std::string_view body) {
    proto::cancel request;
    try {
        request = proto::decode<proto::cancel>(body);
    } catch (const std::exception& e) {
        spdlog::warn("worker {}: bad CANCEL ignored: {}", options_.name, e.what());
        return;
    }
    for (const auto& id : request.ids) {
        std::vector<std::uint64_t> numbers;
        for (const auto& [number, j] : jobs_) {
            if (j.task.id == id) numbers.push_back(number);
        }
        if (numbers.empty()) {
            spdlog::debug("worker {}: CANCEL for {}, which it does not hold", options_.name,
                          id.to_hex());
        }
        for (const auto number : numbers) cancel(number, request.terminate);
    }
}

void worker_core::on_error(std::string_view body) {
    proto::error_reply e;
    try {
        e = proto::decode<proto::error_reply>(body);
    } catch (const std::exception& bad) {
        spdlog::warn("worker {}: bad ERROR from the broker: {}", options_.name, bad.what());
        return;
    }
    if (e.code == "forbidden" && e.answers == proto::command::hello) {
        // The broker will never take this key as a worker's: saying HELLO again forever
        // would only hide that, so the worker ends (status 2, as for a bad configuration).
        spdlog::error(
            "worker {}: the broker refuses this worker: {} (its public key must be in the "
            "broker's workers/ key folder; SECURITY.md)",
            options_.name, e.message);
        leave(refused_exit_code);
        return;
    }
    spdlog::warn("worker {}: the broker answered ERROR {}: {}{}", options_.name, e.code, e.message,
                 e.related ? " (task " + e.related->to_hex() + ")" : std::string());
}

}  // namespace shoal::worker_detail
