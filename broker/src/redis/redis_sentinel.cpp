#include "redis/redis_sentinel.hpp"

#include <sys/time.h>

#include <charconv>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

namespace shoal::broker {

namespace {

struct context_free {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct reply_free {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};

// What one sentinel says of `master`: the primary's host and port, or why not.
bool ask(const sentinel_address& s, const std::string& master, double timeout_s,
         redis_endpoint& out, std::string& why) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s - std::floor(timeout_s)) * 1e6);
    std::unique_ptr<redisContext, context_free> c(
        redisConnectWithTimeout(s.host.c_str(), s.port, tv));
    if (!c || c->err != 0) {
        why = c ? c->errstr : "out of memory";
        return false;
    }
    redisSetTimeout(c.get(), tv);
    std::unique_ptr<redisReply, reply_free> r(static_cast<redisReply*>(redisCommand(
        c.get(), "SENTINEL get-master-addr-by-name %b", master.data(), master.size())));
    if (!r) {
        why = c->errstr;
        return false;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                           : "it knows no master of that name";
        return false;
    }
    int port = 0;
    const std::string_view p(r->element[1]->str, r->element[1]->len);
    if (std::from_chars(p.data(), p.data() + p.size(), port).ec != std::errc{}) {
        why = "an unreadable port";
        return false;
    }
    out.host.assign(r->element[0]->str, r->element[0]->len);
    out.port = port;
    return true;
}

}  // namespace

redis_endpoint resolve_primary(const redis_endpoint& endpoint, double timeout_s) {
    if (!endpoint.via_sentinel()) return endpoint;
    redis_endpoint out = endpoint;
    std::string said;
    for (const sentinel_address& s : endpoint.sentinels) {
        std::string why;
        if (ask(s, endpoint.master, timeout_s, out, why)) return out;
        said += fmt::format("{}{}:{}: {}", said.empty() ? "" : "; ", s.host, s.port, why);
    }
    throw redis_error(
        fmt::format("no sentinel named the primary of '{}' ({})", endpoint.master, said));
}

bool is_primary_role(const redis_reply& role) noexcept {
    return role.type == redis_reply::kind::array && !role.elements.empty() &&
           role.elements[0].str == "master";
}

bool is_readonly_error(const redis_reply& reply) noexcept {
    // Also inside a script's error ("... READONLY You can't write against a read only replica").
    return reply.is_error() && reply.str.find("READONLY") != std::string::npos;
}

}  // namespace shoal::broker
