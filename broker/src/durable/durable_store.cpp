#include "shoal/broker/durable/durable_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "shoal/broker/redis/redis_sync.hpp"
#include "shoal/proto/bounded_unpack.hpp"

namespace shoal::broker {

namespace {

// Writes each task unless its id is known: a stored result (the task is over: its record
// comes back), a stored task with the same body hash (pending) or another one (conflict).
// ARGV: the result key prefix, the tasks key, the fence key and this connection's fence, then
// (id hex, record) pairs. One answer per task: "N" stored now, "P" pending already, "C"
// conflict, or the stored result record. Or "LATE", and nothing written, when the fence is not
// ours: the script was sent on a connection the broker has given up on (Redis was stopped
// and runs what it had received on resuming) and its tasks were refused, so they must not be
// stored. Each connection sets its own fence first thing (durable_store::durable_store).
//
// The common case (no id known: new tasks from a live client) takes four calls per script,
// whatever its size: EXISTS over every result key, HMGET over every task field, and one HSET
// of them all. Only when some id is known does it go task by task.
constexpr std::string_view submit_script = R"lua(
local prefix, tasks = ARGV[1], ARGV[2]
if redis.call('GET', ARGV[3]) ~= ARGV[4] then return 'LATE' end
local out = {}
local results, fields, writes = {}, {}, {}
for i = 5, #ARGV, 2 do
  results[#results + 1] = prefix .. ARGV[i]
  fields[#fields + 1] = ARGV[i]
  writes[#writes + 1] = ARGV[i]
  writes[#writes + 1] = ARGV[i + 1]
end
if redis.call('EXISTS', unpack(results)) == 0 then
  local known = false
  for _, v in ipairs(redis.call('HMGET', tasks, unpack(fields))) do
    if v then known = true break end
  end
  if not known then
    redis.call('HSET', tasks, unpack(writes))
    for i = 1, #fields do out[i] = 'N' end
    return out
  end
end
for i = 5, #ARGV, 2 do
  local id, rec = ARGV[i], ARGV[i + 1]
  local head = string.sub(rec, 1, 9)
  local done = redis.call('GET', prefix .. id)
  if done then
    if string.sub(done, 1, 9) == head then out[#out + 1] = done else out[#out + 1] = 'C' end
  elseif redis.call('HSETNX', tasks, id, rec) == 1 then
    out[#out + 1] = 'N'
  else
    local old = redis.call('HGET', tasks, id)
    if string.sub(old, 1, 9) == head then out[#out + 1] = 'P' else out[#out + 1] = 'C' end
  end
end
return out
)lua";

constexpr std::string_view fence_key = "shoal:fence";
// Tasks per script call: Redis runs a script without serving anyone else meanwhile.
constexpr std::size_t tasks_per_script = 1000;

constexpr std::string_view result_prefix = "shoal:result:";
constexpr std::size_t max_results_per_pipeline = 10'000;
constexpr double result_retry_delay_s = 1.0;
constexpr std::size_t recovery_chunk = 1000;

std::uint32_t parse_attempt(const std::string& text) {
    std::uint32_t v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
}

bool hex_id(const std::string& text, proto::task_id& out) {
    const auto id = proto::task_id::from_hex(text);
    if (!id) return false;
    out = *id;
    return true;
}

}  // namespace

std::string result_key(const proto::task_id& id) {
    std::string key(result_prefix);
    key += id.to_hex();
    return key;
}

durable_store::durable_store(event_loop& loop, durable_options options)
    : loop_(loop),
      options_(std::move(options)),
      connection_(loop, redis_connection_options{options_.endpoint, options_.timeout_s}) {
    connection_.on_up = [this] {
        results_held_until_ = 0;
        flush();
        if (on_up) on_up();
    };
    // A fresh fence per connection, set before anything else it sends (see submit_script).
    connection_.on_handshake = [this](redis_pipeline& p) {
        fence_ = proto::task_id::random().to_hex();
        p.add("SET", fence_key, fence_);
    };
}

recovery durable_store::open() {
    redis_sync redis(options_.endpoint, options_.timeout_s);
    recovery out;
    out.warnings = durability_warnings(redis);

    std::unordered_map<proto::task_id, std::uint32_t, proto::task_id_hash> leases;
    {
        const redis_reply r = redis.command({"HGETALL", leases_key});
        if (r.is_error()) throw redis_error("HGETALL " + std::string(leases_key) + ": " + r.str);
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
            proto::task_id id;
            if (hex_id(r.elements[i].str, id)) leases[id] = parse_attempt(r.elements[i + 1].str);
        }
    }

    // Every task record, a chunk at a time; each checked for a stored result (a broker that
    // died between storing a result and deleting its task).
    std::string cursor = "0";
    std::vector<std::pair<std::string, std::string>> chunk;  // (id hex, record)
    const auto settle_chunk = [&] {
        if (chunk.empty()) return;
        redis_pipeline exists;
        for (const auto& [hex, record] : chunk) exists.add("EXISTS", std::string(result_prefix) + hex);
        const std::vector<redis_reply> found = redis.run(exists);
        redis_pipeline cleanup;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            const auto& [hex, record] = chunk[i];
            if (found[i].integer == 1) {
                cleanup.add("HDEL", tasks_key, hex);
                cleanup.add("HDEL", leases_key, hex);
                ++out.finished;
                continue;
            }
            try {
                recovered_task t;
                t.record = decode_task_record(record);
                if (t.record.task.id.to_hex() != hex) {
                    throw proto::decode_error(proto::decode_errc::bad_body, "its id is not its key");
                }
                if (const auto it = leases.find(t.record.task.id); it != leases.end()) {
                    t.leased_attempt = it->second;
                }
                out.tasks.push_back(std::move(t));
            } catch (const proto::decode_error& e) {
                ++out.unreadable;
                spdlog::error("shoal-broker: task record {} in Redis is unreadable ({}); left as it is",
                              hex, e.what());
            }
        }
        if (!cleanup.empty()) redis.run(cleanup);
        chunk.clear();
    };
    do {
        const redis_reply r =
            redis.command({"HSCAN", tasks_key, cursor, "COUNT", std::to_string(recovery_chunk)});
        if (r.is_error() || r.elements.size() != 2) {
            throw redis_error("HSCAN " + std::string(tasks_key) + ": " +
                              (r.is_error() ? r.str : "unexpected reply"));
        }
        cursor = r.elements[0].str;
        const auto& fields = r.elements[1].elements;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            chunk.emplace_back(fields[i].str, fields[i + 1].str);
        }
        if (chunk.size() >= recovery_chunk) settle_chunk();
    } while (cursor != "0");
    settle_chunk();
    // HSCAN may return a field twice; keep one of each, in submission order.
    std::sort(out.tasks.begin(), out.tasks.end(), [](const recovered_task& a, const recovered_task& b) {
        return a.record.seq < b.record.seq ||
               (a.record.seq == b.record.seq && a.record.task.id.to_hex() < b.record.task.id.to_hex());
    });
    out.tasks.erase(std::unique(out.tasks.begin(), out.tasks.end(),
                                [](const recovered_task& a, const recovered_task& b) {
                                    return a.record.task.id == b.record.task.id;
                                }),
                    out.tasks.end());
    return out;
}

void durable_store::start() { connection_.start(); }

void durable_store::stop() {
    retry_timer_.cancel();
    connection_.stop();
}

bool durable_store::write_tasks(const std::vector<std::pair<proto::task_id, std::string>>& records,
                                submit_callback done) {
    if (records.empty() || !connection_.is_up()) return false;
    flush_forgotten();  // before any write that could store one of them again
    redis_pipeline p;
    std::vector<std::size_t> sizes;  // tasks per script call
    for (std::size_t first = 0; first < records.size(); first += tasks_per_script) {
        const std::size_t n = std::min(tasks_per_script, records.size() - first);
        sizes.push_back(n);
        p.begin(3 + 4 + 2 * n);
        p.arg("EVAL");
        p.arg(submit_script);
        p.arg("0");
        p.arg(result_prefix);
        p.arg(tasks_key);
        p.arg(fence_key);
        p.arg(fence_);
        for (std::size_t i = first; i < first + n; ++i) {
            p.arg(records[i].first.to_hex());
            p.arg(records[i].second);
        }
    }
    return connection_.send(p, [sizes, done = std::move(done)](redis_batch_result&& r) {
        std::vector<submit_answer> answers;
        for (std::size_t call = 0; call < sizes.size(); ++call) {
            // Each script call stands alone: one may fail while the others stored their tasks.
            std::string failure;
            const redis_reply* reply = r.delivered ? &r.replies[call] : nullptr;
            if (reply == nullptr) {
                failure = r.failure;
            } else if (reply->is_error()) {
                failure = reply->str;
            } else if (reply->type == redis_reply::kind::string && reply->str == "LATE") {
                failure = "the write reached Redis after the broker gave up on it";
            } else if (reply->type != redis_reply::kind::array || reply->elements.size() != sizes[call]) {
                failure = "the submit script answered something unexpected";
            }
            for (std::size_t i = 0; i < sizes[call]; ++i) {
                submit_answer a;
                if (!failure.empty()) {
                    a.verdict = submit_answer::kind::not_stored;
                    a.failure = failure;
                    answers.push_back(std::move(a));
                    continue;
                }
                const redis_reply& e = reply->elements[i];
                if (e.str == "N") {
                    a.verdict = submit_answer::kind::stored;
                } else if (e.str == "P") {
                    a.verdict = submit_answer::kind::pending;
                } else if (e.str == "C") {
                    a.verdict = submit_answer::kind::conflict;
                } else {
                    a.verdict = submit_answer::kind::finished;
                    try {
                        a.outcome = decode_result_record(e.str).outcome;
                    } catch (const proto::decode_error& err) {
                        spdlog::error("shoal-broker: a stored result is unreadable: {}", err.what());
                    }
                }
                answers.push_back(std::move(a));
            }
        }
        done(answers);
    });
}

void durable_store::forget_tasks(const std::vector<proto::task_id>& ids) {
    forgotten_.insert(forgotten_.end(), ids.begin(), ids.end());
}

void durable_store::flush_forgotten() {
    if (forgotten_.empty()) return;
    auto ids = std::make_shared<std::vector<proto::task_id>>(std::move(forgotten_));
    forgotten_.clear();
    redis_pipeline p;
    p.begin(2 + ids->size());
    p.arg("HDEL");
    p.arg(tasks_key);
    for (const proto::task_id& id : *ids) p.arg(id.to_hex());
    const bool sent = connection_.send(p, [this, ids](redis_batch_result&& r) {
        if (r.delivered && !r.replies.front().is_error()) return;
        // Still unsure: kept, sent again before the next write.
        forgotten_.insert(forgotten_.begin(), ids->begin(), ids->end());
    });
    if (!sent) forgotten_.insert(forgotten_.begin(), ids->begin(), ids->end());
}

void durable_store::stage_lease(const proto::task_id& id, std::uint32_t attempt) {
    staged_leases_.emplace_back(id, attempt);
}

void durable_store::stage_result(const proto::task_id& id, std::string record) {
    staged_results_.push_back(staged_result{id, std::move(record)});
}

void durable_store::flush() {
    if (!connection_.is_up()) {
        staged_leases_.clear();  // best effort: a lost lease costs a recovered task one attempt
        return;
    }
    flush_forgotten();
    flush_leases();
    flush_results();
}

void durable_store::flush_leases() {
    if (staged_leases_.empty()) return;
    redis_pipeline p;
    p.begin(2 + 2 * staged_leases_.size());
    p.arg("HSET");
    p.arg(leases_key);
    for (const auto& [id, attempt] : staged_leases_) {
        p.arg(id.to_hex());
        p.arg(std::uint64_t{attempt});
    }
    staged_leases_.clear();
    connection_.send(p, [](redis_batch_result&& r) {
        if (!r.delivered || r.replies.front().is_error()) {
            spdlog::debug("shoal-broker: leases not recorded: {}",
                          r.delivered ? r.replies.front().str : r.failure);
        }
    });
}

void durable_store::flush_results() {
    while (!staged_results_.empty() && loop_.time() >= results_held_until_) {
        const std::size_t n = std::min(staged_results_.size(), max_results_per_pipeline);
        auto batch = std::make_shared<std::vector<staged_result>>();
        batch->reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            batch->push_back(std::move(staged_results_.front()));
            staged_results_.pop_front();
        }
        redis_pipeline p;
        // An absolute expiry (PXAT): Redis rewrites a relative PX into one for its AOF anyway.
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        const std::string expires_at =
            std::to_string(static_cast<std::uint64_t>(now_ms.count()) + result_ttl_ms());
        for (const staged_result& s : *batch) p.add("SET", result_key(s.id), s.record, "NX", "PXAT", expires_at);
        // The task and its lease go in the same pipeline, after the result: a broker that dies
        // in between leaves a task whose result exists, which recovery cleans up.
        for (const char* key : {tasks_key, leases_key}) {
            p.begin(2 + batch->size());
            p.arg("HDEL");
            p.arg(key);
            for (const staged_result& s : *batch) p.arg(s.id.to_hex());
        }
        // Not stored: back to the front, in their order, for the next attempt.
        const auto put_back = [this, batch] {
            for (auto it = batch->rbegin(); it != batch->rend(); ++it) {
                staged_results_.push_front(std::move(*it));
            }
        };
        const auto retry_later = [this, batch, put_back](const std::string& why) {
            spdlog::warn("shoal-broker: {} results not stored in Redis yet ({}); retrying",
                         batch->size(), why);
            put_back();
            results_held_until_ = loop_.time() + result_retry_delay_s;
            retry_timer_ = loop_.call_later(result_retry_delay_s, [this] { flush(); });
        };
        sending_results_ += batch->size();
        const bool sent = connection_.send(p, [this, batch, retry_later](redis_batch_result&& r) {
            sending_results_ -= batch->size();
            if (!r.delivered) return retry_later(r.failure);
            for (const redis_reply& reply : r.replies) {
                if (reply.is_error()) return retry_later(reply.str);
            }
            if (on_results_stored) {
                std::vector<proto::task_id> ids;
                ids.reserve(batch->size());
                for (const staged_result& s : *batch) ids.push_back(s.id);
                on_results_stored(ids);
            }
        });
        if (!sent) {
            sending_results_ -= batch->size();
            put_back();
            return;
        }
    }
}

bool durable_store::fetch_results(const std::vector<proto::task_id>& ids, fetch_callback done) {
    if (ids.empty() || !connection_.is_up()) return false;
    redis_pipeline p;
    for (const proto::task_id& id : ids) p.add("GET", result_key(id));
    return connection_.send(p, [done = std::move(done)](redis_batch_result&& r) {
        std::vector<std::optional<proto::outcome>> results;
        if (!r.delivered) return done(false, results);
        results.reserve(r.replies.size());
        for (const redis_reply& reply : r.replies) {
            std::optional<proto::outcome> o;
            if (reply.type == redis_reply::kind::string) {
                try {
                    o = decode_result_record(reply.str).outcome;
                } catch (const proto::decode_error& e) {
                    spdlog::error("shoal-broker: a stored result is unreadable: {}", e.what());
                }
            } else if (reply.is_error()) {
                return done(false, results);
            }
            results.push_back(std::move(o));
        }
        done(true, results);
    });
}

}  // namespace shoal::broker
