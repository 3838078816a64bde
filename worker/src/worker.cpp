#include "shoal/worker/worker.hpp"

#include "worker_core.hpp"

namespace shoal {

worker::worker(const worker_options& options)
    : core_(std::make_unique<worker_detail::worker_core>(options)) {}

worker::~worker() = default;

task_registry& worker::registry() noexcept { return core_->registry(); }

const resolved_worker_options& worker::options() const noexcept { return core_->options(); }

int worker::run() { return core_->run(); }

void worker::stop() { core_->stop(); }

}  // namespace shoal
