#pragma once
// Where the broker's Redis is, from the URL given to --redis:
//
//     redis://[:password@]host[:port][/db]     TCP (port 6379 and db 0 by default)
//     unix:///path/to/redis.sock[?db=N]        a Unix socket (password: unix://:pw@/path)
//
// The password may also be given with a user name before it (redis://user:pw@host), as
// Redis 6's ACLs allow; the user name is then sent with AUTH.

#include <string>
#include <string_view>

#include "shoal/common/errors.hpp"

namespace shoal::broker {

// Redis could not be reached, refused us, or answered something we cannot use.
class redis_error : public shoal::error {
  public:
    using shoal::error::error;
};

struct redis_endpoint {
    std::string host;  // TCP: host name or address
    int port = 6379;
    std::string unix_path;  // Unix socket: its path (host is then empty)
    std::string user;       // empty: AUTH with the password alone
    std::string password;   // empty: no AUTH
    int db = 0;

    bool is_unix() const noexcept { return !unix_path.empty(); }
    // For logs and errors: the URL without its password.
    std::string describe() const;
};

// Throws redis_error naming what is wrong with the URL.
redis_endpoint parse_redis_url(std::string_view url);

}  // namespace shoal::broker
