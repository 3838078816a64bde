#pragma once
// redis_on_host: a real redis-server on one "machine" of a network-namespace test (two_hosts,
// net_hosts: started through the host's `ip netns exec` prefix, bound to the host's address,
// AOF always, in the test's scratch directory), with redis-cli run the same way, and what the
// failover tests ask it: who holds the brokers' lease. Bounded waits; the process is killed
// and reaped with the object.

#include <string>
#include <vector>

#include "process/batch_run.hpp"
#include "process/child_process.hpp"
#include "process/wait_until.hpp"

namespace shoal::testing {

// Runs argv to its end (bounded) and returns its stdout without the trailing newlines.
inline std::string output_of(const std::vector<std::string>& argv, double timeout_s = 10.0) {
    auto p = child_process::spawn(argv);
    std::string out = p.read_all(timeout_s);
    (void)p.wait(timeout_s);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

class redis_on_host {
  public:
    // Starts redis on `address`:`port` through `on` and waits (at most 20 s) for PING; up()
    // says whether it answered.
    redis_on_host(std::vector<std::string> on, std::string address, const scratch_dir& dir,
                  int port = 6379)
        : on_(std::move(on)), address_(std::move(address)), port_(port) {
        std::vector<std::string> argv = on_;
        argv.insert(argv.end(),
                    {"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", address_,
                     "--protected-mode", "no", "--save", "", "--appendonly", "yes", "--appendfsync",
                     "always", "--dir", dir.file(""), "--logfile", dir.file("redis.log")});
        process_ = child_process::spawn(argv);
        up_ = wait_until([&] { return cli({"PING"}) == "PONG"; }, 20.0);
    }

    bool up() const noexcept { return up_; }
    std::string url() const { return "redis://" + address_ + ":" + std::to_string(port_); }
    // redis-cli on the same host: the reply as redis-cli prints it, trimmed.
    std::string cli(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = on_;
        argv.insert(argv.end(),
                    {"/usr/bin/redis-cli", "-h", address_, "-p", std::to_string(port_)});
        argv.insert(argv.end(), args.begin(), args.end());
        return output_of(argv);
    }
    // The name in the lease (shoal:broker:lease = EPOCH:NAME); empty when nobody holds it.
    std::string lease_holder() const {
        const std::string token = cli({"GET", "shoal:broker:lease"});
        const auto colon = token.find(':');
        return colon == std::string::npos ? std::string() : token.substr(colon + 1);
    }

  private:
    std::vector<std::string> on_;
    std::string address_;
    int port_;
    child_process process_;
    bool up_ = false;
};

}  // namespace shoal::testing
