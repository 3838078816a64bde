// The stock shoal-worker daemon as a real process: it loads the seed task library
// (--tasks), announces its tasks, runs them on their pools, drains on SIGTERM (exit 0), exits
// at once on a second signal (128 + the signal), and refuses unusable task libraries (exit 2).
//
// The executable and the plugin are found next to this test in the build tree (or through
// SHOAL_WORKER_EXE / SHOAL_SEED_TASKS_PLUGIN when the build defines them).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fake_broker.hpp"

extern char** environ;

namespace {

using namespace shoal::testing;
using shoal::proto::task_status;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Both paths come from tests/CMakeLists.txt, which also builds the daemon and the plugin first.
std::string worker_exe() { return SHOAL_WORKER_EXE; }
std::string seed_plugin() { return SHOAL_SEED_TASKS_PLUGIN; }

// A child process, killed and reaped by the destructor if still running.
class daemon_process {
  public:
    explicit daemon_process(std::vector<std::string> args) {
        args.insert(args.begin(), worker_exe());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    }
    ~daemon_process() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            wait(5.0);
        }
    }
    bool started() const { return pid_ > 0; }
    void signal(int sig) const { ::kill(pid_, sig); }
    // The exit status (128 + signal if killed by one), or nullopt while it runs after `seconds`.
    std::optional<int> wait(double seconds) {
        const auto until = steady::now() + std::chrono::duration<double>(seconds);
        while (!status_) {
            int raw = 0;
            const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
            if (r == pid_) {
                status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
            } else if (steady::now() >= until) {
                break;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
        return status_;
    }

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

class WorkerDaemonTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(worker_exe())) << worker_exe() << " is missing: build shoal-worker";
        ASSERT_TRUE(fs::exists(seed_plugin()))
            << seed_plugin() << " is missing: build shoal_seed_tasks_plugin";
    }

    // Starts the daemon with the seed tasks and completes the handshake.
    std::unique_ptr<daemon_process> start(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--broker",    broker_.endpoint(),
                                      "--tasks",     seed_plugin(),
                                      "--name",      "daemon-under-test",
                                      "--threads",   "2",
                                      "--processes", "1",
                                      "--log-level", "warn"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<daemon_process>(args);
        EXPECT_TRUE(p->started());
        hello_ = broker_.handshake();
        EXPECT_TRUE(hello_);
        EXPECT_TRUE(broker_.expect<shoal::proto::ready>());
        return p;
    }

    fake_broker broker_;
    std::optional<shoal::proto::hello> hello_;
};

TEST_F(WorkerDaemonTest, RunsTheSeedTasksFromThePluginAndDrainsOnSigterm) {
    auto daemon = start();
    ASSERT_TRUE(hello_);
    EXPECT_EQ(hello_->name, "daemon-under-test");
    EXPECT_EQ(
        hello_->worker.task_names,
        (std::vector<std::string>{
            "add",        "add_all",     "blob",         "block_loop", "count", "count_longer",
            "crash",      "divide",      "factorial",    "fail",       "fib",   "fib_by",
            "fib_fanout", "journal_sum", "merge_counts", "mul",        "noop",  "now_ns",
            "sleep",      "spin",        "sum",          "word_count"}));
    EXPECT_EQ(hello_->worker.slots, 3u);  // threads + processes
    auto add = make_task("add", 2L, 3L);
    auto count = make_task("count", 2L);
    auto factorial = make_task("factorial", 25);
    auto words = make_task("word_count", std::string("the cat saw the Cat"));
    auto fail = make_task("fail", std::string("as asked"));
    auto fib = make_task("fib", 20);
    broker_.send(dispatch_of({add, count, factorial, words, fail, fib}));
    auto got = collect(broker_, 6, 30.0);  // count and fib in a child, under ASan on a busy machine
    ASSERT_EQ(got.by_id.size(), 6u);
    EXPECT_EQ(result_of<long>(got.by_id[add.id]), 5);
    EXPECT_EQ(result_of<long>(got.by_id[count.id]), 20'000'000);
    EXPECT_EQ(result_of<std::string>(got.by_id[factorial.id]), "15511210043330985984000000");
    EXPECT_EQ((result_of<std::map<std::string, int>>(got.by_id[words.id])),
              (std::map<std::string, int>{{"cat", 2}, {"saw", 1}, {"the", 2}}));
    EXPECT_EQ(got.by_id[fail.id].result.status, task_status::failed);
    EXPECT_EQ(got.by_id[fail.id].result.error.type, "std::runtime_error");
    EXPECT_EQ(got.by_id[fail.id].result.error.message, "as asked");
    EXPECT_EQ(got.by_id[fail.id].result.error.where, "daemon-under-test");
    EXPECT_EQ(result_of<long>(got.by_id[fib.id]), 6765);

    // The sleep outlasts the daemon's handling of SIGTERM on any machine but a very busy one,
    // where it may end first and its DONE come before the DRAIN: either order passes, since
    // the plugin has no task that waits for the test. Either way nothing is handed back (it
    // runs: it finishes here), its result is reported, and BYE comes last.
    auto sleeper = make_task("sleep", 1.0);
    broker_.send(dispatch_of({sleeper}));
    ASSERT_TRUE(broker_.wait_started(sleeper.id));
    daemon->signal(SIGTERM);
    std::optional<shoal::proto::drain> drain;
    std::optional<shoal::proto::done> done;
    while (!drain || !done) {
        auto m = broker_.next();
        ASSERT_TRUE(m) << "no " << (drain ? "DONE" : "DRAIN") << " from the daemon";
        if (m->cmd == shoal::proto::command::drain && !drain) {
            drain = shoal::proto::decode<shoal::proto::drain>(m->body);
        } else if (m->cmd == shoal::proto::command::done && !done) {
            done = shoal::proto::decode<shoal::proto::done>(m->body);
        } else {
            FAIL() << "unexpected " << shoal::proto::command_name(m->cmd) << " while draining";
        }
    }
    EXPECT_TRUE(drain->returned.empty());
    ASSERT_EQ(done->finished.size(), 1u);
    EXPECT_EQ(done->finished[0].result.id, sleeper.id);
    EXPECT_DOUBLE_EQ(result_of<double>(done->finished[0]), 1.0);
    EXPECT_TRUE(broker_.expect<shoal::proto::bye>());
    EXPECT_EQ(daemon->wait(5.0), 0);
}

TEST_F(WorkerDaemonTest, ASecondSignalExitsAtOnce) {
    auto daemon = start();
    // A coroutine asleep and a thread busy for seconds: neither is waited for.
    const auto nap = make_task("sleep", 30.0);
    const auto busy = make_task("fib", 46);
    broker_.send(dispatch_of({nap, busy}));
    ASSERT_TRUE(broker_.wait_started(nap.id));
    ASSERT_TRUE(broker_.wait_started(busy.id));
    daemon->signal(SIGTERM);
    ASSERT_TRUE(broker_.expect<shoal::proto::drain>());  // the drain began
    const auto second = steady::now();
    daemon->signal(SIGINT);
    EXPECT_EQ(daemon->wait(3.0), 128 + SIGINT);
    EXPECT_LT(std::chrono::duration<double>(steady::now() - second).count(), 2.0);
}

TEST_F(WorkerDaemonTest, ItConsumesTheQueuesItIsGiven) {
    auto daemon = start({"--queues", "gpu,default"});
    ASSERT_TRUE(hello_);
    EXPECT_EQ(hello_->worker.queues, (std::vector<std::string>{"gpu", "default"}));
}

TEST_F(WorkerDaemonTest, WithoutQueuesItConsumesDefault) {
    auto daemon = start();
    ASSERT_TRUE(hello_);
    EXPECT_EQ(hello_->worker.queues, (std::vector<std::string>{"default"}));
}

// The variable is set only while the daemon starts (it inherits the environment).
class scoped_env {
  public:
    scoped_env(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
    ~scoped_env() { ::unsetenv(name_); }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

  private:
    const char* name_;
};

TEST_F(WorkerDaemonTest, TheQueuesMayComeFromShoalQueues) {
    std::unique_ptr<daemon_process> daemon;
    {
        scoped_env queues("SHOAL_QUEUES", "images,io");
        daemon = start();
    }
    ASSERT_TRUE(hello_);
    EXPECT_EQ(hello_->worker.queues, (std::vector<std::string>{"images", "io"}));
}

TEST_F(WorkerDaemonTest, TheQueuesFlagWinsOverShoalQueues) {
    std::unique_ptr<daemon_process> daemon;
    {
        scoped_env queues("SHOAL_QUEUES", "images,io");
        daemon = start({"--queues", "gpu"});
    }
    ASSERT_TRUE(hello_);
    EXPECT_EQ(hello_->worker.queues, (std::vector<std::string>{"gpu"}));
}

TEST_F(WorkerDaemonTest, AnEmptyQueueNameExitsWithStatus2) {
    for (const char* bad : {"", "gpu,,io", "gpu,"}) {
        daemon_process p(
            {"--broker", broker_.endpoint(), "--tasks", seed_plugin(), "--queues", bad});
        EXPECT_EQ(p.wait(10.0), 2) << "--queues '" << bad << "'";
    }
    const std::string too_long(256, 'q');
    daemon_process p(
        {"--broker", broker_.endpoint(), "--tasks", seed_plugin(), "--queues", too_long});
    EXPECT_EQ(p.wait(10.0), 2);
}

TEST_F(WorkerDaemonTest, AnUnusableTaskLibraryExitsWithStatus2) {
    daemon_process missing(
        {"--broker", broker_.endpoint(), "--tasks", "/nonexistent/libnothing.so"});
    EXPECT_EQ(missing.wait(10.0), 2);
    // A real shared library without shoal_register_tasks.
    daemon_process no_entry({"--broker", broker_.endpoint(), "--tasks", "libm.so.6"});
    EXPECT_EQ(no_entry.wait(10.0), 2);
    // The same library twice defines every task twice.
    daemon_process twice(
        {"--broker", broker_.endpoint(), "--tasks", seed_plugin(), "--tasks", seed_plugin()});
    EXPECT_EQ(twice.wait(10.0), 2);
    daemon_process no_tasks({"--broker", broker_.endpoint()});
    EXPECT_EQ(no_tasks.wait(10.0), 2);
    daemon_process bad_flag({"--threads", "0"});
    EXPECT_EQ(bad_flag.wait(10.0), 2);
}

}  // namespace
