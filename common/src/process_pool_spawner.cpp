// The process pool's fork server (see process_pool_spawner.hpp).

#include "process_pool_spawner.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>

namespace shoal::detail {
namespace {

using clock = std::chrono::steady_clock;

// How long a spawn may take before the server is presumed stuck.
constexpr auto spawn_timeout = std::chrono::seconds(10);
// After SIGKILL, how long to wait for the server's report that the child is gone.
constexpr auto after_kill_wait = std::chrono::seconds(5);
// How long the server may take to exit once its control socket is closed.
constexpr auto server_exit_grace = std::chrono::seconds(2);
// The server's exit status when it cannot set itself up.
constexpr int exit_setup_failed = 4;

// What the server sends. A spawned message carries the parent's end of the child's socket.
enum class message_kind : std::int32_t { spawned = 1, spawn_failed = 2, exited = 3 };
struct server_message {
    message_kind kind;
    std::int32_t pid;
    std::int32_t value;  // spawn_failed: the errno; exited: the wait status
};

[[noreturn]] void throw_errno(int error, const char* what) {
    throw std::system_error(error, std::generic_category(), what);
}

// Sends `message` (and `fd`, if not -1) to the pool; false if the pool is gone.
bool send_message(int control, const server_message& message, int fd) {
    server_message copy = message;
    iovec data{&copy, sizeof copy};
    msghdr header{};
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control_bytes{};
    if (fd >= 0) {
        header.msg_control = control_bytes.data();
        header.msg_controllen = control_bytes.size();
        cmsghdr* rights = CMSG_FIRSTHDR(&header);
        rights->cmsg_level = SOL_SOCKET;
        rights->cmsg_type = SCM_RIGHTS;
        rights->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(rights), &fd, sizeof fd);
    }
    for (;;) {
        if (::sendmsg(control, &header, MSG_NOSIGNAL) >= 0) return true;
        if (errno != EINTR) return false;
    }
}

// Server: forks one child and tells the pool. True if a child now runs.
bool spawn_one(int control, int signals, const sigset_t& original_mask,
               const pool_spawner::child_main& main) {
    std::array<int, 2> ends{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()) < 0) {
        send_message(control, {message_kind::spawn_failed, 0, errno}, -1);
        return false;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(ends[0]);
        ::close(ends[1]);
        send_message(control, {message_kind::spawn_failed, 0, error}, -1);
        return false;
    }
    if (pid == 0) {
        ::close(control);
        ::close(signals);
        ::close(ends[0]);
        ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
        main(ends[1]);
        ::_exit(EXIT_FAILURE);  // main must not return
    }
    ::close(ends[1]);
    send_message(control, {message_kind::spawned, pid, 0}, ends[0]);
    ::close(ends[0]);  // the pool holds its own copy now; ours would keep the child from EOF
    return true;
}

// Server: reaps every exited child, reporting each while the pool listens. The count of
// children still running.
int reap_exited(int control, bool pool_listens, int running) {
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        --running;
        if (pool_listens) send_message(control, {message_kind::exited, pid, status}, -1);
    }
    return running;
}

// The server's whole life: single-threaded, no allocation of its own (the children's main
// runs in the children). Ends when the pool has closed the control socket and every child
// has exited.
[[noreturn]] void serve(int control, const pool_spawner::child_main& main) {
    // Children must be reapable even if the host ignores SIGCHLD (which auto-reaps).
    ::signal(SIGCHLD, SIG_DFL);
    sigset_t child_exits;
    sigset_t original_mask;
    ::sigemptyset(&child_exits);
    ::sigaddset(&child_exits, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &child_exits, &original_mask);
    const int signals = ::signalfd(-1, &child_exits, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals < 0) ::_exit(exit_setup_failed);
    bool pool_listens = true;
    int running = 0;
    while (pool_listens || running > 0) {
        std::array<pollfd, 2> fds{pollfd{signals, POLLIN, 0},
                                  pollfd{pool_listens ? control : -1, POLLIN, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            ::_exit(exit_setup_failed);
        }
        if ((fds[0].revents & POLLIN) != 0) {
            signalfd_siginfo info;
            while (::read(signals, &info, sizeof info) > 0) {
            }
            running = reap_exited(control, pool_listens, running);
        }
        if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            char request = 0;
            const ssize_t n = ::recv(control, &request, 1, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                pool_listens = false;  // the pool is gone: wait for the children, then exit
                ::close(control);
                continue;
            }
            if (spawn_one(control, signals, original_mask, main)) ++running;
        }
    }
    ::_exit(EXIT_SUCCESS);
}

// A child that exits at once is reaped within microseconds; one that takes its time is looked
// at no more than every 10 ms.
constexpr auto first_reap_nap = std::chrono::microseconds(20);
constexpr auto longest_reap_nap = std::chrono::milliseconds(10);

// Waits for a direct child of this process, SIGKILLing it after `grace`.
void wait_for_exit(pid_t pid, clock::duration grace) {
    const auto until = clock::now() + grace;
    std::chrono::microseconds nap = first_reap_nap;
    for (;;) {
        int status = 0;
        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid || (reaped < 0 && errno != EINTR)) return;
        if (clock::now() >= until) break;
        std::this_thread::sleep_for(nap);
        nap = std::min<std::chrono::microseconds>(nap * 2, longest_reap_nap);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

pool_spawner::pool_spawner(child_main main, std::function<void()> in_server)
    : main_(std::move(main)), in_server_(std::move(in_server)) {
    start_server();
}

pool_spawner::~pool_spawner() { stop_server(); }

void pool_spawner::start_server() {
    std::array<int, 2> ends{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends.data()) < 0) {
        throw_errno(errno, "socketpair");
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(ends[0]);
        ::close(ends[1]);
        throw_errno(error, "fork");
    }
    if (pid == 0) {
        ::close(ends[0]);
        if (in_server_) in_server_();
        serve(ends[1], main_);
    }
    ::close(ends[1]);
    server_pid_ = pid;
    control_fd_ = ends[0];
    server_gone_ = false;
}

void pool_spawner::stop_server() {
    if (control_fd_ >= 0) {
        ::close(control_fd_);
        control_fd_ = -1;
    }
    if (server_pid_ > 0) {
        wait_for_exit(server_pid_, server_exit_grace);
        server_pid_ = -1;
    }
}

pool_spawner::message pool_spawner::read_message(clock::time_point until, spawn_answer& answer) {
    for (;;) {
        if (server_gone_) return message::none;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now());
        pollfd readable{control_fd_, POLLIN, 0};
        const int ready =
            ::poll(&readable, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) return message::none;
        server_message received{};
        iovec data{&received, sizeof received};
        msghdr header{};
        header.msg_iov = &data;
        header.msg_iovlen = 1;
        alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control_bytes{};
        header.msg_control = control_bytes.data();
        header.msg_controllen = control_bytes.size();
        const ssize_t n = ready < 0 ? -1 : ::recvmsg(control_fd_, &header, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        int fd = -1;
        if (n > 0) {
            for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
                }
            }
        }
        if (n != static_cast<ssize_t>(sizeof received)) {
            if (fd >= 0) ::close(fd);
            server_gone_ = true;  // EOF, an error, or garbage: either way it cannot serve us
            return message::none;
        }
        switch (received.kind) {
            case message_kind::exited:
                exited_[received.pid] = received.value;
                return message::exit_report;
            case message_kind::spawned:
            case message_kind::spawn_failed:
                answer = {received.pid, fd,
                          received.kind == message_kind::spawned ? 0 : received.value};
                return message::spawn_answer;
        }
        if (fd >= 0) ::close(fd);
        server_gone_ = true;
        return message::none;
    }
}

pool_spawner::child pool_spawner::spawn() {
    for (int attempt = 0;; ++attempt) {
        if (server_gone_) {
            // Died or was killed: start another. Its children are orphans now; reap() kills
            // them and reports an unknown status.
            stop_server();
            start_server();
        }
        const char request = 'S';
        if (::send(control_fd_, &request, 1, MSG_NOSIGNAL) == 1) break;
        server_gone_ = true;
        if (attempt > 0) throw_errno(errno, "the process pool's fork server");
    }
    const auto until = clock::now() + spawn_timeout;
    spawn_answer answer;
    for (;;) {
        const auto got = read_message(until, answer);
        if (got == message::spawn_answer) break;
        if (got == message::none) {
            server_gone_ = true;  // silent for spawn_timeout: replace it next time
            throw_errno(ETIMEDOUT, "the process pool's fork server did not fork a child");
        }
    }
    if (answer.error != 0 || answer.fd < 0) {
        throw_errno(answer.error != 0 ? answer.error : EPROTO, "fork");
    }
    return {answer.pid, answer.fd};
}

std::optional<int> pool_spawner::reap(pid_t pid, clock::duration grace) {
    const auto wait_until = [this, pid](clock::time_point until) -> std::optional<int> {
        spawn_answer unused;
        for (;;) {
            if (const auto it = exited_.find(pid); it != exited_.end()) {
                const int status = it->second;
                exited_.erase(it);
                return status;
            }
            const auto got = read_message(until, unused);
            if (got == message::none) return std::nullopt;
            if (got == message::spawn_answer && unused.fd >= 0) {
                ::close(unused.fd);  // a late answer to a spawn given up on: the child sees EOF
                unused.fd = -1;
            }
        }
    };
    if (auto status = wait_until(clock::now() + grace)) return status;
    ::kill(pid, SIGKILL);
    return wait_until(clock::now() + after_kill_wait);
}

}  // namespace shoal::detail
