#pragma once
// What every subcommand of the `shoal` CLI shares: the global options, the exit codes, and
// connecting to the broker.

#include <memory>
#include <optional>
#include <string>

#include "shoal/client/client.hpp"

namespace shoal::cli {

// Exit codes (README.md): scripts and health checks rely on them.
enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,       // the task failed, is unknown or expired; status: no worker answers
    exit_usage = 2,        // bad command line
    exit_unreachable = 3,  // no answer from the broker within --timeout
    exit_pending = 4,      // --wait: the task was still pending when --wait-timeout passed
};

struct global_options {
    std::string broker;      // --broker, env SHOAL_BROKER, default tcp://127.0.0.1:5555
    bool json = false;       // --json: one JSON document on stdout
    double timeout_s = 5.0;  // --timeout: for reaching the broker and each of its answers,
                             // never for a task's result (--wait-timeout)
    bool verbose = false;    // --verbose: the client library's logs on stderr
    std::string broker_key;  // --broker-key, env SHOAL_BROKER_KEY: the broker's public key file
    std::string key;         // --key, env SHOAL_KEY: this user's secret key file
};

// A client connected to opts.broker, or nullptr after reporting "unreachable" (unless quiet:
// the caller then reports it itself) and the caller exits with exit_unreachable.
std::unique_ptr<client> connect(const global_options& opts, bool quiet = false);

// Prints a failure: JSON {"error": message, ...} on stdout with --json, else on stderr.
void report_error(const global_options& opts, const std::string& message);

}  // namespace shoal::cli
