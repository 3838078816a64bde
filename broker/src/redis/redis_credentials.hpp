#pragma once
// Where the broker's Redis password comes from (SECURITY.md, "Redis"): a file readable by
// the broker's user only (redis_password_file), or the environment (SHOAL_REDIS_PASSWORD),
// never a flag that `ps` would show. A password inside the --redis URL still works, for
// compatibility, with a warning. The ACL user name is no secret: redis_user, or the URL's.

#include "redis/redis_url.hpp"
#include "shoal/broker/broker_config.hpp"

namespace shoal::broker {

// Sets `endpoint`'s user and password from the config. Throws broker_error when the
// password is given more than one way, the file is unreadable, readable by others, or
// empty, or two different user names are given.
void apply_redis_credentials(redis_endpoint& endpoint, const broker_config& config);

}  // namespace shoal::broker
