#pragma once
// worker_context_scope: makes a worker's context current on the calling thread (the loop's)
// for as long as run() runs.

namespace shoal {
class worker_context;
}

namespace shoal::worker_detail {

class worker_context_scope {
  public:
    explicit worker_context_scope(worker_context& context) noexcept;
    ~worker_context_scope();
    worker_context_scope(const worker_context_scope&) = delete;
    worker_context_scope& operator=(const worker_context_scope&) = delete;

  private:
    worker_context* previous_;
};

}  // namespace shoal::worker_detail
