#include "shoal/common/http_listener.hpp"

#include <httplib.h>

#include <chrono>
#include <future>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "shoal/common/http_bind.hpp"

namespace shoal {

http_listener::http_listener(event_loop& loop, answerer answer, std::vector<std::string> paths)
    : loop_(loop), answer_(std::move(answer)), paths_(std::move(paths)) {}

http_listener::~http_listener() { stop(); }

http_answer http_listener::ask_loop(std::string path) {
    auto reply = std::make_shared<std::promise<http_answer>>();
    std::future<http_answer> answer = reply->get_future();
    try {
        loop_.call_soon_threadsafe(
            [this, reply, path = std::move(path), alive = std::weak_ptr<bool>(alive_)]() mutable {
                const auto still = alive.lock();
                if (!still || !*still) {
                    reply->set_value({503, "the broker is closing\n"});
                    return;
                }
                try {
                    reply->set_value(answer_(path));
                } catch (const std::exception& e) {
                    reply->set_value({500, fmt::format("error: {}\n", e.what())});
                }
            });
    } catch (const std::exception&) {
        return {503, "the broker's loop is closed\n"};
    }
    if (answer.wait_for(std::chrono::duration<double>(answer_timeout_s)) !=
        std::future_status::ready) {
        return {503,
                fmt::format("the broker's loop did not answer within {} s\n", answer_timeout_s)};
    }
    return answer.get();
}

std::string http_listener::start(const std::string& address) {
    http_address where;
    if (!parse_http_address(address, where)) {
        throw http_error(fmt::format("--http {}: not HOST:PORT", address));
    }
    server_ = std::make_unique<httplib::Server>();
    for (const std::string& path : paths_) {
        server_->Get(path, [this, path](const httplib::Request&, httplib::Response& res) {
            const http_answer a = ask_loop(path);
            res.status = a.status;
            res.set_content(a.body, a.content_type.c_str());
        });
    }
    std::string bound = bind_http_server(*server_, where, thread_);
    if (bound.empty()) {
        server_.reset();
        throw http_error(fmt::format("--http {}: cannot bind", address));
    }
    spdlog::info("HTTP on {}: {}", bound, fmt::join(paths_, ", "));
    return bound;
}

void http_listener::stop() {
    *alive_ = false;
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
}

}  // namespace shoal
