#include "shoal/common/detail/loop_future_state.hpp"

#include <algorithm>

#include "shoal/common/event_loop.hpp"

namespace shoal::detail {

void future_base::report_unretrieved() noexcept {
    if (exception_) {
        const bool is_task = exception_from_task_;
        loop_->call_exception_handler(exception_context{
            is_task ? "Task exception was never retrieved" : "Future exception was never retrieved",
            exception_});
    }
}

bool future_base::cancel(const std::string& message) {
    if (done()) {
        return false;
    }
    if (!message.empty()) {
        cancel_message_ = std::make_unique<std::string>(message);
    }
    finish(future_status::cancelled);
    return true;
}

void future_base::throw_task_not_settleable() {
    throw invalid_state_error("Task does not support set_result() or set_exception()");
}

void future_base::set_exception(std::exception_ptr e) {
    if (done()) {
        throw invalid_state_error("invalid state: the future is already done");
    }
    if (!e) {
        throw invalid_state_error("set_exception needs an exception");
    }
    exception_ = std::move(e);
    log_unretrieved_ = true;
    exception_from_task_ = as_task_driver() != nullptr;
    finish(future_status::finished);
}

std::exception_ptr future_base::exception() {
    if (status_ == future_status::pending) {
        throw invalid_state_error("Exception is not set.");
    }
    if (status_ == future_status::cancelled) {
        std::rethrow_exception(make_cancelled_error());
    }
    log_unretrieved_ = false;
    return exception_;
}

void future_base::throw_not_value() {
    if (status_ == future_status::pending) {
        throw invalid_state_error("Result is not set.");
    }
    if (status_ == future_status::cancelled) {
        std::rethrow_exception(make_cancelled_error());
    }
    log_unretrieved_ = false;
    std::rethrow_exception(exception_);  // finished with an exception: the only case left
}

std::exception_ptr future_base::make_cancelled_error() const {
    return std::make_exception_ptr(
        cancelled_error(cancel_message_ ? *cancel_message_ : std::string("cancelled")));
}

std::uint64_t future_base::add_callback(done_callback cb) {
    const std::uint32_t id = next_callback_id_++;
    if (done()) {
        schedule_one(std::move(cb));
        return id;
    }
    if (!first_fn_ && !more_callbacks_) {
        first_id_ = id;
        first_fn_ = std::move(cb);
    } else {
        if (!more_callbacks_) {
            more_callbacks_ = std::make_unique<std::vector<callback_entry>>();
        }
        more_callbacks_->push_back(callback_entry{id, std::move(cb)});
    }
    return id;
}

std::size_t future_base::remove_callback(std::uint64_t id) {
    if (done()) {
        return 0;  // already handed to the loop, as asyncio clears _callbacks when done
    }
    std::size_t removed = 0;
    if (first_fn_ && first_id_ == id) {
        first_fn_ = nullptr;
        ++removed;
    }
    if (more_callbacks_) {
        removed +=
            std::erase_if(*more_callbacks_, [id](const callback_entry& e) { return e.id == id; });
    }
    return removed;
}

namespace {
// The ready entry that runs a done future's callbacks. If the loop drops it unrun (close()),
// it drops the callbacks instead, as asyncio hands them out when it schedules them.
class callbacks_runner {
  public:
    explicit callbacks_runner(future_base* f) noexcept : f_(f) {}
    callbacks_runner(callbacks_runner&&) noexcept = default;
    callbacks_runner(const callbacks_runner&) = delete;
    ~callbacks_runner() {
        if (ref_ptr<future_base> f = std::move(f_)) f->drop_callbacks();
    }
    void operator()() {
        ref_ptr<future_base> f = std::move(f_);
        f->run_callbacks();
    }

  private:
    ref_ptr<future_base> f_;
};
}  // namespace

void future_base::schedule_callbacks() {
    // One ready entry runs all callbacks in registration order; equivalent to asyncio's
    // one entry per callback because nothing can run between them.
    loop_->call_soon(callbacks_runner(this));
}

void future_base::drop_callbacks() noexcept {
    // Moved out first: destroying them may release the last reference to this future.
    done_callback first = std::move(first_fn_);
    first_fn_ = nullptr;
    std::unique_ptr<std::vector<callback_entry>> more = std::move(more_callbacks_);
}

void future_base::run_callbacks() noexcept {
    // Registration order: the inline one was added before any in the overflow vector.
    done_callback first = std::move(first_fn_);
    first_fn_ = nullptr;
    std::unique_ptr<std::vector<callback_entry>> more = std::move(more_callbacks_);
    auto run = [this](done_callback& fn) {
        try {
            fn(*this);
        } catch (...) {
            loop_->call_exception_handler(
                exception_context{"Exception in future done-callback", std::current_exception()});
        }
    };
    if (first) {
        run(first);
    }
    if (more) {
        for (auto& e : *more) run(e.fn);
    }
}

void future_base::schedule_one(done_callback cb) {
    loop_->call_soon(
        [self = ref_ptr<future_base>(this), cb = std::move(cb)]() mutable { cb(*self); });
}

}  // namespace shoal::detail
