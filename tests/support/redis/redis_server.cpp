#include "redis/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <hiredis/hiredis.h>

#include "process/wait_until.hpp"

namespace shoal::testing {

namespace {

constexpr const char* redis_exe = "/usr/bin/redis-server";
constexpr double start_timeout_s = 10.0;
constexpr double stop_timeout_s = 10.0;
constexpr double ping_timeout_s = 0.5;
constexpr int start_attempts = 5;    // each on a new free port, while the port was taken
constexpr int restart_attempts = 3;  // on the same port
constexpr std::size_t log_tail_lines = 30;

struct context_deleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

struct reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

// A port nobody listens on right now: bind 127.0.0.1:0, ask which port it got, close.
int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("redis_server: socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int e = errno;
        ::close(fd);
        throw std::runtime_error(std::string("redis_server: no free loopback port: ") +
                                 std::strerror(e));
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

timeval to_timeval(double s) {
    if (s < 0) s = 0;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(s);
    tv.tv_usec = static_cast<suseconds_t>((s - static_cast<double>(tv.tv_sec)) * 1e6);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;  // zero would mean "no timeout"
    return tv;
}

std::string render(const redisReply& r) {
    switch (r.type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            return std::string(r.str, r.len);
        case REDIS_REPLY_ERROR:
            return "ERR:" + std::string(r.str, r.len);
        case REDIS_REPLY_INTEGER:
            return std::to_string(r.integer);
        case REDIS_REPLY_NIL:
            return "(nil)";
        case REDIS_REPLY_ARRAY: {
            std::string out;
            for (std::size_t i = 0; i < r.elements; ++i) {
                if (i > 0) out += '\n';
                out += render(*r.element[i]);
            }
            return out;
        }
        default:
            return "(reply of type " + std::to_string(r.type) + ")";
    }
}

reply_ptr run(redisContext& c, const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    reply_ptr reply(static_cast<redisReply*>(
        redisCommandArgv(&c, static_cast<int>(args.size()), args.data(), lens.data())));
    if (!reply) {
        throw std::runtime_error(
            "redis_server: " + (argv.empty() ? std::string("(empty)") : argv[0]) +
            " failed: " + c.errstr);
    }
    return reply;
}

// A connection (authenticated when a password is set), every step bounded by timeout_s.
context_ptr open_connection(const std::string& host, int port, const std::string& password,
                            double timeout_s) {
    const timeval tv = to_timeval(timeout_s);
    context_ptr c(redisConnectWithTimeout(host.c_str(), port, tv));
    if (!c) throw std::runtime_error("redis_server: cannot allocate a hiredis context");
    if (c->err != 0) {
        throw std::runtime_error("redis_server: cannot connect to " + host + ":" +
                                 std::to_string(port) + ": " + c->errstr);
    }
    if (redisSetTimeout(c.get(), tv) != REDIS_OK) {
        throw std::runtime_error("redis_server: cannot set the timeout: " + std::string(c->errstr));
    }
    if (!password.empty()) {
        const auto auth = run(*c, {"AUTH", password});
        if (auth->type == REDIS_REPLY_ERROR) {
            throw std::runtime_error("redis_server: AUTH refused: " + render(*auth));
        }
    }
    return c;
}

// Connects and runs one command.
reply_ptr exec(const std::string& host, int port, const std::string& password,
               const std::vector<std::string>& argv, double timeout_s) {
    if (argv.empty()) throw std::invalid_argument("redis_server: empty command");
    return run(*open_connection(host, port, password, timeout_s), argv);
}

// True when the redis on `port` answers PING (not LOADING) and is process `pid`: another
// program may have taken the port between our picking it and redis binding it.
bool is_up(const std::string& host, int port, const std::string& password, pid_t pid) {
    try {
        const auto c = open_connection(host, port, password, ping_timeout_s);
        const auto pong = run(*c, {"PING"});
        if (pong->type != REDIS_REPLY_STATUS || render(*pong) != "PONG") return false;
        const std::string info = render(*run(*c, {"INFO", "server"}));
        return info.find("\nprocess_id:" + std::to_string(pid) + "\r") != std::string::npos;
    } catch (const std::runtime_error&) {
        return false;  // not listening yet, or not answering
    }
}

// The last lines of `path` from byte `from` on ("" if there is no such file).
std::string tail_of(const std::string& path, std::uintmax_t from) {
    std::ifstream in(path);
    if (!in) return {};
    in.seekg(static_cast<std::streamoff>(from));
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > log_tail_lines) lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

// The process's state letter from /proc ('T' when stopped), or 0 if it cannot be read.
char proc_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return 0;
    return stat[paren + 2];
}

}  // namespace

redis_server::redis_server(redis_server_options options) : options_(std::move(options)) {
    // mkdtemp's template: it replaces the six trailing X with a unique name.
    char tmpl[] = "/tmp/shoal-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        throw std::runtime_error(std::string("redis_server: mkdtemp: ") + std::strerror(errno));
    }
    dir_ = tmpl;
    try {
        if (::access(redis_exe, X_OK) != 0) {
            throw std::runtime_error(std::string("redis_server: ") + redis_exe +
                                     " is missing (apt-get install redis-server)");
        }
        std::string why;
        for (int attempt = 0; attempt < start_attempts; ++attempt) {
            port_ = options_.port != 0 ? options_.port : free_loopback_port();
            bool port_clash = false;
            why = start_once(port_clash);
            if (why.empty()) return;
            if (!port_clash || options_.port != 0) break;
        }
        throw std::runtime_error(why);
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw;
    }
}

redis_server::~redis_server() {
    try {
        stop();
    } catch (...) {
        // Nothing more to do: process_'s destructor SIGKILLs and reaps whatever is left.
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string redis_server::url() const {
    const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
    return "redis://" + auth + options_.host + ":" + std::to_string(port_);
}

std::string redis_server::start_once(bool& port_clash) {
    port_clash = false;
    const std::string log_path = dir_ + "/redis.log";
    std::error_code ec;
    std::uintmax_t log_from = std::filesystem::file_size(log_path, ec);
    if (ec) log_from = 0;

    // Through sh only to send redis's stderr (where it reports bad options) into the pipe we
    // can read; exec keeps the pid, so signals go to redis itself. The prefix (e.g. `ip netns
    // exec NS`) execs redis in turn: the pid is still redis's.
    const bool loopback = options_.host == "127.0.0.1";
    std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
    argv.insert(argv.end(), options_.argv_prefix.begin(), options_.argv_prefix.end());
    argv.push_back(redis_exe);
    argv.insert(argv.end(), {"--port", std::to_string(port_), "--bind", "127.0.0.1"});
    if (!loopback) argv.push_back(options_.host);
    argv.insert(argv.end(), {"--protected-mode", loopback ? "yes" : "no", "--dir", dir_,
                             "--appendonly", options_.appendonly ? "yes" : "no", "--appendfsync",
                             options_.appendfsync, "--save", "", "--daemonize", "no", "--logfile",
                             log_path, "--unixsocket", socket_path(), "--unixsocketperm", "700"});
    if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
    if (!options_.maxmemory_policy.empty()) {
        argv.insert(argv.end(), {"--maxmemory-policy", options_.maxmemory_policy});
    }
    process_ = child_process::spawn(argv);

    bool up = false;
    wait_until(
        [&] {
            if (!process_.running()) return true;
            up = is_up(options_.host, port_, options_.password, process_.pid());
            return up;
        },
        start_timeout_s);
    if (up && process_.running()) return {};

    std::string what;
    if (const auto status = process_.wait(0)) {
        what = "exited with status " + std::to_string(*status);
    } else {
        what = "did not answer PING within " + std::to_string(static_cast<int>(start_timeout_s)) +
               " s";
        process_.signal(SIGKILL);
        process_.wait(stop_timeout_s);
    }
    const std::string output = process_.read_all(1.0);
    const std::string log_tail = tail_of(log_path, log_from);
    port_clash = output.find("Address already in use") != std::string::npos ||
                 log_tail.find("Address already in use") != std::string::npos;
    return "redis_server: redis-server on " + options_.host + ":" + std::to_string(port_) + " in " +
           dir_ + " " + what + "\n--- its output:\n" + output + "--- the tail of " + log_path +
           ":\n" + log_tail;
}

void redis_server::kill9() {
    if (!process_.running()) return;
    process_.signal(SIGKILL);
    if (!process_.wait(stop_timeout_s)) {
        throw std::runtime_error("redis_server: redis-server survived SIGKILL");
    }
}

void redis_server::stop() {
    if (!process_.running()) return;
    process_.signal(SIGTERM);
    process_.signal(SIGCONT);  // a paused redis handles SIGTERM once it runs again
    if (!process_.wait(stop_timeout_s)) kill9();
}

void redis_server::restart() {
    stop();
    std::string why;
    for (int attempt = 0; attempt < restart_attempts; ++attempt) {
        bool port_clash = false;
        why = start_once(port_clash);
        if (why.empty()) return;
        if (!port_clash) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    throw std::runtime_error(why);
}

void redis_server::pause() {
    if (!process_.running()) throw std::logic_error("redis_server::pause: redis is not running");
    process_.signal(SIGSTOP);
    if (!wait_until([&] { return proc_state(process_.pid()) == 'T'; }, 5.0)) {
        throw std::runtime_error("redis_server::pause: redis did not stop");
    }
}

void redis_server::resume() {
    if (!process_.running()) throw std::logic_error("redis_server::resume: redis is not running");
    process_.signal(SIGCONT);
    if (!wait_until([&] { return proc_state(process_.pid()) != 'T'; }, 5.0)) {
        throw std::runtime_error("redis_server::resume: redis did not continue");
    }
}

bool redis_server::running() { return process_.running(); }

std::string redis_server::command(const std::vector<std::string>& argv, double timeout_s) {
    return render(*exec(options_.host, port_, options_.password, argv, timeout_s));
}

std::string redis_server::socket_path() const { return dir_ + "/redis.sock"; }

std::string redis_server::unix_url() const { return "unix://" + socket_path(); }

std::vector<std::string> redis_server::command_list(const std::vector<std::string>& argv,
                                                    double timeout_s) {
    const auto reply = exec(options_.host, port_, options_.password, argv, timeout_s);
    std::vector<std::string> out;
    if (reply->type == REDIS_REPLY_NIL) return out;
    if (reply->type != REDIS_REPLY_ARRAY) {
        throw std::runtime_error("redis_server: " + argv[0] + " did not reply an array but '" +
                                 render(*reply) + "'");
    }
    for (std::size_t i = 0; i < reply->elements; ++i) out.push_back(render(*reply->element[i]));
    return out;
}

}  // namespace shoal::testing
