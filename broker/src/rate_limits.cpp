#include "rate_limits.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "shoal/broker/broker_config.hpp"

namespace shoal::broker {

rate_limit_spec parse_rate_limit(std::string_view text) {
    const auto bad = [&](const char* why) {
        return config_error(
            fmt::format("rate limit '{}': {} (write NAME=N/s, N/m or N/h)", text, why));
    };
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) throw bad("no task name");
    rate_limit_spec spec;
    spec.name = std::string(text.substr(0, eq));
    std::string_view rate = text.substr(eq + 1);
    double per = 1;
    if (const auto slash = rate.find('/'); slash != std::string_view::npos) {
        const std::string_view unit = rate.substr(slash + 1);
        if (unit == "s") {
            per = 1;
        } else if (unit == "m") {
            per = 60;
        } else if (unit == "h") {
            per = 3600;
        } else {
            throw bad("the unit must be s, m or h");
        }
        rate = rate.substr(0, slash);
    }
    double n = 0;
    const auto [end, ec] = std::from_chars(rate.data(), rate.data() + rate.size(), n);
    if (ec != std::errc{} || end != rate.data() + rate.size() || !(n > 0) || n > 1e9) {
        throw bad("the rate must be a positive number");
    }
    spec.per_second = n / per;
    return spec;
}

std::vector<rate_limit_spec> parse_rate_limits(std::string_view text) {
    std::vector<rate_limit_spec> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view one = text.substr(0, comma);
        if (!one.empty()) out.push_back(parse_rate_limit(one));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

void rate_limits::set(name_id name, double per_second) {
    if (buckets_.size() <= name) buckets_.resize(name + 1);
    bucket& b = buckets_[name];
    b.per_second = per_second;
    b.capacity = std::max(1.0, per_second / 10);
    b.tokens = b.capacity;
}

void rate_limits::refill(bucket& b, double now) const {
    if (now > b.at) {
        b.tokens = std::min(b.capacity, b.tokens + (now - b.at) * b.per_second);
        b.at = now;
    }
}

bool rate_limits::try_take(name_id name, double now) {
    bucket& b = buckets_[name];
    refill(b, now);
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
    }
    const double due = now + (1 - b.tokens) / b.per_second;
    wake_up_ = wake_up_ ? std::min(*wake_up_, due) : due;
    return false;
}

double rate_limits::next_token_at(name_id name, double now) {
    bucket& b = buckets_[name];
    refill(b, now);
    return b.tokens >= 1 ? now : now + (1 - b.tokens) / b.per_second;
}

std::optional<double> rate_limits::take_wake_up() {
    auto w = wake_up_;
    wake_up_.reset();
    return w;
}

}  // namespace shoal::broker
