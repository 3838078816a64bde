#include "shoal/worker/worker_context.hpp"

#include "shoal/common/errors.hpp"
#include "worker_context_scope.hpp"
#include "worker_core.hpp"

namespace shoal {
namespace {

thread_local worker_context* current_context = nullptr;

}  // namespace

worker_context& worker_context::current() {
    if (current_context == nullptr) {
        throw invalid_state_error(
            "no worker_context on this thread: only tasks on a worker's loop (run_on::loop) have "
            "one");
    }
    return *current_context;
}

worker_context* worker_context::current_or_null() noexcept { return current_context; }

const std::string& worker_context::worker_name() const noexcept { return core_->options().name; }

shoal::client& worker_context::client() { return core_->client(); }

std::uint64_t worker_context::current_job() const noexcept { return core_->current_job(); }

bool worker_context::begin_remote_wait(std::uint64_t job) { return core_->begin_remote_wait(job); }

future<void> worker_context::end_remote_wait(std::uint64_t job) {
    return core_->end_remote_wait(job);
}

void worker_context::end_remote_wait_now(std::uint64_t job) { core_->end_remote_wait_now(job); }

void worker_context::take_slot_now(std::uint64_t job) { core_->take_slot_now(job); }

namespace worker_detail {

worker_context_scope::worker_context_scope(worker_context& context) noexcept
    : previous_(current_context) {
    current_context = &context;
}

worker_context_scope::~worker_context_scope() { current_context = previous_; }

}  // namespace worker_detail
}  // namespace shoal
