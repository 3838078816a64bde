#pragma once
// broker_config: every setting of the broker, with its built-in default. broker/README.md
// lists them with their command-line flags, environment variables and TOML keys;
// config_loader.hpp reads them in one documented precedence.

#include <cstdint>
#include <string>
#include <vector>

#include "shoal/broker/periodic_definition.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/layered_settings.hpp"

namespace shoal::broker {

struct broker_config {
    std::string bind = "tcp://127.0.0.1:5555";    // port 0 (or *) picks a free port
    std::uint32_t heartbeat_ms = 1000;            // WELCOME's heartbeat; silence filled after it
    std::uint32_t liveness = 3;                   // heartbeats of silence before a peer is dead
    std::uint64_t result_ttl_s = 3600;            // how long a result stays fetchable
    std::uint64_t max_results = 5'000'000;        // results kept at most (oldest expire early)
    std::uint64_t max_tombstones = 1'000'000;     // expired ids remembered (answer `expired`)
    std::uint32_t max_attempts = 5;               // delivery limit: attempts lost to dead workers
                                                  // before the task is dead-lettered
    std::uint32_t max_batch = 10'000;             // tasks per DISPATCH / RESULT (WELCOME's)
    std::uint64_t max_message_bytes = 16u << 20;  // largest message accepted or sent
    std::uint32_t drain_max = 512;                // messages read per wake-up before replying
    // Budgets (broker/README.md, "Budgets"): what one broker holds at most.
    std::uint64_t max_queued_bytes = std::uint64_t{1}
                                     << 30;  // tasks held (queued, held,
                                             // running, dead letters); past it SUBMIT: busy
    std::uint64_t max_result_bytes = std::uint64_t{1} << 30;  // results stored; past it the
                                                              // oldest expire early
    std::uint64_t window_bytes = 64u << 20;  // output to one peer beyond what it acknowledged
    std::uint32_t busy_retry_ms = 500;       // a busy refusal's retry-after
    std::uint64_t dedup_window_s = 86'400;   // a finished task's id is recognised this long
    std::string rate_limits;                 // "add=10/s,fetch=5/m": whole cluster
    std::string task_routes;                 // "train=gpu,resize=images": the queue of a
                                             // task whose SUBMIT names none, by task name
    std::string log_level = "info";          // trace, debug, info, warn, error, critical, off
    std::string log_format = "text";         // text (for people) or json (one object per line)
    // Durability (broker/README.md, "Redis"): empty keeps everything in memory.
    std::string redis;                          // redis://[:password@]host:port[/db], unix:///path
    std::uint64_t redis_result_ttl_s = 86'400;  // how long Redis keeps a result
    std::uint32_t redis_timeout_ms = 2000;      // every Redis call; past it Redis counts as hung
    // Replicas that must confirm (WAIT) a task before ACCEPTED and a result before it is
    // delivered; WAIT blocks at most half of redis_timeout_ms. 0: the primary's write is enough.
    std::uint32_t redis_wait_replicas = 0;
    // Redis ACL credentials (SECURITY.md): the password from a file readable by its owner
    // only, or (no flag, no config key) from SHOAL_REDIS_PASSWORD; never on a command line.
    std::string redis_user;
    std::string redis_password_file;
    std::string redis_password;  // set by code or from the environment only
    // Active and standby brokers on one Redis (broker/README.md, "Active and standby
    // brokers"): a lease of this many milliseconds decides which one serves; 0: this broker
    // serves alone. ha_name names this broker in the lease (default HOST:PID).
    std::uint32_t ha_lease_ms = 0;
    std::string ha_name;
    // Not a setting: the daemon sets it when it starts over after giving its lease up (lost, or
    // stepped down), so that a standby takes the lease before this broker tries again.
    std::uint32_t ha_first_try_after_ms = 0;
    // Security (SECURITY.md): both set, or neither (an open broker, for a laptop).
    std::string secret_key;  // the broker's NAME.key_secret file: CURVE on
    std::string keys_dir;    // clients/, workers/, admins/ of public keys
    // HTTP (broker/README.md, "Metrics and health"): HOST:PORT for /metrics, /healthz and
    // /readyz; empty: no listener.
    std::string http;
    // Periodic tasks (broker/README.md, "Periodic tasks"): the config file's [periodic.NAME]
    // tables; more are added at run time by an admin (ADMIN periodic-add).
    std::vector<periodic_definition> periodic;
};

// A setting with a bad value, an unknown key, an unreadable file: the daemon exits 2.
using config_error = shoal::config_error;

}  // namespace shoal::broker
