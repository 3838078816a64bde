// shoal dashboard [--http HOST:PORT] [--history N] [--control-token-file F]: the live web
// dashboard (dashboard/README.md), a process of its own that subscribes to the broker's event
// stream. Serves until SIGINT or SIGTERM.

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "shoal/dashboard/dashboard.hpp"

namespace shoal::cli {

namespace {

std::atomic<bool> dashboard_stop{false};

extern "C" void on_dashboard_signal(int) { dashboard_stop.store(true); }

}  // namespace

int run_dashboard(const global_options& opts, const dashboard_args& args) {
    dashboard::dashboard_options options;
    options.broker = opts.broker;
    options.client.name = "shoal-dashboard-" + std::to_string(::getpid());
    options.client.broker_key_file = opts.broker_key;
    options.client.key_file = opts.key;
    options.http = args.http;
    options.history = args.history;
    options.control_token_file = args.control_token_file;
    options.broker_timeout_s = opts.timeout_s;
    std::signal(SIGINT, on_dashboard_signal);
    std::signal(SIGTERM, on_dashboard_signal);
    return dashboard::run_dashboard(options, std::cout, dashboard_stop);
}

}  // namespace shoal::cli
