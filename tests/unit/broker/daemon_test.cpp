// The shoal-broker executable: port 0 with --print-endpoint, SIGINT/SIGTERM, exit 2 on bad
// configuration, environment variables. The binary is found next to the test's build tree
// (<build>/broker/shoal-broker); the test is skipped, saying so, if it was not built.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker_test_peer.hpp"

extern char** environ;

namespace {

using namespace shoal::broker::testing;
namespace proto = shoal::proto;

// From tests/CMakeLists.txt, which also builds the daemon before this test.
std::string daemon_path() { return SHOAL_BROKER_EXE; }

// A child process with stdout and stderr on pipes.
class daemon_process {
  public:
    daemon_process(const std::vector<std::string>& args,
                   const std::vector<std::string>& extra_env) {
        int out[2];
        int err[2];
        if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        posix_spawn_file_actions_addclose(&actions, err[0]);
        const std::string path = daemon_path();
        std::vector<char*> argv{const_cast<char*>(path.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e != nullptr; ++e) {
            if (std::string(*e).rfind("SHOAL_", 0) != 0) env_strings.emplace_back(*e);
        }
        for (const auto& e : extra_env) env_strings.push_back(e);
        std::vector<char*> envp;
        for (auto& e : env_strings) envp.push_back(e.data());
        envp.push_back(nullptr);
        if (posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) {
            throw std::runtime_error("posix_spawn");
        }
        posix_spawn_file_actions_destroy(&actions);
        close(out[1]);
        close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~daemon_process() {
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(out_);
        close(err_);
    }

    // The first stdout line, within the time limit.
    std::optional<std::string> first_line(double timeout_s) {
        std::string line;
        const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s);
        while (clock::now() < deadline) {
            pollfd p{out_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            char c = 0;
            if (read(out_, &c, 1) != 1) return std::nullopt;
            if (c == '\n') return line;
            line += c;
        }
        return std::nullopt;
    }
    // The exit status within the time limit, or nullopt (the process is then killed).
    std::optional<int> wait_exit(double timeout_s) {
        const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s);
        while (clock::now() < deadline) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }
    std::string stderr_text() {
        std::string text;
        char buf[4096];
        fcntl(err_, F_SETFL, O_NONBLOCK);
        ssize_t n = 0;
        while ((n = read(err_, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
        return text;
    }
    void signal(int sig) { kill(pid_, sig); }

  private:
    using clock = std::chrono::steady_clock;
    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
    bool exited_ = false;
};

// tcp://127.0.0.1:PORT with a real (non-zero) port.
bool is_loopback_endpoint_with_port(const std::string& e) {
    const std::string prefix = "tcp://127.0.0.1:";
    if (e.rfind(prefix, 0) != 0 || e.size() == prefix.size()) return false;
    const std::string port = e.substr(prefix.size());
    return port[0] != '0' && port.find_first_not_of("0123456789") == std::string::npos;
}

class Daemon : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(std::filesystem::exists(daemon_path()))
            << "shoal-broker not built at " << daemon_path();
    }
};

TEST_F(Daemon, PortZeroPrintsTheBoundEndpointFirstAndServes) {
    daemon_process d({"--bind", "tcp://127.0.0.1:0", "--print-endpoint", "--heartbeat-ms", "100"},
                     {});
    const auto endpoint = d.first_line(10.0);
    ASSERT_TRUE(endpoint.has_value()) << d.stderr_text();
    EXPECT_TRUE(is_loopback_endpoint_with_port(*endpoint)) << *endpoint;
    zmq::context_t ctx;
    test_peer client(ctx, *endpoint);
    EXPECT_EQ(client.hello_client().heartbeat_ms, 100u);
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(10.0), 0);
    EXPECT_NE(d.stderr_text().find("SIGTERM received"), std::string::npos);
}

TEST_F(Daemon, SigintClosesCleanly) {
    daemon_process d({"--bind", "tcp://127.0.0.1:0", "--print-endpoint"}, {});
    ASSERT_TRUE(d.first_line(10.0).has_value());
    d.signal(SIGINT);
    EXPECT_EQ(d.wait_exit(10.0), 0);
}

TEST_F(Daemon, EnvironmentIsReadAndTheCommandLineWins) {
    daemon_process d(
        {"--print-endpoint", "--liveness", "9"},
        {"SHOAL_BIND=tcp://127.0.0.1:0", "SHOAL_HEARTBEAT_MS=250", "SHOAL_LIVENESS=2"});
    const auto endpoint = d.first_line(10.0);
    ASSERT_TRUE(endpoint.has_value()) << d.stderr_text();
    zmq::context_t ctx;
    test_peer client(ctx, *endpoint);
    const auto w = client.hello_client();
    EXPECT_EQ(w.heartbeat_ms, 250u);
    EXPECT_EQ(w.liveness, 9u);
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(10.0), 0);
}

TEST_F(Daemon, BadValuesExitTwoWithAClearMessage) {
    {
        daemon_process d({"--liveness", "0"}, {});
        EXPECT_EQ(d.wait_exit(10.0), 2);
        EXPECT_NE(d.stderr_text().find("--liveness: must be between 1 and 1000 (got 0)"),
                  std::string::npos);
    }
    {
        daemon_process d({}, {"SHOAL_RESULT_TTL_S=soon"});
        EXPECT_EQ(d.wait_exit(10.0), 2);
        EXPECT_NE(d.stderr_text().find("SHOAL_RESULT_TTL_S"), std::string::npos);
    }
    {
        const std::string file =
            ::testing::TempDir() + "shoal_daemon_test_" + std::to_string(getpid()) + ".toml";
        std::ofstream(file) << "heartbeat_ms = 100\ncolour = \"blue\"\n";
        daemon_process d({"--config", file}, {});
        EXPECT_EQ(d.wait_exit(10.0), 2);
        EXPECT_NE(d.stderr_text().find("unknown key 'colour'"), std::string::npos);
        std::remove(file.c_str());
    }
}

TEST_F(Daemon, AnUnreachableRedisExitsTwoWithAClearMessage) {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    daemon_process d({"--bind", "tcp://127.0.0.1:0", "--redis", "redis://127.0.0.1:1"}, {});
    EXPECT_EQ(d.wait_exit(10.0), 2);
    EXPECT_NE(d.stderr_text().find("cannot connect to Redis at redis://127.0.0.1:1/0"),
              std::string::npos)
        << d.stderr_text();
    daemon_process bad_url({"--redis", "http://x"}, {});
    EXPECT_EQ(bad_url.wait_exit(10.0), 2);
    EXPECT_NE(bad_url.stderr_text().find("must start with redis://"), std::string::npos);
}

TEST_F(Daemon, AnEndpointInUseExitsTwo) {
    daemon_process first({"--bind", "tcp://127.0.0.1:0", "--print-endpoint"}, {});
    const auto endpoint = first.first_line(10.0);
    ASSERT_TRUE(endpoint.has_value());
    daemon_process second({"--bind", *endpoint}, {});
    EXPECT_EQ(second.wait_exit(10.0), 2);
    EXPECT_NE(second.stderr_text().find("cannot bind"), std::string::npos);
}

}  // namespace
