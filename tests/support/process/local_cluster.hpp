#pragma once
// local_cluster: a real broker and real workers (the built shoal-broker and shoal-worker
// daemons, loading the seed task library) on loopback, for integration and fault tests. The
// broker binds port 0 and prints where it is, so parallel tests never collide on a port.
// The executables' paths come from compile definitions set in tests/CMakeLists.txt.

#include <algorithm>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process/child_process.hpp"

namespace shoal::testing {

struct cluster_paths {
    static std::string broker() { return SHOAL_BROKER_EXE; }
    static std::string worker() { return SHOAL_WORKER_EXE; }
    static std::string cli() { return SHOAL_CLI_EXE; }
    static std::string seed_tasks() { return SHOAL_SEED_TASKS_PLUGIN; }
};

class local_cluster {
  public:
    // Starts the broker (fast heartbeats, so liveness tests take a second, not minutes).
    // `prefix` runs it through another program, e.g. {"ip", "netns", "exec", "ns-a"}.
    explicit local_cluster(std::vector<std::string> broker_args = {},
                           std::vector<std::string> prefix = {},
                           std::string bind = "tcp://127.0.0.1:0") {
        broker_prefix_ = std::move(prefix);
        broker_args_ = std::move(broker_args);
        start_broker(bind);
    }

    // SIGKILL, as a crash: no BYE, nothing flushed.
    void kill_broker() {
        broker_.signal(SIGKILL);
        (void)broker_.wait(10.0);
    }
    // Starts the broker again on the endpoint it had (clients and workers reconnect to it).
    bool restart_broker() {
        const std::string same = endpoint_;
        return start_broker(same) && endpoint_ == same;
    }

    const std::string& endpoint() const noexcept { return endpoint_; }
    child_process& broker() noexcept { return broker_; }

    // Starts a worker loading the seed tasks; returns its index.
    std::size_t add_worker(const std::string& name, std::vector<std::string> extra = {},
                           std::vector<std::string> prefix = {},
                           std::optional<std::string> endpoint = std::nullopt) {
        std::vector<std::string> argv = prefix;
        argv.insert(argv.end(), {cluster_paths::worker(), "--broker", endpoint.value_or(endpoint_),
                                 "--tasks", cluster_paths::seed_tasks(), "--name", name});
        argv.insert(argv.end(), extra.begin(), extra.end());
        workers_.push_back(child_process::spawn(argv));
        return workers_.size() - 1;
    }

    child_process& worker(std::size_t i) { return workers_.at(i); }

    // Runs the `shoal` CLI against this broker and returns its stdout and exit status.
    struct cli_result {
        std::string out;
        std::optional<int> status;
    };
    cli_result cli(std::vector<std::string> args, double timeout_s = 20.0) const {
        std::vector<std::string> argv{cluster_paths::cli()};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--broker", endpoint_});
        auto p = child_process::spawn(argv);
        cli_result r;
        r.out = p.read_all(timeout_s);
        r.status = p.wait(timeout_s);
        return r;
    }

  private:
    bool start_broker(const std::string& bind) {
        std::vector<std::string> argv = broker_prefix_;
        argv.insert(argv.end(), {cluster_paths::broker(), "--bind", bind, "--print-endpoint"});
        // Fast heartbeats unless the test sets its own liveness.
        if (std::find(broker_args_.begin(), broker_args_.end(), "--liveness") ==
            broker_args_.end()) {
            argv.insert(argv.end(), {"--heartbeat-ms", "100", "--liveness", "3"});
        }
        argv.insert(argv.end(), broker_args_.begin(), broker_args_.end());
        broker_ = child_process::spawn(argv);
        const auto line = broker_.read_line(20.0);
        if (!line || line->rfind("tcp://", 0) != 0) {
            ADD_FAILURE() << "the broker did not print its endpoint (got '"
                          << line.value_or("<nothing>") << "')";
            return false;
        }
        endpoint_ = *line;
        return true;
    }

    std::vector<std::string> broker_prefix_;
    std::vector<std::string> broker_args_;
    child_process broker_;
    std::string endpoint_;
    std::vector<child_process> workers_;
};

// Runs `argv` to its end and returns its exit status and its stdout and stderr together.
inline local_cluster::cli_result run_merged(const std::vector<std::string>& argv,
                                            double timeout_s = 20.0) {
    std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
    shell.insert(shell.end(), argv.begin(), argv.end());
    auto p = child_process::spawn(shell);
    local_cluster::cli_result r;
    r.out = p.read_all(timeout_s);
    r.status = p.wait(timeout_s);
    return r;
}

// A broker that should refuse to start (a bad key, a bad password file): shoal-broker on a
// free loopback port with `args`, run_merged.
inline local_cluster::cli_result broker_refusal(const std::vector<std::string>& args,
                                                double timeout_s = 20.0) {
    std::vector<std::string> argv{cluster_paths::broker(), "--bind", "tcp://127.0.0.1:0",
                                  "--print-endpoint"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_merged(argv, timeout_s);
}

}  // namespace shoal::testing
