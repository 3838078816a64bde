#pragma once
// redis_reply: one Redis reply, copied out of hiredis's (which it frees after the callback),
// and redis_pipeline: commands formatted in the Redis protocol (RESP) ahead of sending, so a
// batch of thousands costs one buffer, not an allocation per argument.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace shoal::broker {

struct redis_reply {
    enum class kind { nil, integer, string, status, error, array };
    kind type = kind::nil;
    long long integer = 0;
    std::string str;  // string, status and error replies
    std::vector<redis_reply> elements;

    static redis_reply from(const redisReply& r);
    bool is_error() const noexcept { return type == kind::error; }
    bool is_nil() const noexcept { return type == kind::nil; }
};

class redis_pipeline {
  public:
    // One command of `argc` arguments follows: arg() is then called argc times.
    void begin(std::size_t argc);
    void arg(std::string_view a);
    void arg(std::uint64_t n);
    // A command of fixed arguments at once.
    template <class... Args>
    void add(const Args&... args) {
        begin(sizeof...(Args));
        (arg(args), ...);
    }

    std::size_t size() const noexcept { return ends_.size(); }
    bool empty() const noexcept { return ends_.empty(); }
    std::size_t bytes() const noexcept { return buffer_.size(); }
    // The i-th command, formatted.
    std::string_view command(std::size_t i) const;
    void clear() noexcept;

  private:
    void close_command();

    std::string buffer_;
    std::vector<std::size_t> ends_;  // where each command ends in buffer_
    std::size_t args_left_ = 0;
};

}  // namespace shoal::broker
