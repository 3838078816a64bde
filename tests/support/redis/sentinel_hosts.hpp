#pragma once
// sentinel_hosts: sentinel_cluster.hpp on separate machines. Three real redis-servers (a
// primary and two replicas, AOF always), each on a host of its own (process/net_hosts.hpp),
// with a real sentinel beside each one on the same host. Every server binds its host's
// address (and 127.0.0.1 there) on port 6379, every sentinel on 26379; they all announce and
// monitor the hosts' addresses. The settings are sentinel_cluster.hpp's, for the same reasons:
// master "shoal", down after 2 s (not 500 ms: a primary just promoted and busy on two CPUs
// missed the sentinels' pings, and a second failover discarded what it had acknowledged),
// quorum 2, and each server, once primary, takes writes only with a replica at most 10 s
// behind (min-replicas-to-write 1, min-replicas-max-lag 10). The test process reaches them
// all from its own port on the switch. Every wait is bounded; the destructor stops
// everything it started.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "process/batch_run.hpp"
#include "process/child_process.hpp"
#include "process/net_hosts.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"

namespace shoal::testing {

class sentinel_hosts {
  public:
    static constexpr const char* master_name = "shoal";
    static constexpr int redis_port = 6379;
    static constexpr int sentinel_port = 26379;

    // on: the three hosts (indices into `hosts`); the first starts as the primary.
    sentinel_hosts(const net_hosts& hosts, std::vector<std::size_t> on) {
        if (on.size() != 3) throw std::invalid_argument("sentinel_hosts: three hosts");
        for (const std::size_t h : on) addresses_.push_back(hosts.address(h));
        for (std::size_t i = 0; i < 3; ++i) {
            redis_server_options o;
            o.appendfsync = "always";
            o.argv_prefix = hosts.on(on[i]);
            o.host = addresses_[i];
            o.port = redis_port;
            servers_.push_back(std::make_unique<redis_server>(o));
            servers_.back()->command({"CONFIG", "SET", "min-replicas-to-write", "1"});
            servers_.back()->command({"CONFIG", "SET", "min-replicas-max-lag", "10"});
            servers_.back()->command({"CONFIG", "SET", "replica-announce-ip", addresses_[i]});
        }
        for (std::size_t i = 1; i < 3; ++i) {
            servers_[i]->command({"REPLICAOF", addresses_[0], std::to_string(redis_port)});
        }
        for (std::size_t i = 0; i < 3; ++i) start_sentinel(hosts, on[i], i);
        for (const auto& address : addresses_) {
            if (!wait_until([&] { return ask(address) == addresses_[0]; }, 20.0)) {
                throw std::runtime_error("sentinel_hosts: the sentinel on " + address +
                                         " does not know the primary");
            }
        }
        // The replicas in sync, so that a failover has someone to promote.
        if (!wait_until([&] { return replicas_in_sync(*servers_[0]) == 2; }, 20.0)) {
            throw std::runtime_error("sentinel_hosts: the replicas did not sync");
        }
        // And every sentinel knows both replicas and the other two sentinels, so that any two
        // of them can agree on a failover and promote someone.
        for (const auto& address : addresses_) {
            if (!wait_until([&] { return knows(address, "replicas") == 2; }, 30.0) ||
                !wait_until([&] { return knows(address, "sentinels") == 2; }, 30.0)) {
                throw std::runtime_error("sentinel_hosts: the sentinel on " + address +
                                         " did not discover the others");
            }
        }
    }

    ~sentinel_hosts() {
        sentinels_.clear();  // child_process kills and reaps, before dir_ goes
    }

    sentinel_hosts(const sentinel_hosts&) = delete;
    sentinel_hosts& operator=(const sentinel_hosts&) = delete;

    // redis+sentinel://A1:26379,A2:26379,A3:26379/shoal
    std::string url() const {
        std::string out = "redis+sentinel://";
        for (std::size_t i = 0; i < addresses_.size(); ++i) {
            out += (i ? "," : "") + addresses_[i] + ":" + std::to_string(sentinel_port);
        }
        return out + "/" + master_name;
    }

    // The primary's address as the first sentinel that answers says ("" when none does).
    std::string primary_address() const {
        for (const auto& address : addresses_) {
            std::string p = ask(address);
            if (!p.empty()) return p;
        }
        return {};
    }
    // The server on that address (nullptr: not one of ours).
    redis_server* server_on(const std::string& address) {
        for (std::size_t i = 0; i < addresses_.size(); ++i) {
            if (addresses_[i] == address) return servers_[i].get();
        }
        return nullptr;
    }
    redis_server& server(std::size_t i) { return *servers_.at(i); }
    const std::string& address(std::size_t i) const { return addresses_.at(i); }

    // The number of replicas in state=online in `primary`'s INFO replication.
    static int replicas_in_sync(redis_server& primary) {
        const std::string info = primary.command({"INFO", "replication"});
        int n = 0;
        for (std::size_t at = info.find("state=online"); at != std::string::npos;
             at = info.find("state=online", at + 1)) {
            ++n;
        }
        return n;
    }

  private:
    void start_sentinel(const net_hosts& hosts, std::size_t host, std::size_t i) {
        const std::string n = std::to_string(i);
        const std::string conf = dir_.file("sentinel-" + n + ".conf");
        std::ofstream(conf) << "port " << sentinel_port << "\nbind " << addresses_[i]
                            << " 127.0.0.1\nprotected-mode no\nsentinel announce-ip "
                            << addresses_[i] << "\nsentinel announce-port " << sentinel_port
                            << "\ndir " << dir_.file("") << "\nsentinel monitor " << master_name
                            << " " << addresses_[0] << " " << redis_port
                            << " 2\nsentinel down-after-milliseconds " << master_name
                            << " 2000\nsentinel failover-timeout " << master_name
                            << " 10000\nsentinel parallel-syncs " << master_name << " 1\nlogfile "
                            << dir_.file("sentinel-" + n + ".log") << "\n";
        std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/null 2>&1"};
        const auto prefix = hosts.on(host);
        argv.insert(argv.end(), prefix.begin(), prefix.end());
        argv.insert(argv.end(), {"/usr/bin/redis-server", conf, "--sentinel"});
        sentinels_.push_back(child_process::spawn(argv));
    }

    // One reply of the sentinel on `address` to `argv` (nullptr: no answer within 1 s).
    static redisReply* sentinel_command(const std::string& address,
                                        const std::vector<std::string>& argv) {
        timeval tv{1, 0};
        redisContext* c = redisConnectWithTimeout(address.c_str(), sentinel_port, tv);
        if (c == nullptr || c->err != 0) {
            if (c) redisFree(c);
            return nullptr;
        }
        redisSetTimeout(c, tv);
        std::vector<const char*> args;
        std::vector<std::size_t> lens;
        for (const auto& a : argv) {
            args.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
        redisFree(c);
        return r;
    }

    // What the sentinel on `address` says the primary's address is ("" for no answer).
    static std::string ask(const std::string& address) {
        redisReply* r =
            sentinel_command(address, {"SENTINEL", "get-master-addr-by-name", master_name});
        std::string found;
        if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING) {
            found.assign(r->element[0]->str, r->element[0]->len);
        }
        if (r) freeReplyObject(r);
        return found;
    }

    // How many replicas or sentinels (what: "replicas" or "sentinels") the sentinel on
    // `address` knows of the master (-1 for no answer).
    static int knows(const std::string& address, const std::string& what) {
        redisReply* r = sentinel_command(address, {"SENTINEL", what, master_name});
        int n = -1;
        if (r != nullptr && r->type == REDIS_REPLY_ARRAY) n = static_cast<int>(r->elements);
        if (r) freeReplyObject(r);
        return n;
    }

    scratch_dir dir_;  // the sentinels' configs (they rewrite them) and logs; removed last
    std::vector<std::string> addresses_;
    std::vector<std::unique_ptr<redis_server>> servers_;
    std::vector<child_process> sentinels_;
};

}  // namespace shoal::testing
