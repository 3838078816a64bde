#include "link_thread.hpp"

#include <spdlog/spdlog.h>

#include "shoal/common/errors.hpp"

namespace shoal::worker_detail {

link_thread::link_thread(std::shared_ptr<loop_gate> task_gate, proto::dealer_link_options options,
                         link_thread_events events)
    : task_gate_(std::move(task_gate)), options_(std::move(options)), events_(std::move(events)) {}

link_thread::~link_thread() {
    if (thread_.joinable()) {
        try {
            loop_.call_soon_threadsafe([this] { loop_.stop(); });
        } catch (const event_loop_error&) {
            // The thread's loop closed already: it is ending.
        }
        thread_.join();
    }
    link_.reset();
    if (!loop_.is_closed()) loop_.close();
}

void link_thread::start() {
    proto::dealer_link_events link_events;
    // Each handler runs on the link thread and hands the event to the task loop, copying what
    // it needs: the body's bytes live only as long as the call.
    link_events.connected = [this](const proto::welcome& w) {
        to_task_loop([this, w, number = link_->sessions()] {
            in_session_ = true;
            session_ = w;
            sessions_ = number;
            if (events_.connected) events_.connected(w);
        });
    };
    link_events.message = [this](proto::command cmd, std::string_view body) {
        to_task_loop([this, cmd, copy = std::string(body)] {
            if (events_.message) events_.message(cmd, copy);
        });
    };
    link_events.lost = [this](std::string_view why) {
        to_task_loop([this, reason = std::string(why)] {
            in_session_ = false;
            if (events_.lost) events_.lost(reason);
        });
    };
    // Connects here, so that a bad endpoint throws to the caller; the loop has not run yet,
    // and starting the thread orders these writes before everything it does.
    link_ = std::make_unique<proto::dealer_link>(loop_, context_, options_, std::move(link_events));
    link_->start();
    thread_ = std::thread([this] { run(); });
}

void link_thread::run() {
    try {
        loop_.run_forever();
    } catch (const std::exception& e) {
        spdlog::error("worker {}: the broker link's loop failed: {}", options_.greeting.name,
                      e.what());
    }
    link_.reset();  // the socket goes on the thread that used it
}

void link_thread::close(std::string reason) {
    in_session_ = false;
    if (!thread_.joinable()) return;
    try {
        loop_.call_soon_threadsafe([this, why = std::move(reason)] {
            if (link_) link_->close(why);
            loop_.stop();
        });
    } catch (const event_loop_error&) {
        // The thread's loop closed already.
    }
    thread_.join();
}

bool link_thread::send_raw(proto::command cmd, std::string body) {
    if (!in_session_ || !thread_.joinable()) return false;
    try {
        loop_.call_soon_threadsafe(
            [this, cmd, payload = std::move(body), session = sessions_]() mutable {
                deliver(cmd, payload, session);
            });
    } catch (const event_loop_error&) {
        return false;
    }
    return true;
}

void link_thread::deliver(proto::command cmd, std::string& body, std::uint64_t session) {
    if (link_ && link_->in_session() && link_->sessions() == session && link_->send_raw(cmd, body))
        return;
    to_task_loop([this, cmd, payload = std::move(body), session] {
        if (events_.bounced) events_.bounced(cmd, payload, in_session_ && sessions_ == session);
    });
}

void link_thread::to_task_loop(callback cb) { (void)task_gate_->post(std::move(cb)); }

}  // namespace shoal::worker_detail
