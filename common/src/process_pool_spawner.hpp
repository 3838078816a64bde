#pragma once
// The process pool's fork server: one single-threaded process, forked when the pool is built,
// that forks every pool child and reaps it.
//
// Why: fork() copies only the calling thread. A child forked from a process whose other
// threads hold a lock inherits that lock held forever; its first use deadlocks the child.
// glibc's malloc is protected across fork, but other locks are not, and neither is
// AddressSanitizer's allocator in GCC 12's runtime: a pool that recycled children while four
// threads submitted to it saw children hang in malloc (3 runs in 40 under ASan beside busy
// loops). The server is forked once, when the pool is built (in the worker: before its other
// threads start), and stays single-threaded, so the children it forks inherit no held lock.
// This is Python's 'forkserver' start method.
//
// Protocol on a SOCK_SEQPACKET socketpair: the pool sends a one-byte spawn request; the
// server answers with a spawned message carrying the parent's end of the child's socket
// (SCM_RIGHTS), or with the fork's errno. Whenever a child exits, the server reaps it and
// sends its wait status unasked. Manager thread only (and the pool's constructor and
// destructor, when no manager thread runs).

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>

namespace shoal::detail {

class pool_spawner {
  public:
    // Runs in each child, with the child's end of its socket; must not return.
    using child_main = std::function<void(int fd)>;

    // Forks the server. `in_server` runs in the server right after its fork: it closes the
    // descriptors of the pool's that the server (and so every child) must not keep open.
    // Throws std::system_error if the server cannot be forked.
    pool_spawner(child_main main, std::function<void()> in_server);
    // Closes the control socket (the server exits once its children have) and reaps it.
    ~pool_spawner();
    pool_spawner(const pool_spawner&) = delete;
    pool_spawner& operator=(const pool_spawner&) = delete;

    struct child {
        pid_t pid = -1;
        int fd = -1;  // the parent's end of the child's socket (close-on-exec)
    };

    // Forks a child through the server (restarting the server first if it died). Throws
    // std::system_error when the fork fails or the server does not answer.
    child spawn();

    // Waits up to `grace` for `pid` to exit, then SIGKILLs it and waits a while more. The
    // wait status, or nullopt if the server could not tell (it died, or never saw the exit).
    std::optional<int> reap(pid_t pid, std::chrono::steady_clock::duration grace);

  private:
    void start_server();
    void stop_server();
    struct spawn_answer {
        pid_t pid = -1;
        int fd = -1;
        int error = 0;  // the fork's errno
    };
    enum class message { none, exit_report, spawn_answer };
    // Reads one message from the server, waiting until `until`: an exit report (recorded in
    // exited_) or a spawn answer (put in `answer`). none: nothing came in time, or the server
    // is gone (server_gone_ set).
    message read_message(std::chrono::steady_clock::time_point until, spawn_answer& answer);

    child_main main_;
    std::function<void()> in_server_;
    pid_t server_pid_ = -1;
    int control_fd_ = -1;
    bool server_gone_ = false;
    std::map<pid_t, int> exited_;  // wait statuses reported and not yet asked for by reap()
};

}  // namespace shoal::detail
