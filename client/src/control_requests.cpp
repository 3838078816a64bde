#include "control_requests.hpp"

#include <algorithm>
#include <utility>

#include "shoal/common/errors.hpp"

namespace shoal::detail {

namespace {

// The asker may have cancelled its future: then nobody listens, which is fine.
template <class Future, class Value>
void answer(Future& reply, Value&& value) {
    reply.try_set_result(std::forward<Value>(value));
}

}  // namespace

void control_requests::add_inspect(std::string what, concurrent::future<proto::report> reply) {
    inspects_.push_back({proto::command::inspect, std::move(what), std::move(reply), {}});
}

void control_requests::add_admin(proto::admin request, concurrent::future<proto::report> reply) {
    std::string what = request.action;
    inspects_.push_back(
        {proto::command::admin, std::move(what), std::move(reply), std::move(request)});
}

void control_requests::add_purge(std::string queue, concurrent::future<std::uint64_t> reply) {
    purges_.push_back({std::move(queue), std::move(reply)});
}

bool control_requests::on_report(proto::report report) {
    const auto it = std::find_if(inspects_.begin(), inspects_.end(),
                                 [&](const inspect_request& r) { return r.what == report.what; });
    if (it == inspects_.end()) return false;
    auto reply = std::move(it->reply);
    inspects_.erase(it);
    answer(reply, std::move(report));
    return true;
}

bool control_requests::on_purged(const proto::purged& purged) {
    const auto it = std::find_if(purges_.begin(), purges_.end(),
                                 [&](const purge_request& r) { return r.queue == purged.queue; });
    if (it == purges_.end()) return false;
    auto reply = std::move(it->reply);
    purges_.erase(it);
    answer(reply, purged.count);
    return true;
}

void control_requests::for_each_request(
    const std::function<void(const proto::inspect&)>& send_inspect,
    const std::function<void(const proto::admin&)>& send_admin,
    const std::function<void(const proto::purge&)>& send_purge) const {
    for (const auto& r : inspects_) {
        if (r.kind == proto::command::admin) {
            send_admin(r.admin);
        } else {
            send_inspect(proto::inspect{r.what});
        }
    }
    for (const auto& r : purges_) send_purge(proto::purge{r.queue});
}

bool control_requests::fail_oldest(proto::command kind, const std::exception_ptr& error) {
    const auto asked = std::find_if(inspects_.begin(), inspects_.end(),
                                    [&](const inspect_request& r) { return r.kind == kind; });
    if (asked != inspects_.end()) {
        auto reply = std::move(asked->reply);
        inspects_.erase(asked);
        reply.try_set_exception(error);
        return true;
    }
    if (kind == proto::command::purge && !purges_.empty()) {
        auto reply = std::move(purges_.front().reply);
        purges_.pop_front();
        reply.try_set_exception(error);
        return true;
    }
    return false;
}

void control_requests::fail_all(const std::exception_ptr& error) {
    auto inspects = std::move(inspects_);
    auto purges = std::move(purges_);
    inspects_.clear();
    purges_.clear();
    for (auto& r : inspects) {
        r.reply.try_set_exception(error);
    }
    for (auto& r : purges) {
        r.reply.try_set_exception(error);
    }
}

}  // namespace shoal::detail
