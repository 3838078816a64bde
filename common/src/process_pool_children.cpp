// Starting, ending and replacing the process pool's children (process_pool_manager.hpp).

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include <spdlog/spdlog.h>

#include "process_pool_manager.hpp"
#include "shoal/common/errors.hpp"

namespace shoal {

namespace wire = detail::pool_wire;
using namespace detail::pool;  // the manager's constants and records

std::string detail::pool::describe_exit(const std::optional<int>& status) {
    if (!status) {
        return "exited with an unknown status";
    }
    if (WIFSIGNALED(*status)) {
        const int sig = WTERMSIG(*status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "was killed by signal " + std::to_string(sig) + " (SIG" +
               (abbrev != nullptr ? abbrev : "?") + ")";
    }
    if (WIFEXITED(*status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(*status));
    }
    return "ended with wait status " + std::to_string(*status);
}

process_pool_executor::manager::ended process_pool_executor::manager::end_child(child_slot& child,
                                                                                ending how) {
    reclaim_lane(child);  // adopts a direct call: it ends with the child
    ended result{child.pid, std::nullopt, std::move(child.current)};
    if (how == ending::kill) {
        ::kill(child.pid, SIGKILL);
    } else if (how == ending::ask_to_stop) {
        // Best effort: a child that misses the stop frame still sees EOF once fd is closed.
        wire::write_all(child.fd, wire::encode(wire::request{wire::request_kind::stop, 0, "", ""}));
    }
    ::close(child.fd);  // before reaping, so a child stuck writing to us gets EPIPE and exits
    child.fd = -1;
    result.status = spawner_->reap(child.pid, child_exit_grace);
    replace(child);
    return result;
}

// A child died, garbled its socket or could not be written to: replaced, and the call it ran
// fails as a crash (after its crash backoff).
void process_pool_executor::manager::on_child_lost(child_slot& child, const std::string& why,
                                                   ending how) {
    auto gone = end_child(child, how);
    if (!gone.running) {
        spdlog::warn("process pool child {} {} while idle: it {}", gone.pid, why,
                     describe_exit(gone.status));
        return;
    }
    const std::string name = gone.running->name;
    hold_failure(std::move(*gone.running), "process pool child " + std::to_string(gone.pid) + " " +
                                               why + " while running '" + name + "': it " +
                                               describe_exit(gone.status));
}

// Kills the child running a call, replaces it, then fails the call with `error`.
void process_pool_executor::manager::kill_running(child_slot& child,
                                                  const std::exception_ptr& error) {
    auto gone = end_child(child, ending::kill);
    if (gone.running) gone.running->completion->fail(error);
}

// Starts a child in the slot of one that ended (its socket closed, its pid reaped), unless
// the pool is stopping with nothing left to run; respawn_missing retries a failed start.
void process_pool_executor::manager::replace(child_slot& child) {
    child = child_slot{};
    if (may_respawn()) {
        try {
            spawn(child);
            await_ready(child);
        } catch (const std::exception& e) {
            spdlog::error("process pool could not replace a child: {}", e.what());
        }
    }
    publish_pids();
}

void process_pool_executor::manager::spawn(child_slot& slot) {
    const auto child = spawner_->spawn();
    slot = child_slot{};
    slot.pid = child.pid;
    slot.fd = child.fd;
    const timeval send_timeout{send_timeout_seconds, 0};
    ::setsockopt(slot.fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
}

// In a fork server the manager starts again after the first died: the parent's ends of the
// live children's sockets must not stay open in it (a child sees EOF only once every copy of
// the parent's end is closed).
void process_pool_executor::manager::close_inherited_fds() const {
    if (wake_fd_ >= 0) ::close(wake_fd_);
    for (const auto& other : children_) {
        if (other.fd >= 0) ::close(other.fd);
    }
}

void process_pool_executor::manager::await_ready(child_slot& slot) {
    const auto until = clock::now() + child_ready_timeout;
    std::string payload;
    for (;;) {
        const auto status = slot.reader.next(payload);
        if (status == wire::frame_reader::status::frame) {
            const auto response = wire::decode_response(payload);
            if (response && response->kind == wire::response_kind::ready) {
                return;
            }
            break;
        }
        if (status == wire::frame_reader::status::corrupt) {
            break;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now());
        pollfd fd{slot.fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        const ssize_t n = ::read(slot.fd, read_buffer_.get(), read_chunk_bytes);
        if (n <= 0) {
            break;
        }
        slot.reader.append(std::string_view(read_buffer_.get(), static_cast<std::size_t>(n)));
    }
    ::close(slot.fd);
    const auto status = spawner_->reap(slot.pid, clock::duration::zero());
    const pid_t pid = slot.pid;
    slot = child_slot{};
    throw broken_process_pool("process pool child " + std::to_string(pid) +
                              " did not become ready: it " + describe_exit(status));
}

void process_pool_executor::manager::stop_children() {
    const std::string stop = wire::encode(wire::request{wire::request_kind::stop, 0, "", ""});
    for (auto& child : children_) {
        if (child.fd >= 0) {
            wire::write_all(child.fd, stop);
            ::close(child.fd);
            child.fd = -1;
        }
    }
    for (auto& child : children_) {
        if (child.pid > 0) {
            spawner_->reap(child.pid, child_exit_grace);
        }
        child = child_slot{};
    }
    publish_pids();
}

}  // namespace shoal
