#include "outcomes.hpp"

#include "exception_description.hpp"
#include "shoal/common/errors.hpp"

namespace shoal::worker_detail {
namespace {

std::string bounded(std::string text) {
    if (text.size() > max_error_text) {
        text.resize(max_error_text);
        text += "...";
    }
    return text;
}

}  // namespace

proto::outcome ok_outcome(const proto::task_id& id, std::string payload) {
    proto::outcome o;
    o.id = id;
    o.status = proto::task_status::ok;
    o.payload = std::move(payload);
    return o;
}

proto::outcome error_outcome(const proto::task_id& id, proto::task_status status, std::string type,
                             std::string message, const std::string& worker) {
    proto::outcome o;
    o.id = id;
    o.status = status;
    o.error = {bounded(std::move(type)), bounded(std::move(message)), worker};
    return o;
}

proto::outcome failed_outcome(const proto::task_id& id, const std::exception_ptr& error,
                              const std::string& worker) {
    auto [type, message] = describe(error);
    return error_outcome(id, proto::task_status::failed, std::move(type), std::move(message),
                         worker);
}

std::optional<std::uint64_t> retry_countdown_ms(const std::exception_ptr& error) {
    if (!error) return std::nullopt;
    try {
        std::rethrow_exception(error);
    } catch (const retry_task& e) {
        if (!e.countdown()) return std::nullopt;
        return static_cast<std::uint64_t>(e.countdown()->count());  // never negative
    } catch (...) {
        return std::nullopt;
    }
}

std::string limit_message(std::uint64_t limit_ms, bool soft) {
    return std::string("the task ran past its ") + (soft ? "soft " : "") + "time limit of " +
           std::to_string(limit_ms) + " ms";
}

}  // namespace shoal::worker_detail
