#include "redis/redis_url.hpp"

#include <charconv>

#include <fmt/format.h>

namespace shoal::broker {

namespace {

int parse_int(std::string_view text, int min, int max, std::string_view what,
              std::string_view url) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
        value > max) {
        throw redis_error(fmt::format("redis URL '{}': {} '{}' must be a number from {} to {}", url,
                                      what, text, min, max));
    }
    return value;
}

// "[user]:password@" before the host or path, if present; removes it from `rest`.
void take_credentials(std::string_view& rest, redis_endpoint& out, std::string_view url) {
    const auto at = rest.rfind('@');
    if (at == std::string_view::npos) return;
    const std::string_view creds = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const auto colon = creds.find(':');
    if (colon == std::string_view::npos) {
        throw redis_error(fmt::format(
            "redis URL '{}': credentials must be ':password@' or 'user:password@'", url));
    }
    out.user = std::string(creds.substr(0, colon));
    out.password = std::string(creds.substr(colon + 1));
}

}  // namespace

std::string redis_endpoint::describe() const {
    const std::string auth = password.empty() ? "" : (user.empty() ? ":***@" : user + ":***@");
    if (is_unix()) return fmt::format("unix://{}{}?db={}", auth, unix_path, db);
    if (via_sentinel()) {
        std::string list;
        for (const sentinel_address& s : sentinels) {
            list += fmt::format("{}{}:{}", list.empty() ? "" : ",", s.host, s.port);
        }
        const std::string primary = host.empty() ? "" : fmt::format(" (primary {}:{})", host, port);
        return fmt::format("redis+sentinel://{}{}/{}/{}{}", auth, list, master, db, primary);
    }
    return fmt::format("redis://{}{}:{}/{}", auth, host, port, db);
}

redis_endpoint parse_redis_url(std::string_view url) {
    redis_endpoint out;
    constexpr std::string_view tcp = "redis://";
    constexpr std::string_view sentinel = "redis+sentinel://";
    if (url.substr(0, sentinel.size()) == sentinel) {
        std::string_view rest = url.substr(sentinel.size());
        take_credentials(rest, out, url);
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
            throw redis_error(fmt::format(
                "redis URL '{}': a sentinel URL names its master: redis+sentinel://host:26379,.../"
                "MASTER[/db]",
                url));
        }
        std::string_view hosts = rest.substr(0, slash);
        std::string_view path = rest.substr(slash + 1);
        if (const auto db = path.find('/'); db != std::string_view::npos) {
            if (db + 1 < path.size())
                out.db = parse_int(path.substr(db + 1), 0, 1'000'000, "database", url);
            path = path.substr(0, db);
        }
        out.master = std::string(path);
        while (!hosts.empty()) {
            const auto comma = hosts.find(',');
            std::string_view one = hosts.substr(0, comma);
            hosts = comma == std::string_view::npos ? std::string_view() : hosts.substr(comma + 1);
            if (one.empty()) continue;
            sentinel_address a;
            if (const auto colon = one.rfind(':'); colon != std::string_view::npos) {
                a.port = parse_int(one.substr(colon + 1), 1, 65535, "sentinel port", url);
                one = one.substr(0, colon);
            }
            if (one.empty())
                throw redis_error(fmt::format("redis URL '{}': a sentinel without a host", url));
            a.host = std::string(one);
            out.sentinels.push_back(std::move(a));
        }
        if (out.sentinels.empty()) {
            throw redis_error(fmt::format("redis URL '{}': no sentinel", url));
        }
        return out;
    }
    constexpr std::string_view unix_scheme = "unix://";
    if (url.substr(0, tcp.size()) == tcp) {
        std::string_view rest = url.substr(tcp.size());
        take_credentials(rest, out, url);
        if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
            const std::string_view db = rest.substr(slash + 1);
            if (!db.empty()) out.db = parse_int(db, 0, 1'000'000, "database", url);
            rest = rest.substr(0, slash);
        }
        std::string_view host = rest;
        if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
            const auto close = rest.find(']');
            if (close == std::string_view::npos) {
                throw redis_error(fmt::format("redis URL '{}': unclosed '[' in the host", url));
            }
            host = rest.substr(1, close - 1);
            rest.remove_prefix(close + 1);
            if (!rest.empty() && rest.front() != ':') {
                throw redis_error(fmt::format("redis URL '{}': junk after the host", url));
            }
            if (!rest.empty()) out.port = parse_int(rest.substr(1), 1, 65535, "port", url);
        } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            host = rest.substr(0, colon);
            out.port = parse_int(rest.substr(colon + 1), 1, 65535, "port", url);
        }
        if (host.empty()) throw redis_error(fmt::format("redis URL '{}': no host", url));
        out.host = std::string(host);
        return out;
    }
    if (url.substr(0, unix_scheme.size()) == unix_scheme) {
        std::string_view rest = url.substr(unix_scheme.size());
        take_credentials(rest, out, url);
        if (const auto q = rest.find('?'); q != std::string_view::npos) {
            const std::string_view query = rest.substr(q + 1);
            if (query.substr(0, 3) != "db=") {
                throw redis_error(fmt::format("redis URL '{}': the only query is ?db=N", url));
            }
            out.db = parse_int(query.substr(3), 0, 1'000'000, "database", url);
            rest = rest.substr(0, q);
        }
        if (rest.empty() || rest.front() != '/') {
            throw redis_error(fmt::format(
                "redis URL '{}': a Unix socket needs an absolute path (unix:///path)", url));
        }
        out.unix_path = std::string(rest);
        return out;
    }
    throw redis_error(
        fmt::format("redis URL '{}': must start with redis:// (TCP), unix:// (a Unix socket) or "
                    "redis+sentinel:// (the primary Redis Sentinel names)",
                    url));
}

}  // namespace shoal::broker
