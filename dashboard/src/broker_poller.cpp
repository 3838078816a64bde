#include "broker_poller.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "shoal/client/errors.hpp"

namespace shoal::dashboard::detail {

namespace {

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr std::array<const char*, 5> questions{"workers", "queues", "dead", "limits", "stats"};

}  // namespace

broker_poller::broker_poller(client& c, cluster_model& model, double interval_s, double timeout_s)
    : client_(c), model_(model), interval_s_(interval_s), timeout_s_(timeout_s) {}

void broker_poller::poll_once() {
    // All five asked at once, then collected: one slow answer does not delay the others.
    const std::uint64_t asked = model_.order_now();
    std::vector<concurrent::future<proto::report>> answers;
    answers.reserve(questions.size());
    for (const char* what : questions) answers.push_back(client_.inspect(what));
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(timeout_s_));
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const std::string what = questions[i];
        const double left =
            std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count();
        try {
            const proto::report report = answers[i].result(std::max(left, 0.0));
            model_.apply_report(report, asked, unix_now());
        } catch (const broker_error& e) {
            model_.report_failed(what, e.code(), e.what(), unix_now());
        } catch (const timeout_error&) {
            answers[i].cancel();
            model_.report_failed(what, "timeout", "the broker did not answer in time", unix_now());
        } catch (const std::exception& e) {
            model_.report_failed(what, "failed", e.what(), unix_now());
        }
    }
}

void broker_poller::run(const std::atomic<bool>& stop) {
    using namespace std::chrono_literals;
    while (!stop.load()) {
        // A moment for a session that is coming up (at start, after a reconnect), so that
        // the page does not show the broker unreachable while it is being reached.
        if (!client_.connected()) client_.wait_connected(std::min(interval_s_, 1.0));
        if (client_.connected()) {
            poll_once();
        } else {
            for (const char* what : questions) {
                model_.report_failed(what, "unreachable", "the broker is not connected",
                                     unix_now());
            }
        }
        const auto next = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(interval_s_));
        while (!stop.load() && std::chrono::steady_clock::now() < next) {
            std::this_thread::sleep_for(100ms);
        }
    }
}

}  // namespace shoal::dashboard::detail
