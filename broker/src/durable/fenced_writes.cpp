#include "durable/fenced_writes.hpp"

namespace shoal::broker {

namespace {

// KEYS: the fence key. ARGV: the token, then each command as its argument count and its
// arguments. All or nothing as far as the fence goes: checked once, before any command.
constexpr std::string_view fenced_script = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('FENCED this broker no longer holds the lease')
end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 'OK'
)lua";

constexpr std::string_view fenced_prefix = "FENCED";

}  // namespace

bool is_fenced(const redis_reply& reply) noexcept {
    return reply.is_error() && reply.str.compare(0, fenced_prefix.size(), fenced_prefix) == 0;
}

void write_batch::begin(std::size_t argc) {
    ++commands_;
    if (fence_) {
        fenced_args_.push_back(std::to_string(argc));
    } else {
        plain_.begin(argc);
    }
}

void write_batch::arg(std::string_view a) {
    if (fence_) {
        fenced_args_.emplace_back(a);
    } else {
        plain_.arg(a);
    }
}

redis_pipeline write_batch::finish() {
    if (!fence_ || commands_ == 0) return std::move(plain_);
    redis_pipeline p;
    p.begin(5 + fenced_args_.size());
    p.arg("EVAL");
    p.arg(fenced_script);
    p.arg("1");
    p.arg(fence_->key);
    p.arg(fence_->token);
    for (const std::string& a : fenced_args_) p.arg(a);
    return p;
}

}  // namespace shoal::broker
