#include "shoal/worker/worker_context.hpp"

#include "shoal/common/errors.hpp"
#include "worker_core.hpp"
#include "worker_context_scope.hpp"

namespace shoal {
namespace {

thread_local worker_context* current_context = nullptr;

}  // namespace

worker_context& worker_context::current() {
    if (current_context == nullptr) {
        throw invalid_state_error(
            "no worker_context on this thread: only tasks on a worker's loop (run_on::loop) have one");
    }
    return *current_context;
}

worker_context* worker_context::current_or_null() noexcept { return current_context; }

const std::string& worker_context::worker_name() const noexcept { return core_->options().name; }

shoal::client& worker_context::client() { return core_->client(); }

std::uint64_t worker_context::release_slot() { return core_->release_slot(); }

future<void> worker_context::reclaim_slot(std::uint64_t ticket) { return core_->reclaim_slot(ticket); }

namespace worker_detail {

worker_context_scope::worker_context_scope(worker_context& context) noexcept
    : previous_(current_context) {
    current_context = &context;
}

worker_context_scope::~worker_context_scope() { current_context = previous_; }

}  // namespace worker_detail
}  // namespace shoal
