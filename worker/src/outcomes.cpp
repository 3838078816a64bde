#include "outcomes.hpp"

#include "exception_description.hpp"

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

proto::outcome failed_outcome(const proto::task_id& id, std::exception_ptr error, const std::string& worker) {
    auto [type, message] = describe(std::move(error));
    return error_outcome(id, proto::task_status::failed, std::move(type), std::move(message), worker);
}

}  // namespace shoal::worker_detail
