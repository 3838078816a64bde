#include "redis/sentinel_watch.hpp"

#include <charconv>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

namespace shoal::broker {

namespace {

constexpr const char* channel = "+switch-master";
// Between two sentinels: a watch without a sentinel costs nothing but a later switch.
constexpr double retry_delay_s = 1.0;

}  // namespace

std::optional<switched_master> parse_switch_master(std::string_view message,
                                                   std::string_view master) {
    std::vector<std::string_view> words;
    while (!message.empty() && words.size() < 6) {
        const auto space = message.find(' ');
        const std::string_view word = message.substr(0, space);
        if (!word.empty()) words.push_back(word);
        message = space == std::string_view::npos ? std::string_view{} : message.substr(space + 1);
    }
    if (words.size() != 5 || words[0] != master) return std::nullopt;
    switched_master to;
    to.host = std::string(words[3]);
    const std::string_view port = words[4];
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), to.port);
    if (ec != std::errc{} || end != port.data() + port.size() || to.port <= 0 || to.port > 65535)
        return std::nullopt;
    return to;
}

struct sentinel_watch::hooks {
    static void on_message(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
        if (ac->data != nullptr) static_cast<sentinel_watch*>(ac->data)->on_message(reply);
    }
};

sentinel_watch::sentinel_watch(event_loop& loop, std::vector<sentinel_address> sentinels,
                               std::string master, double timeout_s)
    : loop_(loop),
      sentinels_(std::move(sentinels)),
      master_(std::move(master)),
      timeout_s_(timeout_s),
      driver_(loop) {}

sentinel_watch::~sentinel_watch() { stop(); }

void sentinel_watch::start() {
    if (!stopped_ || sentinels_.empty()) return;
    stopped_ = false;
    connect();
}

void sentinel_watch::stop() {
    stopped_ = true;
    retry_timer_.cancel();
    subscribe_deadline_.cancel();
    if (context_ != nullptr) {
        context_->data = nullptr;  // no more messages, whatever hiredis still calls back
        redisAsyncFree(context_);  // ends in on_gone
    }
}

void sentinel_watch::connect() {
    if (stopped_ || context_ != nullptr) return;
    const sentinel_address& s = sentinels_[next_++ % sentinels_.size()];
    redisAsyncContext* ac = redisAsyncConnect(s.host.c_str(), s.port);
    if (ac == nullptr || ac->err != 0) {
        if (ac != nullptr) redisAsyncFree(ac);
        retry_timer_ = loop_.call_later(retry_delay_s, [this] { connect(); });
        return;
    }
    context_ = ac;
    ac->data = this;
    driver_.attach(ac, [this](const std::string&) { on_gone(); });
    if (redisAsyncCommand(ac, &hooks::on_message, nullptr, "SUBSCRIBE %s", channel) != REDIS_OK) {
        redisAsyncFree(ac);
        return;
    }
    // A sentinel that takes the connection but never answers (paused, cut off) is left.
    subscribe_deadline_ = loop_.call_later(timeout_s_, [this] { check_subscribed(); });
}

void sentinel_watch::check_subscribed() {
    if (!subscribed_ && context_ != nullptr) redisAsyncFree(context_);
}

void sentinel_watch::on_gone() {
    context_ = nullptr;
    subscribed_ = false;
    subscribe_deadline_.cancel();
    if (stopped_) return;
    retry_timer_ = loop_.call_later(retry_delay_s, [this] { connect(); });
}

void sentinel_watch::on_message(void* raw) {
    const auto* reply = static_cast<const redisReply*>(raw);
    // ["subscribe", channel, n] once, then ["message", channel, text] per announcement.
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return;
    const redisReply* kind = reply->element[0];
    const redisReply* text = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING) return;
    const std::string_view k(kind->str, kind->len);
    if (k == "subscribe") {
        subscribed_ = true;
        return;
    }
    if (k != "message" || text->type != REDIS_REPLY_STRING) return;
    const auto to = parse_switch_master(std::string_view(text->str, text->len), master_);
    if (!to) return;
    spdlog::info("shoal-broker: Sentinel moved master '{}' to {}:{}", master_, to->host, to->port);
    if (on_switch) on_switch(*to);
}

}  // namespace shoal::broker
