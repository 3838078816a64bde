// The direct lane (process_pool_direct_lane.hpp).

#include "process_pool_direct_lane.hpp"

#include <utility>

#include "process_pool_wire.hpp"

namespace shoal::detail::pool {

bool direct_lane::fits(const queued_call& call) noexcept {
    constexpr std::size_t frame_overhead = 64;  // kind, id, the lengths and the prefix
    return !call.time_limit && !call.soft_time_limit &&
           call.name.size() + call.args.size() + frame_overhead <= frame_limit;
}

bool direct_lane::offer(int fd) noexcept {
    if (sent_ || lost_) return false;
    fd_ = fd;
    idle_ = true;
    return true;
}

bool direct_lane::send(queued_call& call) {
    if (!call.completion->start()) {
        return true;  // cancelled before it started: skipped, as the manager's dispatch does
    }
    call.started = true;
    idle_ = false;
    const std::string frame = pool_wire::encode(
        pool_wire::request{pool_wire::request_kind::call, call.id, call.name, call.args});
    if (pool_wire::write_all(fd_, frame)) {
        sent_ = std::move(call);
        return true;
    }
    lost_ = true;
    return false;
}

direct_lane::taken_back direct_lane::take_back() noexcept {
    idle_ = false;
    taken_back taken{std::move(sent_), std::exchange(lost_, false)};
    sent_.reset();
    return taken;
}

}  // namespace shoal::detail::pool
