#pragma once
// The durability checker of the fault tests: it reads what every party recorded (what the
// test's client was told of each task it submitted, and what Redis holds) and lists every
// breach of the broker's promises:
//
//   - an accepted task without a terminal state, or with an error instead of its value;
//   - a value the client was told that differs from the one stored (one id, one result);
//   - a result, or a task record, stored for an id the client never submitted;
//   - anything stored for a task that was refused (`unavailable` means nothing was kept);
//   - a task record left behind once every task has ended.
//
// Tasks are add(i, i), so every value is checkable against 2i as well.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "durable/durable_records.hpp"
#include "durable/durable_store.hpp"
#include "redis/redis_server.hpp"
#include "shoal/client/errors.hpp"
#include "shoal/client/remote_future.hpp"

namespace shoal::testing {

// What the client was told of one task.
struct seen_task {
    enum class end { none, value, refused_unavailable, other_error };
    std::string id;  // hex
    long expected = 0;
    end how = end::none;
    long value = 0;
    std::string error;
};

// Waits (up to timeout_s) for the future's end and records it.
inline seen_task record(const remote_future<long>& f, long expected, double timeout_s) {
    seen_task s;
    s.id = f.id().to_hex();
    s.expected = expected;
    try {
        s.value = f.get(timeout_s);
        s.how = seen_task::end::value;
    } catch (const task_refused& e) {
        s.how = e.retryable() ? seen_task::end::refused_unavailable : seen_task::end::other_error;
        s.error = e.code() + ": " + e.what();
    } catch (const timeout_error&) {
        s.how = seen_task::end::none;
    } catch (const std::exception& e) {
        s.how = seen_task::end::other_error;
        s.error = e.what();
    }
    return s;
}

// Records every future, sharing one deadline.
inline std::vector<seen_task> record_all(const std::vector<remote_future<long>>& futures,
                                         const std::vector<long>& expected, double timeout_s) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    std::vector<seen_task> out;
    out.reserve(futures.size());
    for (std::size_t i = 0; i < futures.size(); ++i) {
        const double left = std::max(
            0.001,
            std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
        out.push_back(record(futures[i], expected[i], left));
    }
    return out;
}

struct stored_state {
    std::map<std::string, broker::result_record> results;  // by id hex
    std::set<std::string> unfinished;                      // shoal:tasks fields
    std::vector<std::string> unreadable;
};

inline stored_state read_stored(redis_server& redis) {
    stored_state s;
    const std::string prefix = "shoal:result:";
    const std::vector<std::string> keys = redis.command_list({"KEYS", prefix + "*"}, 30.0);
    for (std::size_t i = 0; i < keys.size(); i += 1000) {
        std::vector<std::string> mget{"MGET"};
        const std::size_t end = std::min(keys.size(), i + 1000);
        mget.insert(mget.end(), keys.begin() + static_cast<std::ptrdiff_t>(i),
                    keys.begin() + static_cast<std::ptrdiff_t>(end));
        const std::vector<std::string> values = redis.command_list(mget, 30.0);
        for (std::size_t k = 0; k < values.size(); ++k) {
            const std::string id = keys[i + k].substr(prefix.size());
            try {
                s.results.emplace(id, broker::decode_result_record(values[k]));
            } catch (const std::exception&) {
                s.unreadable.push_back(id);
            }
        }
    }
    const std::vector<std::string> fields = redis.command_list({"HKEYS", broker::tasks_key}, 30.0);
    s.unfinished.insert(fields.begin(), fields.end());
    return s;
}

inline long payload_value(const std::string& payload) {
    const msgpack::object_handle h = msgpack::unpack(payload.data(), payload.size());
    return h.get().as<long>();
}

// Every breach found, one line each; empty when all promises held.
inline std::vector<std::string> durability_violations(const std::vector<seen_task>& seen,
                                                      const stored_state& stored) {
    std::vector<std::string> out;
    std::set<std::string> submitted;
    for (const seen_task& t : seen) {
        submitted.insert(t.id);
        const auto result = stored.results.find(t.id);
        const bool has_result = result != stored.results.end();
        switch (t.how) {
            case seen_task::end::none:
                out.push_back("task " + t.id + ": no terminal state");
                break;
            case seen_task::end::other_error:
                out.push_back("task " + t.id + ": accepted but ended in error: " + t.error);
                break;
            case seen_task::end::refused_unavailable:
                if (has_result) out.push_back("task " + t.id + ": refused, yet a result is stored");
                if (stored.unfinished.count(t.id) != 0) {
                    out.push_back("task " + t.id + ": refused, yet its record is stored");
                }
                break;
            case seen_task::end::value:
                if (t.value != t.expected) {
                    out.push_back("task " + t.id + ": value " + std::to_string(t.value) +
                                  ", expected " + std::to_string(t.expected));
                }
                if (!has_result) {
                    out.push_back("task " + t.id +
                                  ": the client has its value, Redis has no result");
                } else if (result->second.outcome.status != proto::task_status::ok ||
                           payload_value(result->second.outcome.payload) != t.value) {
                    out.push_back("task " + t.id + ": the stored result differs from the one told");
                }
                break;
        }
    }
    for (const auto& [id, r] : stored.results) {
        if (submitted.count(id) == 0) out.push_back("result stored for unknown id " + id);
    }
    for (const std::string& id : stored.unfinished) {
        out.push_back("task record left in Redis for " +
                      std::string(submitted.count(id) ? "" : "unknown ") + "id " + id);
    }
    for (const std::string& id : stored.unreadable) out.push_back("unreadable stored result " + id);
    return out;
}

// Counts of each ending, for the tests' own expectations and their logs.
inline std::map<seen_task::end, std::size_t> endings(const std::vector<seen_task>& seen) {
    std::map<seen_task::end, std::size_t> n;
    for (const seen_task& t : seen) ++n[t.how];
    return n;
}

}  // namespace shoal::testing
