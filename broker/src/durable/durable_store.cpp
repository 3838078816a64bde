#include "durable/durable_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "redis/redis_sync.hpp"
#include "shoal/proto/bounded_unpack.hpp"

namespace shoal::broker {

namespace {

// Writes each task unless its id is known: a stored result (the task is over: its record
// comes back), a stored task with the same body hash (pending) or another one (conflict), or
// a finished task the dedup window remembers (its result expired: "E", or a conflict).
// ARGV: the result key prefix, the tasks key, the fence key and this connection's fence, the
// seen key prefix, then (id hex, record) pairs. One answer per task: "N" stored now, "P"
// pending already, "C" conflict, "E" ran already, or the stored result record. Or "LATE", and
// nothing written, when the fence is not ours: the script was sent on a connection the broker
// has given up on (Redis was stopped and runs what it had received on resuming) and its tasks
// were refused, so they must not be stored. Each connection sets its own fence first thing
// (durable_store::durable_store).
//
// The common case (no id known: new tasks from a live client) takes four calls per script,
// whatever its size: EXISTS over every result and seen key, HMGET over every task field, and
// one HSET of them all. Only when some id is known does it go task by task.
constexpr std::string_view submit_script = R"lua(
local prefix, tasks, seen = ARGV[1], ARGV[2], ARGV[5]
if redis.call('GET', ARGV[3]) ~= ARGV[4] then return 'LATE' end
local out = {}
local known_keys, fields, writes = {}, {}, {}
for i = 6, #ARGV, 2 do
  known_keys[#known_keys + 1] = prefix .. ARGV[i]
  known_keys[#known_keys + 1] = seen .. ARGV[i]
  fields[#fields + 1] = ARGV[i]
  writes[#writes + 1] = ARGV[i]
  writes[#writes + 1] = ARGV[i + 1]
end
if redis.call('EXISTS', unpack(known_keys)) == 0 then
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
for i = 6, #ARGV, 2 do
  local id, rec = ARGV[i], ARGV[i + 1]
  local head = string.sub(rec, 1, 9)
  local done = redis.call('GET', prefix .. id)
  local ran = (not done) and redis.call('GET', seen .. id)
  if done then
    if string.sub(done, 1, 9) == head then out[#out + 1] = done else out[#out + 1] = 'C' end
  elseif ran then
    if ran == head then out[#out + 1] = 'E' else out[#out + 1] = 'C' end
  elseif redis.call('HSETNX', tasks, id, rec) == 1 then
    out[#out + 1] = 'N'
  else
    local old = redis.call('HGET', tasks, id)
    if string.sub(old, 1, 9) == head then out[#out + 1] = 'P' else out[#out + 1] = 'C' end
  end
end
return out
)lua";

constexpr std::string_view connection_fence_key = "shoal:fence";
// Tasks per script call: Redis runs a script without serving anyone else meanwhile.
constexpr std::size_t tasks_per_script = 1000;

constexpr std::string_view result_prefix = "shoal:result:";
constexpr std::string_view seen_prefix = "shoal:seen:";
constexpr std::size_t max_results_per_pipeline = 10'000;
constexpr double result_retry_delay_s = 1.0;
constexpr std::size_t recovery_chunk = 1000;

bool hex_id(const std::string& text, proto::task_id& out) {
    const auto id = proto::task_id::from_hex(text);
    if (!id) return false;
    out = *id;
    return true;
}

// One command `name key items...` per max_command_args arguments: each item adds `per_item`
// arguments through add(batch, item).
template <class Items, class Add>
void add_variadic(write_batch& batch, std::string_view name, std::string_view key,
                  const Items& items, std::size_t per_item, Add add) {
    const std::size_t most = (max_command_args - 2) / per_item;
    auto it = std::begin(items);
    std::size_t left = std::size(items);
    while (left > 0) {
        const std::size_t n = std::min(left, most);
        batch.begin(2 + n * per_item);
        batch.arg(name);
        batch.arg(key);
        for (std::size_t i = 0; i < n; ++i, ++it) add(batch, *it);
        left -= n;
    }
}

}  // namespace

std::string result_key(const proto::task_id& id) {
    std::string key(result_prefix);
    key += id.to_hex();
    return key;
}

std::string seen_key(const proto::task_id& id) {
    std::string key(seen_prefix);
    key += id.to_hex();
    return key;
}

std::string encode_progress(const task_progress& p) {
    // Only the attempt while nothing else happened: the value records of older brokers.
    if (p.deaths == 0 && p.retries == 0) return std::to_string(p.attempt);
    return fmt::format("{},{},{}", p.attempt, p.deaths, p.retries);
}

task_progress decode_progress(std::string_view text) {
    task_progress p;
    std::array<std::uint64_t, 3> v{0, 0, 0};
    std::size_t field = 0;
    const char* at = text.data();
    const char* end = text.data() + text.size();
    while (at < end && field < v.size()) {
        const auto [next, ec] = std::from_chars(at, end, v[field]);
        if (ec != std::errc{}) break;
        ++field;
        at = next < end && *next == ',' ? next + 1 : end;
    }
    p.attempt = static_cast<std::uint32_t>(std::min<std::uint64_t>(v[0], UINT32_MAX));
    p.deaths = static_cast<std::uint16_t>(std::min<std::uint64_t>(v[1], UINT16_MAX));
    p.retries = static_cast<std::uint16_t>(std::min<std::uint64_t>(v[2], UINT16_MAX));
    return p;
}

std::string encode_dead(const dead_record& d) {
    return fmt::format("{},{},{}", d.deaths, d.at_ms, d.reason);
}

std::optional<dead_record> decode_dead(std::string_view text) {
    dead_record d;
    const auto first = text.find(',');
    const auto second = first == std::string_view::npos ? first : text.find(',', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    std::uint64_t deaths = 0;
    if (std::from_chars(text.data(), text.data() + first, deaths).ec != std::errc{})
        return std::nullopt;
    if (std::from_chars(text.data() + first + 1, text.data() + second, d.at_ms).ec != std::errc{}) {
        return std::nullopt;
    }
    d.deaths = static_cast<std::uint16_t>(std::min<std::uint64_t>(deaths, UINT16_MAX));
    d.reason = std::string(text.substr(second + 1));
    return d;
}

durable_store::durable_store(event_loop& loop, durable_options options)
    : loop_(loop),
      options_(std::move(options)),
      connection_(loop, redis_connection_options{options_.endpoint, options_.timeout_s}),
      state_{{{leases_key, {}}, {held_key, {}}, {dead_key, {}}}} {
    connection_.on_up = [this] {
        results_held_until_ = 0;
        flush();
        if (on_up) on_up();
    };
    if (options_.fence) {
        // An active broker's lease: the submit script checks it as every other write does.
        fence_key_ = options_.fence->key;
        fence_ = options_.fence->token;
        return;
    }
    // A fresh fence per connection, set before anything else it sends (see submit_script).
    fence_key_ = connection_fence_key;
    connection_.on_handshake = [this](redis_pipeline& p) {
        fence_ = proto::task_id::random().to_hex();
        p.add("SET", connection_fence_key, fence_);
    };
}

bool durable_store::send_write(write_batch& batch, redis_connection::batch_callback done,
                               bool replicated) {
    redis_pipeline p = batch.finish();
    replicated = replicated && options_.wait_replicas > 0;
    if (replicated) add_wait(p);
    if (!options_.fence && !replicated) return connection_.send(p, std::move(done));
    return connection_.send(p, [this, replicated, done = std::move(done)](redis_batch_result&& r) {
        const bool fenced =
            r.delivered && std::any_of(r.replies.begin(), r.replies.end(),
                                       [](const redis_reply& x) { return is_fenced(x); });
        if (replicated && !fenced) {
            if (std::string why = short_of_replicas(r); !why.empty()) {
                r.delivered = false;
                r.failure = std::move(why);
            }
        }
        done(std::move(r));
        if (fenced && on_fenced) on_fenced();
    });
}

void durable_store::add_wait(redis_pipeline& p) const {
    if (options_.wait_replicas == 0) return;
    p.add("WAIT", std::to_string(options_.wait_replicas), std::to_string(options_.wait_timeout_ms));
}

std::string durable_store::short_of_replicas(const redis_batch_result& r) const {
    if (options_.wait_replicas == 0 || !r.delivered || r.replies.empty()) return {};
    const redis_reply& wait = r.replies.back();
    if (wait.is_error()) return "WAIT: " + wait.str;
    if (wait.type == redis_reply::kind::integer && wait.integer >= options_.wait_replicas)
        return {};
    return fmt::format("written on the primary but confirmed by {} of {} replicas within {} ms",
                       wait.integer, options_.wait_replicas, options_.wait_timeout_ms);
}

recovery durable_store::open() {
    redis_sync redis(options_.endpoint, options_.timeout_s);
    recovery out;
    out.warnings = durability_warnings(redis);
    if (options_.wait_replicas > 0) {
        // ROLE on a primary: ["master", offset, [[ip, port, offset], ...]].
        const redis_reply role = redis.command({"ROLE"});
        const std::size_t replicas =
            role.elements.size() >= 3 ? role.elements[2].elements.size() : 0;
        if (replicas < options_.wait_replicas) {
            out.warnings.push_back(fmt::format(
                "Redis has {} replicas connected and redis_wait_replicas is {}: tasks are refused "
                "(unavailable) and results wait until enough replicas confirm them",
                replicas, options_.wait_replicas));
        }
    }

    // The state hashes, each read whole: they hold only tasks still pending.
    const auto read_hash = [&](const char* key, auto&& each) {
        const redis_reply r = redis.command({"HGETALL", key});
        if (r.is_error()) throw redis_error("HGETALL " + std::string(key) + ": " + r.str);
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
            proto::task_id id;
            if (hex_id(r.elements[i].str, id)) each(id, r.elements[i + 1].str);
        }
    };
    std::unordered_map<proto::task_id, task_progress, proto::task_id_hash> leases;
    std::unordered_map<proto::task_id, std::uint64_t, proto::task_id_hash> held;
    std::unordered_map<proto::task_id, dead_record, proto::task_id_hash> dead;
    read_hash(leases_key, [&](const proto::task_id& id, const std::string& v) {
        leases[id] = decode_progress(v);
    });
    read_hash(held_key, [&](const proto::task_id& id, const std::string& v) {
        held[id] = std::strtoull(v.c_str(), nullptr, 10);
    });
    read_hash(dead_key, [&](const proto::task_id& id, const std::string& v) {
        if (auto d = decode_dead(v)) dead[id] = std::move(*d);
    });
    {
        const redis_reply r = redis.command({"HGETALL", periodic_key});
        if (r.is_error()) throw redis_error(std::string("HGETALL ") + periodic_key + ": " + r.str);
        for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
            out.periodic.emplace_back(r.elements[i].str, r.elements[i + 1].str);
        }
    }

    // Every task record, a chunk at a time; each checked for a stored result (a broker that
    // died between storing a result and deleting its task).
    std::string cursor = "0";
    std::vector<std::pair<std::string, std::string>> chunk;  // (id hex, record)
    const auto settle_chunk = [&] {
        if (chunk.empty()) return;
        redis_pipeline exists;
        for (const auto& [hex, record] : chunk)
            exists.add("EXISTS", std::string(result_prefix) + hex);
        const std::vector<redis_reply> found = redis.run(exists);
        redis_pipeline cleanup;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            const auto& [hex, record] = chunk[i];
            if (found[i].integer == 1) {
                for (const char* key : {tasks_key, leases_key, held_key, dead_key})
                    cleanup.add("HDEL", key, hex);
                ++out.finished;
                continue;
            }
            try {
                recovered_task t;
                t.record = decode_task_record(record);
                if (t.record.task.id.to_hex() != hex) {
                    throw proto::decode_error(proto::decode_errc::bad_body,
                                              "its id is not its key");
                }
                const proto::task_id& id = t.record.task.id;
                if (const auto it = leases.find(id); it != leases.end()) t.progress = it->second;
                if (const auto it = held.find(id); it != held.end()) t.held_until_ms = it->second;
                if (const auto it = dead.find(id); it != dead.end()) t.dead = it->second;
                out.tasks.push_back(std::move(t));
            } catch (const proto::decode_error& e) {
                ++out.unreadable;
                spdlog::error(
                    "shoal-broker: task record {} in Redis is unreadable ({}); left as it is", hex,
                    e.what());
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
    std::sort(out.tasks.begin(), out.tasks.end(),
              [](const recovered_task& a, const recovered_task& b) {
                  return a.record.seq < b.record.seq ||
                         (a.record.seq == b.record.seq &&
                          a.record.task.id.to_hex() < b.record.task.id.to_hex());
              });
    out.tasks.erase(std::unique(out.tasks.begin(), out.tasks.end(),
                                [](const recovered_task& a, const recovered_task& b) {
                                    return a.record.task.id == b.record.task.id;
                                }),
                    out.tasks.end());
    read_input_results(redis, out);
    return out;
}

void durable_store::read_input_results(redis_sync& redis, recovery& out) const {
    // A waiting task's inputs that finished before the restart are no longer tasks here:
    // their results are read back so that it still gets them.
    std::unordered_set<proto::task_id, proto::task_id_hash> pending;
    for (const recovered_task& t : out.tasks) pending.insert(t.record.task.id);
    std::vector<proto::task_id> wanted;
    std::unordered_set<proto::task_id, proto::task_id_hash> asked;
    for (const recovered_task& t : out.tasks) {
        for (const proto::task_input& in : t.record.task.options.inputs) {
            for (const proto::task_id& id : in.ids) {
                if (!pending.contains(id) && asked.insert(id).second) wanted.push_back(id);
            }
        }
    }
    for (std::size_t first = 0; first < wanted.size(); first += recovery_chunk) {
        const std::size_t n = std::min(recovery_chunk, wanted.size() - first);
        redis_pipeline gets;
        for (std::size_t i = 0; i < n; ++i) gets.add("GET", result_key(wanted[first + i]));
        const std::vector<redis_reply> found = redis.run(gets);
        for (std::size_t i = 0; i < n && i < found.size(); ++i) {
            if (found[i].is_error() || found[i].type != redis_reply::kind::string) continue;
            try {
                out.input_results.emplace(wanted[first + i], decode_result_record(found[i].str));
            } catch (const proto::decode_error& e) {
                spdlog::error("shoal-broker: result record {} in Redis is unreadable ({})",
                              wanted[first + i].to_hex(), e.what());
            }
        }
    }
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
        p.begin(3 + 5 + 2 * n);
        p.arg("EVAL");
        p.arg(submit_script);
        p.arg("0");
        p.arg(result_prefix);
        p.arg(tasks_key);
        p.arg(fence_key_);
        p.arg(fence_);
        p.arg(seen_prefix);
        for (std::size_t i = first; i < first + n; ++i) {
            p.arg(records[i].first.to_hex());
            p.arg(records[i].second);
        }
    }
    add_wait(p);
    return connection_.send(p, [this, sizes, done = std::move(done)](redis_batch_result&& r) {
        bool fenced = false;
        // Tasks stored now but not on enough replicas are refused (and undone by the caller).
        const std::string unreplicated = short_of_replicas(r);
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
                failure = options_.fence ? "this broker no longer holds the lease"
                                         : "the write reached Redis after the broker gave up on it";
                fenced = options_.fence.has_value();
            } else if (reply->type != redis_reply::kind::array ||
                       reply->elements.size() != sizes[call]) {
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
                if (e.str == "N" && !unreplicated.empty()) {
                    a.verdict = submit_answer::kind::not_stored;
                    a.failure = unreplicated;
                } else if (e.str == "N") {
                    a.verdict = submit_answer::kind::stored;
                } else if (e.str == "P") {
                    a.verdict = submit_answer::kind::pending;
                } else if (e.str == "C") {
                    a.verdict = submit_answer::kind::conflict;
                } else if (e.str == "E") {
                    a.verdict = submit_answer::kind::expired;
                } else {
                    a.verdict = submit_answer::kind::finished;
                    try {
                        a.outcome = decode_result_record(e.str).outcome;
                    } catch (const proto::decode_error& err) {
                        spdlog::error("shoal-broker: a stored result is unreadable: {}",
                                      err.what());
                    }
                }
                answers.push_back(std::move(a));
            }
        }
        done(answers);
        if (fenced && on_fenced) on_fenced();
    });
}

void durable_store::forget_tasks(const std::vector<proto::task_id>& ids) {
    forgotten_.insert(forgotten_.end(), ids.begin(), ids.end());
}

void durable_store::flush_forgotten() {
    if (forgotten_.empty()) return;
    auto ids = std::make_shared<std::vector<proto::task_id>>(std::move(forgotten_));
    forgotten_.clear();
    write_batch p(options_.fence);
    add_variadic(p, "HDEL", tasks_key, *ids, 1,
                 [](write_batch& b, const proto::task_id& id) { b.arg(id.to_hex()); });
    const bool sent = send_write(p, [this, ids](redis_batch_result&& r) {
        bool ok = r.delivered;
        for (const redis_reply& reply : r.replies) ok = ok && !reply.is_error();
        if (ok) return;
        // Still unsure: kept, sent again before the next write.
        forgotten_.insert(forgotten_.begin(), ids->begin(), ids->end());
    });
    if (!sent) forgotten_.insert(forgotten_.begin(), ids->begin(), ids->end());
}

void durable_store::stage_lease(const proto::task_id& id, const task_progress& progress) {
    state_[0].fields[id] = encode_progress(progress);
}

void durable_store::stage_hold(const proto::task_id& id, std::uint64_t until_ms) {
    state_[1].fields[id] = std::to_string(until_ms);
}

void durable_store::stage_release(const proto::task_id& id) { state_[1].fields[id] = std::nullopt; }

void durable_store::stage_dead(const proto::task_id& id, const dead_record& dead) {
    state_[2].fields[id] = encode_dead(dead);
}

void durable_store::stage_undead(const proto::task_id& id) { state_[2].fields[id] = std::nullopt; }

void durable_store::stage_periodic(const std::string& name, std::optional<std::string> record) {
    periodic_[name] = std::move(record);
}

std::size_t durable_store::unwritten_state() const noexcept {
    std::size_t n = periodic_.size();
    for (const staged_hash& h : state_) n += h.fields.size();
    return n;
}

void durable_store::stage_result(const proto::task_id& id, std::string record) {
    staged_results_.push_back(staged_result{id, std::move(record)});
}

void durable_store::flush() {
    // While Redis is down what is staged waits (state by id, so it does not grow with time).
    if (!connection_.is_up()) return;
    flush_forgotten();
    flush_state();
    flush_results();
}

namespace {

std::string field_name(const proto::task_id& id) { return id.to_hex(); }
const std::string& field_name(const std::string& name) { return name; }

}  // namespace

template <class Fields>
void durable_store::flush_hash(const char* key, Fields& fields) {
    if (fields.empty()) return;
    auto sent = std::make_shared<Fields>(std::move(fields));
    fields.clear();
    std::size_t sets = 0;
    for (const auto& [field, value] : *sent) sets += value ? 1 : 0;
    const std::size_t deletes = sent->size() - sets;
    write_batch p(options_.fence);
    std::vector<const typename Fields::value_type*> to_set;
    std::vector<const typename Fields::value_type*> to_delete;
    to_set.reserve(sets);
    to_delete.reserve(deletes);
    for (const auto& entry : *sent) (entry.second ? to_set : to_delete).push_back(&entry);
    add_variadic(p, "HSET", key, to_set, 2, [](write_batch& b, const auto* entry) {
        b.arg(field_name(entry->first));
        b.arg(*entry->second);
    });
    add_variadic(p, "HDEL", key, to_delete, 1,
                 [](write_batch& b, const auto* entry) { b.arg(field_name(entry->first)); });
    // Not written: kept for the next flush, unless something newer was staged meanwhile.
    const auto keep = [sent, &fields] {
        for (auto& [field, value] : *sent) fields.try_emplace(field, std::move(value));
    };
    const bool queued = send_write(p, [keep](redis_batch_result&& r) {
        bool ok = r.delivered;
        for (const redis_reply& reply : r.replies) ok = ok && !reply.is_error();
        if (!ok) keep();
    });
    if (!queued) keep();
}

void durable_store::flush_state() {
    for (staged_hash& hash : state_) flush_hash(hash.key, hash.fields);
    flush_hash(periodic_key, periodic_);
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
        write_batch p(options_.fence);
        // A relative expiry (PX): only the steady passing of time ends a result, whatever the
        // wall clock does (Redis's own clock counts it down).
        const std::string ttl_ms = std::to_string(result_ttl_ms());
        for (const staged_result& s : *batch)
            p.add("SET", result_key(s.id), s.record, "NX", "PX", ttl_ms);
        // A dedup window longer than the result's life: the record's header outlives it.
        if (options_.dedup_window_s > options_.result_ttl_s) {
            const std::string window_ms = std::to_string(options_.dedup_window_s * 1000);
            for (const staged_result& s : *batch) {
                p.add("SET", seen_key(s.id), s.record.substr(0, record_header_bytes), "PX",
                      window_ms);
            }
        }
        // The task and its state go in the same pipeline, after the result: a broker that dies
        // in between leaves a task whose result exists, which recovery cleans up.
        for (const char* key : {tasks_key, leases_key, held_key, dead_key}) {
            add_variadic(p, "HDEL", key, *batch, 1,
                         [](write_batch& b, const staged_result& s) { b.arg(s.id.to_hex()); });
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
        const bool sent = send_write(
            p,
            [this, batch, retry_later](redis_batch_result&& r) {
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
            },
            true);
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
        std::vector<std::optional<result_record>> results;
        if (!r.delivered) return done(false, results);
        results.reserve(r.replies.size());
        for (const redis_reply& reply : r.replies) {
            std::optional<result_record> o;
            if (reply.type == redis_reply::kind::string) {
                try {
                    o = decode_result_record(reply.str);
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
