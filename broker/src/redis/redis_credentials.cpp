#include "redis/redis_credentials.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "shoal/broker/broker_error.hpp"
#include "shoal/common/secret_file.hpp"

namespace shoal::broker {

namespace {

// The first line of the file: editors and `echo` end it with a newline, which is not part
// of the password.
std::string password_from_file(const std::string& path) {
    std::string text;
    try {
        text = read_secret_file(path, "a Redis password file");
    } catch (const secret_file_error& e) {
        throw broker_error(fmt::format("redis_password_file: {}", e.what()));
    }
    text = text.substr(0, text.find_first_of("\r\n"));
    if (text.empty()) throw broker_error("redis_password_file: " + path + " holds no password");
    return text;
}

}  // namespace

void apply_redis_credentials(redis_endpoint& endpoint, const broker_config& config) {
    const int ways = (endpoint.password.empty() ? 0 : 1) +
                     (config.redis_password_file.empty() ? 0 : 1) +
                     (config.redis_password.empty() ? 0 : 1);
    if (ways > 1) {
        throw broker_error(
            "the Redis password is given more than one way (in the redis URL, "
            "redis_password_file, SHOAL_REDIS_PASSWORD): give it once");
    }
    if (!config.redis_user.empty()) {
        if (!endpoint.user.empty() && endpoint.user != config.redis_user) {
            throw broker_error(fmt::format("redis_user '{}' and the redis URL's user '{}' differ",
                                           config.redis_user, endpoint.user));
        }
        endpoint.user = config.redis_user;
    }
    if (!config.redis_password_file.empty()) {
        endpoint.password = password_from_file(config.redis_password_file);
    } else if (!config.redis_password.empty()) {
        endpoint.password = config.redis_password;
    } else if (!endpoint.password.empty()) {
        spdlog::warn(
            "shoal-broker: the Redis password is in the redis URL, which a command line "
            "shows to every user of this host (ps); use redis_password_file or "
            "SHOAL_REDIS_PASSWORD");
    }
    if (!endpoint.user.empty() && endpoint.password.empty()) {
        throw broker_error(fmt::format(
            "Redis user '{}' has no password: give redis_password_file or SHOAL_REDIS_PASSWORD",
            endpoint.user));
    }
}

}  // namespace shoal::broker
