#pragma once
// Redis Sentinel (broker/README.md, "Redis Sentinel"): the broker's Redis is whichever server
// the sentinels name as the primary of a master name. It is asked at every connect (so a
// failover is followed by reconnecting), and the server reached must say it is a primary
// (ROLE) before anything is written: a broker never writes to a replica. A write answered
// READONLY (the server was demoted under us) drops the connection, which asks again.

#include <string>

#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"

namespace shoal::broker {

// The endpoint with host and port set to the primary's, asking each sentinel in turn (each
// bounded by timeout_s). An endpoint without sentinels is returned as it is. Throws
// redis_error naming what each sentinel said when none named a primary.
redis_endpoint resolve_primary(const redis_endpoint& endpoint, double timeout_s);

// Whether a ROLE reply is a primary's ("master").
bool is_primary_role(const redis_reply& role) noexcept;

// Whether an error reply says the server is a replica now (READONLY).
bool is_readonly_error(const redis_reply& reply) noexcept;

}  // namespace shoal::broker
