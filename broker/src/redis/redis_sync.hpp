#pragma once
// redis_sync: a blocking Redis connection with a timeout on every call, for what the broker
// does before it serves (the startup checks and recovery, when blocking is what we want: a
// broker that cannot reach its Redis must not start). Serving uses redis_connection instead.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"

struct redisContext;

namespace shoal::broker {

class redis_sync {
  public:
    // Connects, authenticates and selects the database. Throws redis_error with a message
    // that says what failed and where (unreachable, wrong password, no such database).
    redis_sync(const redis_endpoint& endpoint, double timeout_s);
    ~redis_sync();
    redis_sync(const redis_sync&) = delete;
    redis_sync& operator=(const redis_sync&) = delete;

    // One command; an error reply is returned, not thrown. Throws redis_error when the
    // connection fails or times out.
    redis_reply command(const std::vector<std::string_view>& argv);
    // Every command of the pipeline, then every reply, in order.
    std::vector<redis_reply> run(const redis_pipeline& pipeline);

  private:
    redis_reply read_reply();

    redis_endpoint endpoint_;
    redisContext* context_ = nullptr;
};

// What the broker checks at startup, besides being able to connect: whether Redis may evict
// our keys or forget writes on a crash. Each warning is one sentence for the log.
std::vector<std::string> durability_warnings(redis_sync& redis);

}  // namespace shoal::broker
