// Results go back in batches: every outcome finished during one pass of the loop leaves in
// one DONE (split only at the broker's batch and message-size limits), sent from a callback
// scheduled with call_soon, together with the credit the finished tasks free.

#include <spdlog/spdlog.h>

#include "outcomes.hpp"
#include "shoal/common/detail/hop_trace.hpp"
#include "worker_core.hpp"

namespace shoal::worker_detail {
namespace {

// Room kept in a DONE for the envelope and each entry's fixed fields.
constexpr std::size_t message_overhead = 64;
constexpr std::size_t entry_overhead = 48;
// After a refused send (the socket's queue was full), try again this much later.
constexpr double resend_delay_s = 0.05;

std::size_t encoded_size(const proto::finished_task& t) {
    const auto& e = t.result.error;
    return entry_overhead + t.result.payload.size() + e.type.size() + e.message.size() +
           e.where.size();
}

}  // namespace

void worker_core::report(proto::finished_task finished) {
    hop_trace::record(hop_trace::hop::task_end, finished.result.id.as_bytes());
    results_.push_back(std::move(finished));
    schedule_flush();
}

void worker_core::schedule_flush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    loop_.call_soon([this] { flush(); });
}

void worker_core::flush() {
    flush_scheduled_ = false;
    if (link_ && link_->in_session()) {
        send_started();
        if (send_results()) send_credit();
    }
    check_drained();
}

void worker_core::send_started() {
    if (started_.empty()) return;
    proto::started message;
    for (const std::uint64_t number : started_) {
        const auto it = jobs_.find(number);
        if (it == jobs_.end() || it->second.phase == job_phase::waiting) continue;  // reported
        message.tasks.push_back({it->second.task.id, it->second.task.attempt});
    }
    started_.clear();
    // Best effort: a STARTED that cannot leave only means a death would be presumed (the
    // broker counts the earliest tasks it sent as started).
    if (!message.tasks.empty()) (void)link_->send(message);
}

// Sends every pending result; false if a send was refused (what is left stays pending).
bool worker_core::send_results() {
    const proto::welcome& session = link_->session();
    const std::size_t max_batch = std::max<std::size_t>(session.max_batch, 1);
    const std::size_t max_bytes = std::max<std::size_t>(session.max_message_bytes, 4096);
    std::size_t next = 0;
    while (next < results_.size()) {
        proto::done message;
        std::size_t bytes = message_overhead;
        while (next < results_.size() && message.finished.size() < max_batch) {
            proto::finished_task& candidate = results_[next];
            if (message_overhead + encoded_size(candidate) > max_bytes) {
                const std::size_t size = candidate.result.payload.size();
                candidate.result = error_outcome(
                    candidate.result.id, proto::task_status::failed, result_too_large_type,
                    "the result takes " + std::to_string(size) +
                        " bytes; the broker accepts messages up to " + std::to_string(max_bytes),
                    options_.name);
            }
            const std::size_t size = encoded_size(candidate);
            if (!message.finished.empty() && bytes + size > max_bytes) break;
            bytes += size;
            message.finished.push_back(std::move(candidate));
            ++next;
        }
        const std::size_t count = message.finished.size();
        for (const auto& f : message.finished) {
            hop_trace::record(hop_trace::hop::worker_done, f.result.id.as_bytes());
        }
        ledger_.release(count);
        message.credit = ledger_.grant();
        if (!link_->send(message)) {
            // Put the batch back where it was and try again shortly.
            ledger_.take_back(message.credit);
            ledger_.acquire(count);
            for (std::size_t i = 0; i < count; ++i)
                results_[next - count + i] = std::move(message.finished[i]);
            results_.erase(results_.begin(),
                           results_.begin() + static_cast<std::ptrdiff_t>(next - count));
            retry_timer_.cancel();
            retry_timer_ = loop_.call_later(resend_delay_s, [this] { schedule_flush(); });
            spdlog::warn("worker {}: DONE not sent (socket busy); retrying", options_.name);
            return false;
        }
        spdlog::debug("worker {}: DONE with {} result(s), credit {}", options_.name, count,
                      message.credit);
    }
    results_.clear();
    return true;
}

// Credit freed without a result to carry it (a thread returning after its time limit).
void worker_core::send_credit() {
    const std::uint32_t credit = ledger_.grant();
    if (credit == 0) return;
    if (!link_->send(proto::ready{credit})) ledger_.take_back(credit);
}

}  // namespace shoal::worker_detail
