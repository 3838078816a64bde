#pragma once
// fetch_table: who waits on results by id without having submitted them (I/O thread only).
//   waiters  futures from client::fetch<T>(id): settled when the result comes, whatever
//            FETCHED or RESULT brings it;
//   queries  client::fetch_state(id): answered by the next FETCHED entry for the id.

#include <exception>
#include <memory>
#include <unordered_map>
#include <vector>

#include "shoal/client/detail/remote_state.hpp"
#include "shoal/client/fetch_result.hpp"
#include "shoal/common/concurrent_future.hpp"
#include "shoal/proto/messages.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::detail {

class fetch_table {
  public:
    void add_waiter(std::shared_ptr<remote_state_base> state);
    void add_query(const proto::task_id& id, concurrent::future<fetch_result> reply);

    bool has_waiters(const proto::task_id& id) const;
    // Someone waits on or asks about the id.
    bool ids_contain(const proto::task_id& id) const { return entries_.count(id) > 0; }
    bool empty() const noexcept { return entries_.empty(); }

    // The result arrived: settles every waiter on outcome.id.
    void complete(const proto::outcome& outcome);
    // Fails every waiter and query on `id`.
    void fail(const proto::task_id& id, const std::exception_ptr& error);
    // Cancels every waiter on `id` (revoked).
    void cancel_waiters(const proto::task_id& id);
    // Answers every query on entry.id.
    void answer_queries(const proto::fetched_entry& entry);

    // Every id someone waits on or asks about: what to FETCH after a (re)connect.
    std::vector<proto::task_id> ids() const;
    // Ids with waiters only (polling).
    std::vector<proto::task_id> waiter_ids() const;

    void fail_all(const std::exception_ptr& error);

  private:
    struct entry {
        std::vector<std::shared_ptr<remote_state_base>> waiters;
        std::vector<concurrent::future<fetch_result>> queries;
    };
    void erase_if_empty(const proto::task_id& id);

    std::unordered_map<proto::task_id, entry, proto::task_id_hash> entries_;
};

}  // namespace shoal::detail
