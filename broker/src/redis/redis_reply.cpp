#include "redis/redis_reply.hpp"

#include <cassert>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

namespace shoal::broker {

redis_reply redis_reply::from(const redisReply& r) {
    redis_reply out;
    switch (r.type) {
        case REDIS_REPLY_INTEGER:
            out.type = kind::integer;
            out.integer = r.integer;
            break;
        case REDIS_REPLY_STRING:
            out.type = kind::string;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = kind::status;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = kind::error;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = kind::array;
            out.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i)
                out.elements.push_back(from(*r.element[i]));
            break;
        default:
            out.type = kind::nil;
            break;
    }
    return out;
}

void redis_pipeline::begin(std::size_t argc) {
    assert(args_left_ == 0);
    fmt::format_to(std::back_inserter(buffer_), "*{}\r\n", argc);
    args_left_ = argc;
    if (argc == 0) close_command();
}

void redis_pipeline::arg(std::string_view a) {
    assert(args_left_ > 0);
    fmt::format_to(std::back_inserter(buffer_), "${}\r\n", a.size());
    buffer_.append(a);
    buffer_.append("\r\n");
    if (--args_left_ == 0) close_command();
}

void redis_pipeline::arg(std::uint64_t n) {
    const auto text = fmt::format_int(n);
    arg(std::string_view(text.data(), text.size()));
}

void redis_pipeline::close_command() { ends_.push_back(buffer_.size()); }

std::string_view redis_pipeline::command(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(buffer_).substr(begin, ends_[i] - begin);
}

void redis_pipeline::clear() noexcept {
    buffer_.clear();
    ends_.clear();
    args_left_ = 0;
}

}  // namespace shoal::broker
