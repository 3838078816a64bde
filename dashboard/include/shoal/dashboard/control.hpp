#pragma once
// control: what the dashboard's buttons ask of the broker. client_control forwards to a
// shoal::client; tests give a fake. Refusals come back as the client's errors (broker_error
// with code() "forbidden" when the broker's key rules say no).

#include <cstdint>
#include <string>

#include "shoal/client/fetch_result.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal {
class client;
}

namespace shoal::dashboard {

class control {
  public:
    virtual ~control() = default;
    // Fire and forget on the wire (client::revoke, client::requeue): no answer to wait for.
    virtual void revoke(const proto::task_id& id, bool terminate) = 0;
    virtual void requeue(const proto::task_id& id) = 0;
    virtual concurrent::future<std::uint64_t> purge(std::string queue) = 0;
    virtual concurrent::future<fetch_result> fetch_state(const proto::task_id& id) = 0;
};

class client_control : public control {
  public:
    explicit client_control(client& c) : client_(c) {}
    void revoke(const proto::task_id& id, bool terminate) override;
    void requeue(const proto::task_id& id) override;
    concurrent::future<std::uint64_t> purge(std::string queue) override;
    concurrent::future<fetch_result> fetch_state(const proto::task_id& id) override;

  private:
    client& client_;
};

}  // namespace shoal::dashboard
