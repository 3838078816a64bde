#include "process/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace shoal::testing {

namespace {

double seconds_left(std::chrono::steady_clock::time_point deadline) {
    return std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
}

std::chrono::steady_clock::time_point deadline_in(double s) {
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
               std::chrono::duration<double>(s));
}

}  // namespace

child_process child_process::spawn(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& extra_env) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> env;
    for (auto& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    child_process child;
    child.pid_ = pid;
    child.stdout_fd_ = out[0];
    return child;
}

child_process::child_process(child_process&& other) noexcept
    : pid_(other.pid_),
      stdout_fd_(other.stdout_fd_),
      buffer_(std::move(other.buffer_)),
      status_(other.status_) {
    other.pid_ = -1;
    other.stdout_fd_ = -1;
}

child_process& child_process::operator=(child_process&& other) noexcept {
    if (this != &other) {
        reap_now();
        pid_ = other.pid_;
        stdout_fd_ = other.stdout_fd_;
        buffer_ = std::move(other.buffer_);
        status_ = other.status_;
        other.pid_ = -1;
        other.stdout_fd_ = -1;
    }
    return *this;
}

child_process::~child_process() { reap_now(); }

void child_process::reap_now() noexcept {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    pid_ = -1;
    stdout_fd_ = -1;
}

std::optional<std::string> child_process::read_line(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    for (;;) {
        const auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        const double left = seconds_left(deadline);
        if (left <= 0 || stdout_fd_ < 0) return std::nullopt;
        pollfd p{stdout_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
        char chunk[4096];
        const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            if (buffer_.empty()) return std::nullopt;
            std::string rest = std::move(buffer_);
            buffer_.clear();
            ::close(stdout_fd_);
            stdout_fd_ = -1;
            return rest;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string child_process::read_all(double timeout_s) {
    const auto deadline = deadline_in(timeout_s);
    std::string all;
    while (auto line = read_line(seconds_left(deadline))) all += *line + "\n";
    return all;
}

void child_process::signal(int sig) const {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> child_process::wait(double timeout_s) {
    if (status_) return status_;
    if (pid_ <= 0) return std::nullopt;
    const auto deadline = deadline_in(timeout_s);
    for (;;) {
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return status_;
        }
        if (seconds_left(deadline) <= 0) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool child_process::running() { return pid_ > 0 && !wait(0); }

}  // namespace shoal::testing
