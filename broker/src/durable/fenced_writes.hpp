#pragma once
// write_batch: the commands of one write of the durable store, sent as they are, or, with a
// fence (an active broker's lease: ha/broker_lease.hpp), as one script that runs them only
// while the fence key still holds this broker's token, and otherwise answers the error
// "FENCED ..." and writes nothing. A broker that lost its lease while paused or cut off thus
// cannot write after a standby took over, whatever was in flight when it woke up.
//
// Commands are kept under max_command_args arguments each (the script passes a command's
// arguments through Lua's unpack, which takes at most a few thousand); callers split their
// variadic HSET/HDEL at that size, in both modes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_reply.hpp"

namespace shoal::broker {

struct write_fence {
    std::string key;    // e.g. shoal:broker:lease
    std::string token;  // what it must hold for a write to happen
};

// The most arguments of one command in a batch (command name included).
inline constexpr std::size_t max_command_args = 4000;

// Whether a reply is a fenced script's refusal.
bool is_fenced(const redis_reply& reply) noexcept;

class write_batch {
  public:
    explicit write_batch(const std::optional<write_fence>& fence) : fence_(fence) {}

    void begin(std::size_t argc);
    void arg(std::string_view a);
    template <class... Args>
    void add(const Args&... args) {
        begin(sizeof...(Args));
        (arg(std::string_view(args)), ...);
    }
    bool empty() const noexcept { return commands_ == 0; }

    // The pipeline to send: the commands, or one fenced script of them all.
    redis_pipeline finish();

  private:
    const std::optional<write_fence>& fence_;
    redis_pipeline plain_;
    std::vector<std::string> fenced_args_;  // per command: its argc, then its arguments
    std::size_t commands_ = 0;
};

}  // namespace shoal::broker
