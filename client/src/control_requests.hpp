#pragma once
// control_requests: INSPECT, ADMIN and PURGE waiting for their REPORT / PURGED (I/O thread
// only). The replies carry no request id, so each is matched to the oldest request with the
// same `what` (an ADMIN's action) or queue: the broker answers one connection's requests in order.
// After a reconnect every outstanding request is sent again (the old session's replies are gone
// with it).

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <string>

#include "shoal/common/concurrent_future.hpp"
#include "shoal/proto/messages.hpp"

namespace shoal::detail {

class control_requests {
  public:
    void add_inspect(std::string what, concurrent::future<proto::report> reply);
    void add_admin(proto::admin request, concurrent::future<proto::report> reply);
    void add_purge(std::string queue, concurrent::future<std::uint64_t> reply);

    // False when no request was waiting for this reply.
    bool on_report(proto::report report);
    bool on_purged(const proto::purged& purged);

    // Calls send for every outstanding request, oldest first.
    void for_each_request(const std::function<void(const proto::inspect&)>& send_inspect,
                          const std::function<void(const proto::admin&)>& send_admin,
                          const std::function<void(const proto::purge&)>& send_purge) const;

    void fail_all(const std::exception_ptr& error);
    // The broker refused the oldest request of this kind (ERROR naming it, e.g. forbidden):
    // fails it. False if none of that kind waits.
    bool fail_oldest(proto::command kind, const std::exception_ptr& error);

  private:
    // An INSPECT, or an ADMIN (what is its action): both are answered by REPORT.
    struct inspect_request {
        proto::command kind = proto::command::inspect;
        std::string what;
        concurrent::future<proto::report> reply;
        proto::admin admin{};  // kind admin: the request, sent again after a reconnect
    };
    struct purge_request {
        std::string queue;
        concurrent::future<std::uint64_t> reply;
    };

    std::deque<inspect_request> inspects_;
    std::deque<purge_request> purges_;
};

}  // namespace shoal::detail
