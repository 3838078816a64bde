#pragma once
// client_options: how a shoal::client talks to its broker. The defaults suit a LAN.

#include <cstddef>
#include <cstdint>
#include <string>

namespace shoal {

struct client_options {
    // Shown by the broker in logs and inspect; empty: "client-<pid>@<host>".
    std::string name;
    // Reconnect back-off after the broker is lost: starts here, doubles, capped (seconds).
    double reconnect_initial_s = 0.1;
    double reconnect_max_s = 5.0;
    // Used until the broker's WELCOME says otherwise.
    std::uint32_t heartbeat_ms = 1000;
    std::uint32_t liveness = 3;
    // A task the broker says is still pending after a reconnect, or a fetch() of another
    // client's task, is asked for again after this long, doubling up to the cap (seconds).
    double fetch_poll_initial_s = 0.1;
    double fetch_poll_max_s = 2.0;
    // close() waits this long for the broker to acknowledge tasks already submitted, so
    // that submit-then-close does not lose them (seconds; 0: do not wait).
    double close_grace_s = 2.0;
    // The outbox: tasks submitted but not yet accepted by the broker, at most this many and
    // this many payload bytes. Past either, submit() blocks until the broker accepts some
    // (back-pressure: a broker at its budget answers busy and the client sends again after
    // the retry-after it gives), and try_submit() returns no future.
    std::size_t max_unaccepted_tasks = 100'000;
    std::size_t max_unaccepted_bytes = 64u << 20;
    // Repair of answers lost inside a live session (seconds): a task not acknowledged after
    // ack_timeout_s is sent again (the same id: the broker accepts a repeat idempotently); an
    // accepted task without a result after result_check_s is asked for (FETCH), again after
    // twice as long each time, up to result_check_max_s.
    double ack_timeout_s = 5.0;
    double result_check_s = 10.0;
    double result_check_max_s = 300.0;
    // CURVE (SECURITY.md): the broker's public key file and this client's secret key file
    // (NAME.key_secret, mode 0600), both or neither. Both empty: SHOAL_BROKER_KEY and SHOAL_KEY
    // from the environment if set, else plaintext to an open broker. A bad or missing file
    // makes the client's constructor throw shoal::proto::key_file_error.
    std::string broker_key_file;
    std::string key_file;
};

}  // namespace shoal
