#pragma once
// loop_fixture: a gtest fixture owning an event_loop on a manual_clock, with the loop's
// exception handler recording every report (message and exception) into a vector.
//
//   class EventLoopTest : public shoal::testing::loop_fixture {};
//   TEST_F(EventLoopTest, Something) {
//       loop().call_soon([] { throw std::runtime_error("boom"); });
//       run_once();
//       ASSERT_EQ(take_reports().size(), 1u);
//   }
//
// TearDown closes the loop and fails the test if a report arrived that the test did not
// take with take_reports(): an exception nobody expected is a bug, not noise.
//
// Time only moves through advance(); a loop on a manual clock never sleeps until a timer is
// due (see manual_clock.hpp), so timer tests advance and then run_once().

#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "manual_clock.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::testing {

// One call of the loop's exception handler.
struct exception_report {
    std::string message;           // exception_context::message
    std::exception_ptr exception;  // may be null
    std::string what;              // exception->what(), or "" when there is none

    // True when the reported exception is (or derives from) E.
    template <class E>
    bool holds() const {
        return shoal::holds<E>(exception);
    }
};

// Installs a handler on `loop` that appends every report to `into`, which must outlive the
// loop (the loop reports pending tasks when it closes).
inline void record_exceptions(event_loop& loop, std::vector<exception_report>& into) {
    loop.set_exception_handler([&into](event_loop&, const exception_context& context) {
        exception_report report{context.message, context.exception, {}};
        if (context.exception) {
            try {
                std::rethrow_exception(context.exception);
            } catch (const std::exception& e) {
                report.what = e.what();
            } catch (...) {
                report.what = "(not a std::exception)";
            }
        }
        into.push_back(std::move(report));
    });
}

class loop_fixture : public ::testing::Test {
  protected:
    loop_fixture() { record_exceptions(loop_, reports_); }

    void TearDown() override {
        loop_.close();
        for (const auto& r : reports_) {
            ADD_FAILURE() << "unexpected report to the exception handler: " << r.message
                          << (r.what.empty() ? "" : ": ") << r.what;
        }
        reports_.clear();
    }

    event_loop& loop() noexcept { return loop_; }
    manual_clock& clock() noexcept { return clock_; }

    // Runs exactly one pass of the loop (asyncio's stop-then-run_forever idiom): ready
    // callbacks, due timers, and I/O that is ready now; never waits.
    void run_once() {
        loop_.stop();
        loop_.run_forever();
    }
    // Moves the clock forward, then runs one pass.
    void advance(double seconds) {
        clock_.advance(seconds);
        run_once();
    }

    // The reports received so far; the fixture forgets them.
    std::vector<exception_report> take_reports() { return std::exchange(reports_, {}); }
    // Just the messages of take_reports().
    std::vector<std::string> take_report_messages() {
        std::vector<std::string> messages;
        for (auto& r : take_reports()) {
            messages.push_back(std::move(r.message));
        }
        return messages;
    }

  private:
    // Declaration order is destruction order reversed: the clock and the report vector
    // outlive the loop, which uses both until it is gone.
    manual_clock clock_;
    std::vector<exception_report> reports_;
    event_loop loop_{clock_};
};

}  // namespace shoal::testing
