#include "redis/redis_sync.hpp"

#include <sys/time.h>

#include <cmath>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include "redis/redis_sentinel.hpp"

namespace shoal::broker {

namespace {

timeval to_timeval(double seconds) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(seconds);
    tv.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
    return tv;
}

// CONFIG GET's answer for one parameter, or nullopt-like empty when CONFIG is disabled.
std::string config_value(redis_sync& redis, std::string_view name, bool& available) {
    const redis_reply r = redis.command({"CONFIG", "GET", name});
    if (r.type != redis_reply::kind::array || r.elements.size() < 2) {
        available = false;
        return {};
    }
    return r.elements[1].str;
}

}  // namespace

redis_sync::redis_sync(const redis_endpoint& asked, double timeout_s)
    : endpoint_(resolve_primary(asked, timeout_s)) {
    const redis_endpoint& endpoint = endpoint_;
    const timeval tv = to_timeval(timeout_s);
    context_ = endpoint.is_unix()
                   ? redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), tv)
                   : redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
    if (context_ == nullptr) throw redis_error("cannot allocate a Redis connection");
    if (context_->err != 0) {
        const std::string why = context_->errstr;
        redisFree(context_);
        context_ = nullptr;
        throw redis_error(
            fmt::format("cannot connect to Redis at {}: {}", endpoint.describe(), why));
    }
    redisSetTimeout(context_, tv);
    try {
        if (!endpoint.password.empty()) {
            const redis_reply r = endpoint.user.empty()
                                      ? command({"AUTH", endpoint.password})
                                      : command({"AUTH", endpoint.user, endpoint.password});
            if (r.is_error()) {
                throw redis_error(fmt::format("Redis at {} refused the password: {}",
                                              endpoint.describe(), r.str));
            }
        }
        if (endpoint.db != 0) {
            const redis_reply r = command({"SELECT", std::to_string(endpoint.db)});
            if (r.is_error()) {
                throw redis_error(fmt::format("Redis at {} refused database {}: {}",
                                              endpoint.describe(), endpoint.db, r.str));
            }
        }
        const redis_reply pong = command({"PING"});
        if (pong.is_error()) {
            // NOAUTH when a password is needed and none was given.
            throw redis_error(
                fmt::format("Redis at {} refused PING: {}", endpoint.describe(), pong.str));
        }
        if (endpoint.via_sentinel() && !is_primary_role(command({"ROLE"}))) {
            throw redis_error(
                fmt::format("Redis at {} is not the primary (a replica, or the "
                            "sentinels are behind a failover)",
                            endpoint.describe()));
        }
    } catch (...) {
        redisFree(context_);
        context_ = nullptr;
        throw;
    }
}

redis_sync::~redis_sync() {
    if (context_ != nullptr) redisFree(context_);
}

redis_reply redis_sync::read_reply() {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
        throw redis_error(
            fmt::format("Redis at {}: {}", endpoint_.describe(),
                        context_->errstr[0] != '\0' ? context_->errstr : "connection lost"));
    }
    redisReply* reply = static_cast<redisReply*>(raw);
    redis_reply out = redis_reply::from(*reply);
    freeReplyObject(reply);
    return out;
}

redis_reply redis_sync::command(const std::vector<std::string_view>& argv) {
    redis_pipeline p;
    p.begin(argv.size());
    for (const std::string_view a : argv) p.arg(a);
    return std::move(run(p).front());
}

std::vector<redis_reply> redis_sync::run(const redis_pipeline& pipeline) {
    for (std::size_t i = 0; i < pipeline.size(); ++i) {
        const std::string_view cmd = pipeline.command(i);
        if (redisAppendFormattedCommand(context_, cmd.data(), cmd.size()) != REDIS_OK) {
            throw redis_error(
                fmt::format("Redis at {}: {}", endpoint_.describe(), context_->errstr));
        }
    }
    std::vector<redis_reply> replies;
    replies.reserve(pipeline.size());
    for (std::size_t i = 0; i < pipeline.size(); ++i) replies.push_back(read_reply());
    return replies;
}

std::vector<std::string> durability_warnings(redis_sync& redis) {
    std::vector<std::string> warnings;
    bool available = true;
    const std::string policy = config_value(redis, "maxmemory-policy", available);
    const std::string maxmemory = config_value(redis, "maxmemory", available);
    const std::string aof = config_value(redis, "appendonly", available);
    const std::string save = config_value(redis, "save", available);
    const std::string fsync = config_value(redis, "appendfsync", available);
    if (!available) {
        warnings.emplace_back(
            "cannot read Redis's CONFIG (disabled or renamed?): eviction and persistence "
            "settings are unchecked");
        return warnings;
    }
    if (policy != "noeviction") {
        // Even with maxmemory 0 (no limit yet): one CONFIG SET maxmemory away from evicting.
        warnings.emplace_back(fmt::format(
            "Redis's maxmemory-policy is '{}' (maxmemory {}): Redis may evict queued tasks and "
            "results; set maxmemory-policy noeviction",
            policy, maxmemory));
    }
    if (aof != "yes" && save.empty()) {
        warnings.emplace_back(
            "Redis has persistence off (appendonly no, no save points): a Redis restart loses "
            "every task and result; set appendonly yes");
    } else if (aof != "yes") {
        warnings.emplace_back(fmt::format(
            "Redis persists by snapshots only (appendonly no, save '{}'): a Redis crash loses "
            "the tasks accepted since the last snapshot; set appendonly yes",
            save));
    } else if (fsync == "no") {
        warnings.emplace_back(
            "Redis's appendfsync is 'no': a machine crash may lose up to ~30 s of accepted "
            "tasks; 'everysec' bounds it to ~1 s, 'always' to none");
    } else if (fsync == "everysec") {
        warnings.emplace_back(
            "Redis's appendfsync is 'everysec': a power cut may lose about the last second of "
            "accepted tasks and stored results (acknowledged = in Redis's memory, on disk "
            "within a second); set appendfsync always for acknowledged = on disk");
    }
    return warnings;
}

}  // namespace shoal::broker
