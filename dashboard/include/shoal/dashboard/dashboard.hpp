#pragma once
// shoal dashboard: a live web dashboard of a Shoal cluster, a process of its own
// (dashboard/README.md). It subscribes to the broker's event stream and keeps the history
// itself, so the broker keeps nothing for it, and polls INSPECT for what events do not tell.
//
//   shoal::dashboard::dashboard_options o;
//   o.broker = "tcp://127.0.0.1:5555";
//   o.http = "127.0.0.1:8787";
//   return shoal::dashboard::run_dashboard(o, std::cout, stop_flag);

#include <atomic>
#include <cstddef>
#include <ostream>
#include <string>

#include "shoal/client/client_options.hpp"

namespace shoal::dashboard {

struct dashboard_options {
    std::string broker = "tcp://127.0.0.1:5555";
    client_options client;  // keys (broker_key_file, key_file), name
    std::string http = "127.0.0.1:8787";
    std::size_t history = 100'000;   // tasks kept at most
    std::string control_token_file;  // empty: a token is generated and printed
    double poll_interval_s = 2.0;
    double broker_timeout_s = 5.0;  // for each INSPECT, FETCH and PURGE answer
};

// A fresh control token: 32 hex digits from the OS's random source.
std::string generate_token();
// The token in `path` (its first line, trimmed); throws shoal::error when the file cannot be
// read, is readable by group or others, or holds no token.
std::string read_token_file(const std::string& path);

// Serves until `stop` becomes true; prints the URL (with the token in its fragment) on `out`.
// Returns 0, or throws shoal::error when it cannot start (a bad address, a port in use, a bad
// token file).
int run_dashboard(const dashboard_options& options, std::ostream& out,
                  const std::atomic<bool>& stop);

}  // namespace shoal::dashboard
