#pragma once
// redis_server: a real redis-server (/usr/bin/redis-server) for integration and fault tests,
// on loopback (or on another address, and inside a network namespace: see the options), in a
// fresh temporary directory of its own. Tests can kill it (SIGKILL), stop it,
// pause it (SIGSTOP) and start it again on the same directory and port, and ask it things
// through command(), a small synchronous hiredis client. Every wait is bounded; the
// destructor stops the server and removes its directory.

#include <string>
#include <vector>

#include "process/child_process.hpp"

namespace shoal::testing {

struct redis_server_options {
    bool appendonly = true;
    std::string appendfsync = "everysec";  // "always" for the strict fault tests
    std::string password;                  // empty: no requirepass
    std::string maxmemory_policy;          // empty: redis's default
    // Where it runs, for tests with several "machines" (process/net_hosts.hpp). The defaults
    // are loopback in the test's own namespace, on a free port.
    std::vector<std::string> argv_prefix;  // run through it, e.g. net_hosts::on(i)
    std::string host = "127.0.0.1";  // the address it binds (with 127.0.0.1) and is reached at
    int port = 0;                    // 0: a free loopback port (a fixed one on a fresh host)
};

class redis_server {
  public:
    // Makes a fresh directory (mkdtemp under /tmp), picks a free loopback port (unless the
    // options fix one), starts redis
    // and waits (at most 10 s) until it answers PING, and is the process we started (it
    // tries again on a new port, a few times, when another program took the port first).
    // Throws std::runtime_error, with what redis printed and the tail of its log, when it
    // does not come up.
    explicit redis_server(redis_server_options options = {});
    // Stops redis (SIGTERM, then SIGKILL if it has not ended within a bound) and removes the
    // directory.
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    int port() const noexcept { return port_; }
    // The address it is reached at (options.host).
    const std::string& host() const noexcept { return options_.host; }
    const std::string& dir() const noexcept { return dir_; }
    // redis://127.0.0.1:PORT, or redis://:PASSWORD@127.0.0.1:PORT when a password is set
    // (options.host instead of 127.0.0.1 when it is another address)
    // (the password as given, not percent-encoded: use URL-safe passwords in tests).
    std::string url() const;
    // It listens on a Unix socket in its directory too: unix:///tmp/.../redis.sock
    std::string socket_path() const;
    std::string unix_url() const;

    // SIGKILL, and reaped: nothing is flushed beyond what redis had already written.
    void kill9();
    // A graceful shutdown (SIGTERM: redis flushes its AOF and exits), reaped; SIGKILL if it
    // has not ended within 10 s.
    void stop();
    // Starts redis again on the same directory and port (stopping it first if it is still
    // running) and waits for PING, as the constructor does.
    void restart();
    // SIGSTOP / SIGCONT: a paused redis accepts connections (the kernel does) but answers
    // nothing.
    void pause();
    void resume();
    // True while the process exists, paused or not.
    bool running();

    // Runs one command on a new connection (AUTH first when a password is set), every step
    // bounded by timeout_s, and renders the reply: a status or string as is, an integer in
    // decimal, nil as "(nil)", an error as "ERR:" followed by redis's message (e.g.
    // "ERR:WRONGTYPE Operation against a key..."), an array as its elements rendered so and
    // joined by '\n'. Throws std::runtime_error when it cannot connect, send or read in time.
    std::string command(const std::vector<std::string>& argv, double timeout_s = 5.0);
    // The same for a command whose reply is an array: its elements, rendered as above (a nil
    // array is empty). Throws std::runtime_error for an error or any other non-array reply.
    std::vector<std::string> command_list(const std::vector<std::string>& argv,
                                          double timeout_s = 5.0);

  private:
    // One attempt to start redis on port_ and see it answer PING; returns what went wrong
    // (empty on success) and sets port_clash when the port was taken.
    std::string start_once(bool& port_clash);

    redis_server_options options_;
    std::string dir_;
    int port_ = 0;
    child_process process_;
};

}  // namespace shoal::testing
