#pragma once
// child_process: a real program started by a test (a broker, a worker, the CLI), with its
// stdout readable line by line and its stderr going to the test's stderr (ctest shows it when
// the test fails). The destructor kills (SIGKILL) and reaps whatever is still running, so a
// failing test never leaves daemons behind.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace shoal::testing {

class child_process {
  public:
    // argv[0] is the program's path. extra_env entries ("NAME=value") are added to ours.
    static child_process spawn(const std::vector<std::string>& argv,
                               const std::vector<std::string>& extra_env = {});

    child_process() = default;
    child_process(child_process&& other) noexcept;
    child_process& operator=(child_process&& other) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process();

    // One line of stdout without its newline; nullopt on timeout or end of output.
    std::optional<std::string> read_line(double timeout_s);
    // Everything left on stdout until it closes (or the timeout passes).
    std::string read_all(double timeout_s);

    void signal(int sig) const;
    // The exit status once it ended: the exit code, or 128 + the signal that killed it;
    // nullopt if it is still running after timeout_s.
    std::optional<int> wait(double timeout_s);
    bool running();
    pid_t pid() const noexcept { return pid_; }

  private:
    void reap_now() noexcept;

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    std::optional<int> status_;
};

}  // namespace shoal::testing
