// The event loop's default executor lives apart from the loop's spine so that the loop does
// not depend on the thread pool unless run_in_executor is used.

#include <memory>
#include <utility>

#include "shoal/common/event_loop.hpp"
#include "shoal/common/thread_pool_executor.hpp"

namespace shoal {

thread_pool_executor& event_loop::default_executor() {
    check_open();
    if (!default_executor_) {
        default_executor_ = std::make_shared<thread_pool_executor>();
    }
    return *default_executor_;
}

void event_loop::set_default_executor(std::shared_ptr<thread_pool_executor> executor) {
    check_open();
    default_executor_ = std::move(executor);
}

void event_loop::release_default_executor() noexcept {
    if (std::shared_ptr<thread_pool_executor> executor = std::move(default_executor_)) {
        executor->shutdown(/*wait=*/true, /*cancel_futures=*/true);
    }
}

}  // namespace shoal
