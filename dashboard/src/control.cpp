#include "shoal/dashboard/control.hpp"

#include "shoal/client/client.hpp"

namespace shoal::dashboard {

void client_control::revoke(const proto::task_id& id, bool terminate) {
    client_.revoke(id, terminate);
}

void client_control::requeue(const proto::task_id& id) { client_.requeue(id); }

concurrent::future<std::uint64_t> client_control::purge(std::string queue) {
    return client_.purge(std::move(queue));
}

concurrent::future<fetch_result> client_control::fetch_state(const proto::task_id& id) {
    return client_.fetch_state(id);
}

}  // namespace shoal::dashboard
