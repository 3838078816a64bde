#include "shoal/dashboard/task_history.hpp"

#include <algorithm>

namespace shoal::dashboard {

namespace {

constexpr std::array<std::string_view, task_state_count> state_names{
    "sent",   "received", "started",  "retrying", "succeeded",
    "failed", "revoked",  "rejected", "expired",  "dead",
};

// The id as 32 lower-case hex digits, without allocating.
void hex_of(const proto::task_id& id, char (&out)[32]) {
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < id.bytes.size(); ++i) {
        out[2 * i] = digits[id.bytes[i] >> 4];
        out[2 * i + 1] = digits[id.bytes[i] & 0xf];
    }
}

std::uint32_t narrow(std::uint64_t n) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, UINT32_MAX));
}

}  // namespace

std::string_view to_string(task_state s) noexcept {
    return state_names[static_cast<std::size_t>(s)];
}

std::optional<task_state> parse_task_state(std::string_view text) noexcept {
    for (std::size_t i = 0; i < state_names.size(); ++i) {
        if (state_names[i] == text) return static_cast<task_state>(i);
    }
    return std::nullopt;
}

bool is_finished(task_state s) noexcept {
    switch (s) {
        case task_state::sent:
        case task_state::received:
        case task_state::started:
        case task_state::retrying:
            return false;
        default:
            return true;
    }
}

task_history::task_history(std::size_t max_tasks, string_pool& strings)
    : max_tasks_(std::max<std::size_t>(max_tasks, 1)), strings_(strings) {}

const task_record* task_history::find(const proto::task_id& id) const {
    const auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

task_record& task_history::find_or_add(const proto::task_id& id) {
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
    while (by_id_.size() >= max_tasks_) evict_one();
    auto [it, added] = by_id_.try_emplace(id);
    task_record& r = it->second;
    r.id = id;
    r.seq = next_seq_++;
    by_seq_.emplace(r.seq, &r);
    ++state_counts_[static_cast<std::size_t>(r.state)];
    return r;
}

void task_history::evict_one() {
    if (by_seq_.empty()) return;
    const std::uint64_t seq = finished_.empty() ? by_seq_.begin()->first : *finished_.begin();
    const auto it = by_seq_.find(seq);
    if (it == by_seq_.end()) {  // cannot happen: the two indexes agree
        finished_.erase(seq);
        return;
    }
    const task_record* r = it->second;
    --state_counts_[static_cast<std::size_t>(r->state)];
    finished_.erase(seq);
    const proto::task_id id = r->id;
    by_seq_.erase(it);
    by_id_.erase(id);
    ++evicted_;
}

void task_history::set_state(task_record& r, task_state s, std::uint64_t order) {
    if (r.events > 0 && order < r.state_order) return;  // an older event: timings only
    r.state_order = order;
    if (r.state == s && r.events > 0) return;
    --state_counts_[static_cast<std::size_t>(r.state)];
    ++state_counts_[static_cast<std::size_t>(s)];
    r.state = s;
    if (is_finished(s)) {
        finished_.insert(r.seq);
    } else {
        finished_.erase(r.seq);
    }
}

attempt_record& task_history::attempt_entry(task_record& r, std::uint32_t number) {
    if (number == 0) number = std::max<std::uint32_t>(r.attempts, 1);
    for (attempt_record& a : r.attempt_log) {
        if (a.number == number) return a;
    }
    attempt_record fresh;
    fresh.number = number;
    fresh.outcome = "running";
    const auto at = std::find_if(r.attempt_log.begin(), r.attempt_log.end(),
                                 [&](const attempt_record& a) { return a.number > number; });
    auto it = r.attempt_log.insert(at, std::move(fresh));
    if (r.attempt_log.size() > max_attempt_log) {
        // The latest are kept: the first goes (unless it is the one just added).
        if (it == r.attempt_log.begin()) {
            r.attempt_log.erase(r.attempt_log.begin() + 1);
        } else {
            r.attempt_log.erase(r.attempt_log.begin());
            --it;
        }
    }
    return *it;
}

void task_history::apply(const event_fields& e, std::uint64_t order) {
    if (!e.type.starts_with("task-")) return;
    const auto id = proto::task_id::from_hex(e.uuid);
    if (!id) return;
    std::optional<task_state> state;
    if (e.type == "task-sent") {
        state = task_state::sent;
    } else if (e.type == "task-received") {
        state = task_state::received;
    } else if (e.type == "task-started") {
        state = task_state::started;
    } else if (e.type == "task-succeeded") {
        state = task_state::succeeded;
    } else if (e.type == "task-failed") {
        state = e.exception_type == "dead_letter" ? task_state::dead : task_state::failed;
    } else if (e.type == "task-retried") {
        state = task_state::retrying;
    } else if (e.type == "task-revoked") {
        state = task_state::revoked;
    } else if (e.type == "task-rejected") {
        state = task_state::rejected;
    } else if (e.type == "task-expired") {
        state = task_state::expired;
    } else if (e.type == "task-dead-lettered") {
        state = task_state::dead;
    } else {
        return;  // a task event of a later Shoal: not ours to guess
    }
    task_record& r = find_or_add(*id);
    if (!e.name.empty()) r.name = strings_.intern(e.name);
    const pooled_string host = e.hostname.empty() ? no_string : strings_.intern(e.hostname);
    const std::uint32_t attempt = e.attempt ? narrow(*e.attempt) : 0;
    auto finish = [&](std::string_view outcome) {
        if (r.finished == 0 || order >= r.state_order) r.finished = e.timestamp;
        attempt_record& a = attempt_entry(r, 0);
        if (a.ended == 0) a.ended = e.timestamp;
        if (a.hostname == no_string) a.hostname = host;
        if (a.outcome == "running") a.outcome = std::string(outcome);
        if (host != no_string) r.hostname = host;
    };

    switch (*state) {
        case task_state::sent:
            if (!e.queue.empty()) r.queue = strings_.intern(e.queue);
            r.client = e.client;
            r.sent = e.timestamp;
            if (e.args) r.args = e.args;
            if (e.args_bytes) r.args_bytes = e.args_bytes;
            if (e.priority) r.priority = e.priority;
            if (e.eta) r.eta = e.eta;
            if (e.countdown) r.countdown = e.countdown;
            if (e.expires) r.expires = e.expires;
            break;
        case task_state::received:
        case task_state::started: {
            const std::uint32_t n = attempt == 0 ? std::max<std::uint32_t>(r.attempts, 1) : attempt;
            attempt_record& a = attempt_entry(r, n);
            if (host != no_string) a.hostname = host;
            (*state == task_state::received ? a.received : a.started) = e.timestamp;
            if (e.retries) r.retries = std::max(r.retries, narrow(*e.retries));
            if (n >= r.attempts) {
                // A new attempt (not a late word of one that already ended): the last
                // attempt's end is not this one's.
                if (n > r.attempts && (r.events == 0 || order >= r.state_order)) {
                    r.started = 0;
                    r.finished = 0;
                    r.runtime.reset();
                    r.reason.clear();  // the last attempt's: its attempt_log entry keeps it
                }
                r.attempts = n;
                if (*state == task_state::received) {
                    r.received = e.timestamp;
                } else {
                    r.started = e.timestamp;
                }
                if (host != no_string) r.hostname = host;
            }
            break;
        }
        case task_state::succeeded:
            if (e.result) r.result = e.result;
            if (e.result_bytes) r.result_bytes = e.result_bytes;
            if (e.runtime) r.runtime = e.runtime;
            finish("succeeded");
            break;
        case task_state::failed:
        case task_state::retrying: {
            r.exception = e.exception;
            r.exception_type = e.exception_type;
            r.traceback = e.traceback;
            if (e.runtime) r.runtime = e.runtime;
            if (*state == task_state::retrying) {
                if (e.retries) r.retries = std::max(r.retries, narrow(*e.retries));
                attempt_record& a = attempt_entry(r, 0);
                if (a.ended == 0) a.ended = e.timestamp;
                if (a.hostname == no_string) a.hostname = host;
                a.outcome = "retried";
                a.exception = e.exception;
                if (host != no_string) r.hostname = host;
            } else {
                r.lost = e.lost;
                finish(e.lost ? "lost" : "failed");
                attempt_entry(r, 0).exception = e.exception;
            }
            break;
        }
        case task_state::revoked:
            r.reason = e.reason;
            r.terminated = e.terminated;
            finish("revoked");
            break;
        case task_state::rejected:
            r.reason = e.message.empty() ? e.reason : e.reason + ": " + e.message;
            if (r.finished == 0 || order >= r.state_order) r.finished = e.timestamp;
            break;
        case task_state::expired:
            r.reason = e.reason;
            if (r.finished == 0 || order >= r.state_order) r.finished = e.timestamp;
            break;
        case task_state::dead:
            r.reason = e.reason.empty() ? e.exception : e.reason;
            if (e.deaths) r.deaths = narrow(*e.deaths);
            finish("lost");
            if (attempt_record& a = attempt_entry(r, 0); a.exception.empty())
                a.exception = r.reason;
            break;
    }
    set_state(r, *state, order);
    ++r.events;
}

bool task_history::matches(const task_record& r, const task_filter& f) const {
    if (!f.states.empty() &&
        std::find(f.states.begin(), f.states.end(), r.state) == f.states.end()) {
        return false;
    }
    if (f.name && r.name != *f.name) return false;
    if (f.worker && r.hostname != *f.worker) return false;
    if (!f.id_text.empty()) {
        char hex[32];
        hex_of(r.id, hex);
        if (std::string_view(hex, 32).find(f.id_text) == std::string_view::npos) return false;
    }
    return true;
}

task_page task_history::list(const task_filter& filter, std::size_t offset,
                             std::size_t limit) const {
    task_page page;
    page.offset = offset;
    // A whole id: one look-up, not a scan.
    if (filter.id_text.size() == 32) {
        if (const auto id = proto::task_id::from_hex(filter.id_text)) {
            const task_record* r = find(*id);
            if (r != nullptr && matches(*r, filter)) {
                page.total = 1;
                if (offset == 0 && limit > 0) page.tasks.push_back(r);
            }
            return page;
        }
    }
    page.tasks.reserve(std::min(limit, by_seq_.size()));
    for (auto it = by_seq_.rbegin(); it != by_seq_.rend(); ++it) {
        const task_record& r = *it->second;
        if (!matches(r, filter)) continue;
        if (page.total >= offset && page.tasks.size() < limit) page.tasks.push_back(&r);
        ++page.total;
    }
    return page;
}

}  // namespace shoal::dashboard
