#include "ha/broker_lease.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace shoal::broker {

namespace {

// KEYS: the lease, the epoch. ARGV: the holder, the lease time (ms). Takes the lease only if
// nobody holds it (SET NX PX), with an epoch one past every earlier one.
constexpr std::string_view take_script = R"lua(
local held = redis.call('GET', KEYS[1])
if held then return {0, held, redis.call('PTTL', KEYS[1])} end
local token = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
if not redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[2]) then return {0, '', -1} end
return {1, token, tonumber(ARGV[2])}
)lua";

// KEYS: the lease. ARGV: our token, the lease time. Renewed only while it is still ours.
constexpr std::string_view renew_script = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: the lease. ARGV: our token.
constexpr std::string_view give_up_script = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
)lua";

// A renewal's deadline is cut by this share of the lease, for a Redis clock that runs fast
// against ours and the time a renewal takes to reach it.
constexpr double clock_margin = 0.1;

}  // namespace

std::uint64_t lease_epoch(std::string_view token) {
    std::uint64_t epoch = 0;
    const auto colon = token.find(':');
    if (colon == std::string_view::npos) return 0;
    if (std::from_chars(token.data(), token.data() + colon, epoch).ec != std::errc{}) return 0;
    return epoch;
}

std::string_view lease_holder(std::string_view token) {
    const auto colon = token.find(':');
    return colon == std::string_view::npos ? token : token.substr(colon + 1);
}

lease_view try_take_lease(redis_sync& redis, std::string_view holder, std::uint32_t ttl_ms) {
    const std::string ttl = std::to_string(ttl_ms);
    return read_take_reply(
        redis.command({"EVAL", take_script, "2", lease_key, lease_epoch_key, holder, ttl}));
}

void add_take_lease(redis_pipeline& p, std::string_view holder, std::uint32_t ttl_ms) {
    p.add("EVAL", take_script, "2", lease_key, lease_epoch_key, holder, std::to_string(ttl_ms));
}

lease_view read_take_reply(const redis_reply& r) {
    if (r.is_error()) throw redis_error("taking the broker lease: " + r.str);
    if (r.elements.size() != 3) throw redis_error("taking the broker lease: unexpected reply");
    lease_view v;
    v.ours = r.elements[0].integer == 1;
    v.token = r.elements[1].str;
    v.ttl_ms = r.elements[2].integer;
    return v;
}

lease_view read_lease(redis_sync& redis) {
    redis_pipeline p;
    p.add("GET", lease_key);
    p.add("PTTL", lease_key);
    const std::vector<redis_reply> r = redis.run(p);
    lease_view v;
    if (r.size() == 2 && r[0].type == redis_reply::kind::string) {
        v.token = r[0].str;
        v.ttl_ms = r[1].integer;
    }
    return v;
}

bool give_up_lease(redis_sync& redis, std::string_view token) {
    const redis_reply r = redis.command({"EVAL", give_up_script, "1", lease_key, token});
    return !r.is_error() && r.integer == 1;
}

lease_keeper::lease_keeper(event_loop& loop, redis_endpoint endpoint, double timeout_s,
                           std::string token, std::uint32_t ttl_ms)
    : loop_(loop),
      connection_(loop, redis_connection_options{std::move(endpoint), timeout_s, 0.05,
                                                 std::max(0.05, ttl_ms / 6000.0)}),
      token_(std::move(token)),
      ttl_ms_(ttl_ms) {
    connection_.on_up = [this] {
        if (!renewing_) renew();
    };
}

lease_keeper::~lease_keeper() {
    renew_timer_.cancel();
    check_timer_.cancel();
    connection_.stop();
}

void lease_keeper::start() {
    // The lease was just taken (or renewed) by the caller: sure for a lease time from now.
    sure_until_ = loop_.time() + ttl_ms_ / 1000.0 * (1 - clock_margin);
    connection_.start();
    check();
}

void lease_keeper::renew() {
    renew_timer_.cancel();
    if (gone_) return;
    const double sent_at = loop_.time();
    redis_pipeline p;
    p.add("EVAL", renew_script, "1", lease_key, token_, std::to_string(ttl_ms_));
    renewing_ = connection_.send(p, [this, sent_at](redis_batch_result&& r) {
        renewing_ = false;
        if (gone_) return;
        if (r.delivered && !r.replies.empty() && r.replies[0].integer == 1) {
            ++renewals_;
            // Redis set the TTL after we sent: from the send, the lease is surely ours.
            sure_until_ = std::max(sure_until_, sent_at + ttl_ms_ / 1000.0 * (1 - clock_margin));
        } else if (r.delivered && !r.replies.empty() && !r.replies[0].is_error()) {
            return lose("another broker holds the lease now");
        } else {
            spdlog::warn("shoal-broker: renewing the lease failed ({}); retrying",
                         r.delivered ? r.replies[0].str : r.failure);
        }
        renew_timer_ = loop_.call_later(ttl_ms_ / 3000.0, [this] { renew(); });
    });
    if (!renewing_) {
        // Redis is down: the connection renews when it comes back up (on_up).
        renew_timer_ = loop_.call_later(ttl_ms_ / 3000.0, [this] { renew(); });
    }
}

void lease_keeper::check() {
    if (gone_) return;
    if (loop_.time() >= sure_until_) {
        return lose("the lease could not be renewed in time (Redis unreachable?)");
    }
    if (!renewing_ && !renew_timer_.pending()) renew();
    check_timer_ = loop_.call_later(std::min(0.05, ttl_ms_ / 20000.0), [this] { check(); });
}

void lease_keeper::lose(const std::string& why) {
    if (gone_) return;
    gone_ = true;
    renew_timer_.cancel();
    check_timer_.cancel();
    connection_.stop();
    if (lost) lost(why);
}

}  // namespace shoal::broker
