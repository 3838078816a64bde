#pragma once
// One struct per SHOAL/1 message (PROTOCOL.md section 5), each naming its command byte.
// Field order here is the order on the wire. Payloads (task arguments, result values) are
// opaque msgpack bytes the broker never opens.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "shoal/proto/commands.hpp"
#include "shoal/proto/task_id.hpp"

namespace shoal::proto {

// Protocol minor version this code speaks (HELLO's protocol_minor). Minor 1 added the output
// window (WELCOME's window_bytes, acknowledged in HEARTBEAT), STARTED, DRAIN, ACCEPTED's
// retry_after_ms and FETCHED's deferred ids; minor 2 a worker's queues in HELLO (PROTOCOL.md
// section 10); minor 3 the sender's software in HELLO and the ADMIN command; minor 4 the
// event stream (SUBSCRIBE, EVENTS) and DONE's runtimes; minor 5 the `inputs` task option
// (futures as arguments); minor 6 ADMIN's params and payload (periodic tasks) and the
// `chunk` task option.
inline constexpr std::uint32_t protocol_minor = 6;
// The oldest minor a broker serves: minor 0 never acknowledges its output window.
inline constexpr std::uint32_t oldest_served_minor = 1;
inline constexpr std::string_view default_queue = "default";
// Longest task or queue name (section 9).
inline constexpr std::size_t max_name_bytes = 255;

// A failure as data: the exception's type name, its message, and who raised it.
struct error_info {
    std::string type;  // e.g. "std::invalid_argument", or a code such as "unsupported"
    std::string message;
    std::string where;  // worker name, or "broker"
    friend bool operator==(const error_info&, const error_info&) = default;
};

// Futures as arguments (section 6.5): the argument at `index` is filled by the broker once the
// tasks `ids` are done: with the result of ids[0], or, for a `list` input (a chord's callback),
// with the array of their results in the order listed. With index no_argument the task only
// waits for them to succeed (an immutable signature in a chain), nil on the wire.
struct task_input {
    static constexpr std::uint32_t no_argument = 0xffff'ffff;
    std::uint32_t index = 0;
    std::vector<task_id> ids;
    bool list = false;
    friend bool operator==(const task_input&, const task_input&) = default;
};
// At most this many inputs a task, and ids across them: a chord of 10,000 tasks (the
// decoder's limit on one array; a larger reduction is a chord of chords).
inline constexpr std::size_t max_inputs = 1'024;
inline constexpr std::size_t max_input_ids = 10'000;

// Section 5.2. Absent options are nullopt (or empty); the broker refuses what it does not
// implement.
struct task_options {
    std::optional<std::uint32_t> priority;  // 0..9, higher first
    std::optional<std::uint64_t> countdown_ms;
    std::optional<std::uint64_t> eta_ms;              // unix epoch milliseconds
    std::optional<std::uint64_t> expires_ms;          // unix epoch milliseconds
    std::optional<std::uint64_t> time_limit_ms;       // hard limit on one attempt
    std::optional<std::uint64_t> soft_time_limit_ms;  // the task is asked to stop
    std::optional<std::uint32_t> max_retries;
    std::optional<std::uint64_t> retry_delay_ms;  // first retry's countdown
    std::optional<std::uint64_t> retry_backoff_max_ms;
    std::optional<bool> retry_backoff;  // the delay doubles per retry
    std::optional<bool> retry_jitter;   // each delay drawn from [delay/2, delay]
    std::vector<std::string> retry_on;  // error types retried; empty: any
    std::vector<task_input> inputs;     // minor 5: arguments that are other tasks' results
    // Minor 6: many calls in one task (shoal::chunks): the one argument is the list of the
    // calls' argument arrays, the result the list of their results.
    std::optional<bool> chunk;
    bool empty() const noexcept {
        return !priority && !countdown_ms && !eta_ms && !expires_ms && !time_limit_ms &&
               !soft_time_limit_ms && !max_retries && !retry_delay_ms && !retry_backoff_max_ms &&
               !retry_backoff && !retry_jitter && retry_on.empty() && inputs.empty() && !chunk;
    }
    friend bool operator==(const task_options&, const task_options&) = default;
};
// At most this many error types in retry_on.
inline constexpr std::size_t max_retry_on = 32;

// Section 5.3.
enum class task_status : std::uint8_t { ok, failed, revoked, unknown_task, lost, expired };
const char* to_string(task_status s) noexcept;
std::optional<task_status> task_status_from(std::string_view text) noexcept;

struct outcome {
    task_id id;
    task_status status = task_status::ok;
    std::string payload;  // the result's msgpack bytes when status is ok
    error_info error;     // why, for every other status
    friend bool operator==(const outcome&, const outcome&) = default;
};

// ---- handshake and liveness (any role) ----

struct worker_details {
    std::uint32_t slots = 1;
    std::uint32_t prefetch = 0;
    std::vector<std::string> task_names;
    // The queues it consumes (minor 2). Empty, or absent from a minor-1 HELLO: `default`.
    std::vector<std::string> queues{};
    friend bool operator==(const worker_details&, const worker_details&) = default;
};

enum class peer_role : std::uint8_t { client, worker };

struct hello {
    static constexpr command cmd = command::hello;
    peer_role role = peer_role::client;
    std::string name;
    std::uint32_t minor = protocol_minor;
    worker_details worker;  // meaningful when role is worker; empty array on the wire otherwise
    // What the peer runs, e.g. "shoal/0.2.0" (minor 3; empty from an older peer).
    std::string software{};
    friend bool operator==(const hello&, const hello&) = default;
};

struct welcome {
    static constexpr command cmd = command::welcome;
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;
    std::uint64_t max_message_bytes = 16u << 20;
    std::uint32_t max_batch = 10'000;
    // The output window (section 7.1): body bytes the broker sends this peer beyond what the
    // peer acknowledged. 0: no window (a minor-0 broker), nothing to acknowledge.
    std::uint64_t window_bytes = 0;
    friend bool operator==(const welcome&, const welcome&) = default;
};

struct heartbeat {
    static constexpr command cmd = command::heartbeat;
    // From a peer to the broker: body bytes received from the broker in this session.
    std::optional<std::uint64_t> received;
    friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

struct bye {
    static constexpr command cmd = command::bye;
    std::string reason;
    friend bool operator==(const bye&, const bye&) = default;
};

// ERROR codes (section 8): bad_version, bad_frames, bad_command, bad_body, too_large,
// not_registered, unexpected, and the decode_errc names.
struct error_reply {
    static constexpr command cmd = command::error;
    std::string code;
    std::string message;
    std::optional<task_id> related;
    // The command this refuses, when it refuses one (a fourth element, sent by brokers since
    // CURVE: `forbidden`), so that a client can fail the request that asked.
    std::optional<command> answers = std::nullopt;
    friend bool operator==(const error_reply&, const error_reply&) = default;
};

// ---- client <-> broker ----

struct submitted_task {
    task_id id;
    std::string name;
    std::string queue{default_queue};
    std::string payload;  // msgpack array of arguments
    task_options options;
    friend bool operator==(const submitted_task&, const submitted_task&) = default;
};

struct refusal {
    task_id id;
    error_info error;  // error.type is the code: bad_task, unsupported, conflict, ...
    friend bool operator==(const refusal&, const refusal&) = default;
};

struct submit {
    static constexpr command cmd = command::submit;
    std::vector<submitted_task> tasks;
    // Filled by decode only, never encoded: tasks whose id was readable but whose other
    // fields were not (code bad_task, or unsupported for an unknown option key). A bad task
    // does not refuse its whole batch (PROTOCOL.md section 8); the broker refuses these.
    std::vector<refusal> malformed;
    friend bool operator==(const submit&, const submit&) = default;
};

struct accepted {
    static constexpr command cmd = command::accepted;
    std::vector<task_id> ids;
    std::vector<refusal> refused;
    // When some task was refused `busy`: send it again after this long.
    std::uint32_t retry_after_ms = 0;
    friend bool operator==(const accepted&, const accepted&) = default;
};

struct result {
    static constexpr command cmd = command::result;
    std::vector<outcome> outcomes;
    friend bool operator==(const result&, const result&) = default;
};

struct fetch {
    static constexpr command cmd = command::fetch;
    std::vector<task_id> ids;
    friend bool operator==(const fetch&, const fetch&) = default;
};

enum class result_state : std::uint8_t { unknown, pending, done, expired };
const char* to_string(result_state s) noexcept;
std::optional<result_state> result_state_from(std::string_view text) noexcept;

struct fetched_entry {
    task_id id;
    result_state state = result_state::unknown;
    std::optional<proto::outcome> result;  // set when state is done
    friend bool operator==(const fetched_entry&, const fetched_entry&) = default;
};

struct fetched {
    static constexpr command cmd = command::fetched;
    std::vector<fetched_entry> entries;
    // Ids of the FETCH left unanswered (past the reply's cap, or the asker's window): ask again.
    std::vector<task_id> deferred{};
    friend bool operator==(const fetched&, const fetched&) = default;
};

struct revoke {
    static constexpr command cmd = command::revoke;
    std::vector<task_id> ids;
    bool terminate = false;  // a running process-pool task is killed, not left to finish
    friend bool operator==(const revoke&, const revoke&) = default;
};

// Dead-lettered tasks to run again (`shoal retry ID`); answered by ACCEPTED.
struct requeue {
    static constexpr command cmd = command::requeue;
    std::vector<task_id> ids;
    friend bool operator==(const requeue&, const requeue&) = default;
};

struct purge {
    static constexpr command cmd = command::purge;
    std::string queue;
    friend bool operator==(const purge&, const purge&) = default;
};

struct purged {
    static constexpr command cmd = command::purged;
    std::string queue;
    std::uint64_t count = 0;
    friend bool operator==(const purged&, const purged&) = default;
};

struct inspect {
    static constexpr command cmd = command::inspect;
    std::string what;  // workers, queues, active, dead, held, limits, stats
    friend bool operator==(const inspect&, const inspect&) = default;
};

// REPORT's rows: flat maps of str -> int or str, one per worker, queue or task.
using report_value = std::variant<std::int64_t, std::string>;
struct report_field {
    std::string key;
    report_value value;
    friend bool operator==(const report_field&, const report_field&) = default;
};
using report_row = std::vector<report_field>;

// An operation on the broker itself (`shoal admin ACTION`, `shoal periodic ...`), for admin
// keys only; answered by REPORT (what = the action) or ERROR. Actions: reload-keys,
// periodic-add, periodic-remove, periodic-pause, periodic-resume, periodic-list (PROTOCOL.md
// 6.6). `params` (minor 6) names what the action works on, as a flat map like a REPORT row;
// `payload` (minor 6) is msgpack the action carries opaque (periodic-add: the task's
// arguments). Both are left out of the body when empty, so an older broker reads
// reload-keys as before.
struct admin {
    static constexpr command cmd = command::admin;
    std::string action;
    report_row params;
    std::string payload;
    friend bool operator==(const admin&, const admin&) = default;
};

struct report {
    static constexpr command cmd = command::report;
    std::string what;
    std::vector<report_row> rows;
    friend bool operator==(const report&, const report&) = default;
};

// Subscribes this session to the broker's event stream (on = true) or ends the subscription.
struct subscribe {
    static constexpr command cmd = command::subscribe;
    bool on = true;
    friend bool operator==(const subscribe&, const subscribe&) = default;
};

// A batch of the broker's events (PROTOCOL.md section 6.4), oldest first. Each event is a
// msgpack map (str keys: "type", "timestamp", "clock", and the fields of its type), kept here
// as its msgpack bytes: tools show it as JSON, and a reader takes only the fields it knows.
struct events {
    static constexpr command cmd = command::events;
    std::vector<std::string> items;
    // Events this subscriber missed since it subscribed: dropped past its output window.
    std::uint64_t dropped = 0;
    friend bool operator==(const events&, const events&) = default;
};

// ---- worker <-> broker ----

struct ready {
    static constexpr command cmd = command::ready;
    std::uint32_t credit = 0;
    friend bool operator==(const ready&, const ready&) = default;
};

struct dispatched_task {
    task_id id;
    std::string name;
    std::string payload;
    std::uint32_t attempt = 1;
    task_options options;
    friend bool operator==(const dispatched_task&, const dispatched_task&) = default;
};

// A DISPATCH entry whose id (and attempt, when readable) could be read but whose other fields
// could not: the worker reports it failed rather than losing it or its neighbours.
struct malformed_dispatch {
    task_id id;
    std::uint32_t attempt = 1;
    std::string problem;  // the field and what is wrong with it
    friend bool operator==(const malformed_dispatch&, const malformed_dispatch&) = default;
};

struct dispatch {
    static constexpr command cmd = command::dispatch;
    std::vector<dispatched_task> tasks;
    // Filled by decode only, never encoded: one bad entry does not refuse its batch.
    std::vector<malformed_dispatch> malformed;
    std::uint32_t unidentified = 0;  // entries without a readable id: nothing can answer them
    friend bool operator==(const dispatch&, const dispatch&) = default;
};

struct finished_task {
    outcome result;
    std::uint32_t attempt = 1;
    // The task asked for its own retry (error type shoal::retry), to run again after this.
    std::optional<std::uint64_t> retry_countdown_ms = std::nullopt;
    // Minor 4: how long it ran on the worker, in microseconds. On the wire DONE carries these
    // as a third element, one per finished task (a minor-3 broker ignores it); nullopt from
    // an older worker.
    std::optional<std::uint64_t> runtime_us = std::nullopt;
    friend bool operator==(const finished_task&, const finished_task&) = default;
};

struct done {
    static constexpr command cmd = command::done;
    std::vector<finished_task> finished;
    std::uint32_t credit = 0;
    friend bool operator==(const done&, const done&) = default;
};

struct cancel {
    static constexpr command cmd = command::cancel;
    std::vector<task_id> ids;
    bool terminate = false;  // kill a running process-pool task's child
    friend bool operator==(const cancel&, const cancel&) = default;
};

// A dispatched task named with the attempt it was given.
struct task_attempt {
    task_id id;
    std::uint32_t attempt = 1;
    friend bool operator==(const task_attempt&, const task_attempt&) = default;
};

// Tasks the worker began to run (section 6.2): only these count against the delivery limit
// if the worker dies.
struct started {
    static constexpr command cmd = command::started;
    std::vector<task_attempt> tasks;
    friend bool operator==(const started&, const started&) = default;
};

// The worker takes no more tasks: the broker voids its credit and takes back the tasks
// listed, which it held without starting them (section 6.2).
struct drain {
    static constexpr command cmd = command::drain;
    std::vector<task_attempt> returned;
    friend bool operator==(const drain&, const drain&) = default;
};

}  // namespace shoal::proto
