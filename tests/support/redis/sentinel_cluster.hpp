#pragma once
// sentinel_cluster: three real redis-servers (a primary and two replicas, AOF always) watched
// by three real sentinels (redis-server --sentinel) on loopback, for the Sentinel tests. The
// master's name is "shoal"; sentinels declare a primary down after 2 s and fail over at once
// (quorum 2). Each server, once primary, takes writes only with a replica at most 10 s behind
// (min-replicas-to-write 1), as broker/README.md advises. Every wait is bounded; the
// destructor stops everything it started.
//
// Why 2 s: at 500 ms, a primary just promoted and busy (a replica's full sync, the broker's
// backlog of writes, fsync always, two CPUs) missed the sentinels' pings, was declared down
// again, and a second failover discarded the writes it had acknowledged (Sentinel's
// asynchronous replication; seen at the first run of this test).

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "process/batch_run.hpp"
#include "process/child_process.hpp"
#include "process/free_port.hpp"
#include "process/wait_until.hpp"
#include "redis/redis_server.hpp"

namespace shoal::testing {

class sentinel_cluster {
  public:
    static constexpr const char* master_name = "shoal";

    sentinel_cluster() {
        redis_server_options o;
        o.appendfsync = "always";
        for (int i = 0; i < 3; ++i) {
            servers_.push_back(std::make_unique<redis_server>(o));
            servers_.back()->command({"CONFIG", "SET", "min-replicas-to-write", "1"});
            servers_.back()->command({"CONFIG", "SET", "min-replicas-max-lag", "10"});
        }
        for (int i = 1; i < 3; ++i) {
            servers_[i]->command({"REPLICAOF", "127.0.0.1", std::to_string(servers_[0]->port())});
        }
        for (int i = 0; i < 3; ++i) start_sentinel(i);
        for (const int port : sentinel_ports_) {
            if (!wait_until([&] { return ask(port) == servers_[0]->port(); }, 20.0)) {
                throw std::runtime_error("sentinel_cluster: a sentinel does not know the primary");
            }
        }
        // The replicas in sync, so that a failover has someone to promote.
        if (!wait_until([&] { return replicas_in_sync() == 2; }, 20.0)) {
            throw std::runtime_error("sentinel_cluster: the replicas did not sync");
        }
    }

    ~sentinel_cluster() {
        sentinels_.clear();  // child_process kills and reaps, before dir_ goes
    }

    // redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/shoal
    std::string url() const {
        std::string out = "redis+sentinel://";
        for (std::size_t i = 0; i < sentinel_ports_.size(); ++i) {
            out += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinel_ports_[i]);
        }
        return out + "/" + master_name;
    }

    // The primary's port as the first sentinel that answers says (0 when none does).
    int primary_port() {
        for (const int port : sentinel_ports_) {
            if (const int p = ask(port)) return p;
        }
        return 0;
    }
    // The server with that port (nullptr: not one of ours).
    redis_server* server_on(int port) {
        for (auto& s : servers_) {
            if (s->port() == port) return s.get();
        }
        return nullptr;
    }
    redis_server& server(std::size_t i) { return *servers_.at(i); }

  private:
    void start_sentinel(int i) {
        const int port = free_port();
        const std::string conf = dir_.file("sentinel-" + std::to_string(i) + ".conf");
        std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\ndir " << dir_.file("")
                            << "\nsentinel monitor " << master_name << " 127.0.0.1 "
                            << servers_[0]->port() << " 2\nsentinel down-after-milliseconds "
                            << master_name << " 2000\nsentinel failover-timeout " << master_name
                            << " 10000\nsentinel parallel-syncs " << master_name << " 1\nlogfile "
                            << dir_.file("sentinel-" + std::to_string(i) + ".log") << "\n";
        sentinels_.push_back(
            child_process::spawn({"/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/null 2>&1",
                                  "/usr/bin/redis-server", conf, "--sentinel"}));
        sentinel_ports_.push_back(port);
    }

    // What the sentinel on `port` says the primary's port is (0: no answer).
    static int ask(int port) {
        timeval tv{1, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
        if (c == nullptr || c->err != 0) {
            if (c) redisFree(c);
            return 0;
        }
        redisSetTimeout(c, tv);
        auto* r = static_cast<redisReply*>(
            redisCommand(c, "SENTINEL get-master-addr-by-name %s", master_name));
        int found = 0;
        if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            found = std::atoi(r->element[1]->str);
        }
        if (r) freeReplyObject(r);
        redisFree(c);
        return found;
    }

    int replicas_in_sync() {
        const std::string info = servers_[0]->command({"INFO", "replication"});
        int n = 0;
        for (std::size_t at = info.find("state=online"); at != std::string::npos;
             at = info.find("state=online", at + 1)) {
            ++n;
        }
        return n;
    }

    scratch_dir dir_;  // the sentinels' configs (they rewrite them) and logs; removed last
    std::vector<std::unique_ptr<redis_server>> servers_;
    std::vector<child_process> sentinels_;
    std::vector<int> sentinel_ports_;
};

}  // namespace shoal::testing
