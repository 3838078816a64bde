// The seeds' single-threaded examples (examples/seeds) against what the Python programs
// print. Where the seeds draw random numbers, the expected text is CPython's own output for
// the same random.seed(n) (examples/seeds/reference/*.py regenerate it).

#include "seed_examples.hpp"

#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "text_lines.hpp"

namespace seeds = shoal::seeds;

namespace {

using shoal::testing::lines_of;

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Real seconds per seed second: small, but far above timer jitter for the orders asserted.
constexpr double unit = 0.05;

}  // namespace

// --- helpers ------------------------------------------------------------------------------

TEST(PythonRandom, MatchesCPythonAfterSeed) {
    seeds::python_random r(42);  // random.seed(42); [random.random() for _ in range(3)]
    EXPECT_DOUBLE_EQ(r.random(), 0.6394267984578837);
    EXPECT_DOUBLE_EQ(r.random(), 0.025010755222666936);
    EXPECT_DOUBLE_EQ(r.random(), 0.27502931836911926);
    // then [random.randint(0, 1) for _ in range(20)]
    const std::vector<long> bits{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1};
    std::vector<long> got;
    for (int i = 0; i < 20; ++i) got.push_back(r.randint(0, 1));
    EXPECT_EQ(got, bits);
}

TEST(PythonRandom, SeedZeroExpovariateAndWideSeeds) {
    seeds::python_random r(0);
    EXPECT_DOUBLE_EQ(r.random(), 0.8444218515250481);
    EXPECT_DOUBLE_EQ(r.expovariate(1.0 / 5), 7.093145764858809);
    seeds::python_random wide(123456789012);  // a two-word key
    EXPECT_DOUBLE_EQ(wide.random(), 0.37701448538609916);
}

TEST(PyFloat, FormatsLikePythonRepr) {
    EXPECT_EQ(seeds::py_float(0.0), "0.0");
    EXPECT_EQ(seeds::py_float(0.5), "0.5");
    EXPECT_EQ(seeds::py_float(5.0), "5.0");
    EXPECT_EQ(seeds::py_float(0.1), "0.1");
    EXPECT_EQ(seeds::py_float(1.0 / 3), "0.3333333333333333");
}

// --- seed 002: the event loop API -----------------------------------------------------------

TEST(SeedCallLater, ChainRunsNineCallsThenStops) {
    // Each hop re-arms from the time it ran, so lateness accumulates; the seed stops once
    // loop.time() + 1 reaches the end, which needs the total lateness below one seed second.
    constexpr double chain_unit = 0.2;
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    const auto calls = seeds::call_later_chain(out, chain_unit);
    const double elapsed = seconds_since(start);
    EXPECT_EQ(out.str(),
              "function_1 called\nfunction_2 called \nfunction_3 called\nfunction_4 called\n"
              "function_1 called\nfunction_2 called \nfunction_3 called\nfunction_4 called\n"
              "function_1 called\n");
    EXPECT_EQ(calls.size(), 9u);
    EXPECT_GE(elapsed, 8 * chain_unit);  // eight call_later(1) hops
}

TEST(SeedFiniteStateMachine, TheTransitionValuesDrawnChooseTheStatesVisited) {
    const std::vector<int> script{0, 0, 1, 1,
                                  1};  // -> State 2 -> State 1 -> State 2 -> State 3 -> End
    std::size_t next = 0;
    std::ostringstream out;
    const auto r = seeds::finite_state_machine(
        out, [&] { return script.at(next++); }, 0.0);
    EXPECT_EQ(next, script.size());
    EXPECT_EQ(r.path, (std::vector<std::string>{"Start State", "State 2", "State 1", "State 2",
                                                "State 3", "End State"}));
    EXPECT_EQ(out.str(),
              "Finite State Machine simulation with Asyncio Coroutine\n"
              "Start State called \n\n"
              "...Evaluating...\n...Evaluating...\n...Evaluating...\n...Evaluating...\n"
              "...Stop Computation...\n"
              "Resume of the Transition : \n"
              "Start State calling State 2 with transition value = 0 \n"
              "State 2 calling State 1 with transition value = 0 \n"
              "State 1 calling State 2 with transition value = 1 \n"
              "State 2 calling State 3 with transition value = 1 \n"
              "State 3 calling End State with transition value = 1 \n\n");
}

TEST(SeedFiniteStateMachine, SeededRunPrintsWhatCPythonPrints) {
    std::ostringstream out;
    const auto r = seeds::finite_state_machine(out, 3, 0.0);  // random.seed(3)
    EXPECT_EQ(out.str(), R"(Finite State Machine simulation with Asyncio Coroutine
Start State called 

...Evaluating...
...Evaluating...
...Evaluating...
...Evaluating...
...Evaluating...
...Evaluating...
...Stop Computation...
Resume of the Transition : 
Start State calling State 2 with transition value = 0 
State 2 calling State 1 with transition value = 0 
State 1 calling State 2 with transition value = 1 
State 2 calling State 3 with transition value = 1 
State 3 calling State 1 with transition value = 0 
State 1 calling State 3 with transition value = 0 
State 3 calling End State with transition value = 1 

)");
    EXPECT_EQ(r.path, (std::vector<std::string>{"Start State", "State 2", "State 1", "State 2",
                                                "State 3", "State 1", "State 3", "End State"}));
}

TEST(SeedFiniteStateMachine, StatesBlockTheLoopForTheirDelay) {
    std::ostringstream out;
    const std::vector<int> script{1, 0, 1};  // -> State 1 -> State 3 -> End: three time.sleep()s
    std::size_t next = 0;
    const auto start = std::chrono::steady_clock::now();
    seeds::finite_state_machine(
        out, [&] { return script.at(next++); }, unit);
    EXPECT_GE(seconds_since(start), 3 * unit);
}

TEST(SeedFutures, DoneCallbacksPrintBothResultsInOrder) {
    std::ostringstream out;
    const auto printed = seeds::futures_with_callbacks(out, 10, 25, unit);
    EXPECT_EQ(out.str(),
              "first coroutine (sum of N integers) result = 55\n"
              "second coroutine (factorial) result = 15511210043330985984000000\n");
    EXPECT_EQ(printed.size(), 2u);
}

// --- seed 001: async iteration ----------------------------------------------------------------

TEST(SeedTicker, AsyncIteratorYieldsZeroToFour) {
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(seeds::ticker_async_iterator(out, unit), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_GE(seconds_since(start), 4 * unit);  // a sleep before every value but the first
    EXPECT_EQ(out.str(), "0\n1\n2\n3\n4\n");
}

TEST(SeedTicker, AsyncComprehensionKeepsOdd) {
    std::ostringstream out;
    EXPECT_EQ(seeds::ticker_comprehension(out, unit), (std::vector<int>{1, 3}));
    EXPECT_EQ(out.str(), "[1, 3]\n");
}

TEST(SeedTicker, AsyncContextManagerWrapsTheIteration) {
    std::ostringstream out;
    seeds::async_context_ticker(out, unit);
    EXPECT_EQ(out.str(), "entering context\n0\n1\n2\n3\n4\nexit context\n");
}

TEST(SeedTicker, AnAsyncGeneratorYieldsZeroToFourSleepingAfterEach) {
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(seeds::ticker_generator(out, unit), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_GE(seconds_since(start), 5 * unit);  // the generator sleeps after each value
    EXPECT_EQ(out.str(), "0\n1\n2\n3\n4\n");
}

TEST(SeedTicker, DelegatingGeneratorsYieldZeroToFourInOrder) {
    std::ostringstream out;
    EXPECT_EQ(seeds::yield_from_generators(out), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(out.str(), "0\n1\n2\n3\n4\n");
}

TEST(SeedAverager, RunningAverageOfZeroToTen) {
    std::ostringstream out;
    const auto averages = seeds::moving_averager(out);
    EXPECT_EQ(out.str(), "0.0\n0.5\n1.0\n1.5\n2.0\n2.5\n3.0\n3.5\n4.0\n4.5\n5.0\n");
    ASSERT_EQ(averages.size(), 11u);
    EXPECT_DOUBLE_EQ(averages.back(), 5.0);
}

// --- seed 001: taxi simulation ----------------------------------------------------------------

TEST(SeedTaxi, EventOrderForSeed7IsCPythons) {
    std::ostringstream out;
    const auto events = seeds::taxi_simulation(out, 7);
    EXPECT_EQ(out.str(), R"(taxi: 0  Event(time=0, proc=0, action='leave garage')
taxi: 0  Event(time=2, proc=0, action='pick up passenger')
taxi: 1   Event(time=5, proc=1, action='leave garage')
taxi: 0  Event(time=6, proc=0, action='drop off passenger')
taxi: 0  Event(time=7, proc=0, action='pick up passenger')
taxi: 2    Event(time=10, proc=2, action='leave garage')
taxi: 1   Event(time=11, proc=1, action='pick up passenger')
taxi: 1   Event(time=13, proc=1, action='drop off passenger')
taxi: 2    Event(time=13, proc=2, action='pick up passenger')
taxi: 2    Event(time=14, proc=2, action='drop off passenger')
taxi: 1   Event(time=17, proc=1, action='pick up passenger')
taxi: 2    Event(time=17, proc=2, action='pick up passenger')
taxi: 1   Event(time=19, proc=1, action='drop off passenger')
taxi: 2    Event(time=19, proc=2, action='drop off passenger')
taxi: 1   Event(time=22, proc=1, action='pick up passenger')
taxi: 0  Event(time=23, proc=0, action='drop off passenger')
taxi: 0  Event(time=25, proc=0, action='going home')
taxi: 1   Event(time=25, proc=1, action='drop off passenger')
taxi: 2    Event(time=28, proc=2, action='pick up passenger')
taxi: 1   Event(time=40, proc=1, action='pick up passenger')
taxi: 2    Event(time=46, proc=2, action='drop off passenger')
taxi: 1   Event(time=51, proc=1, action='drop off passenger')
taxi: 1   Event(time=52, proc=1, action='going home')
taxi: 2    Event(time=65, proc=2, action='pick up passenger')
taxi: 2    Event(time=72, proc=2, action='drop off passenger')
taxi: 2    Event(time=73, proc=2, action='pick up passenger')
taxi: 2    Event(time=76, proc=2, action='drop off passenger')
taxi: 2    Event(time=78, proc=2, action='pick up passenger')
taxi: 2    Event(time=112, proc=2, action='drop off passenger')
taxi: 2    Event(time=113, proc=2, action='going home')
*** end of events ***
)");
    ASSERT_EQ(events.size(), 30u);
    // Events come out in (time, proc) order, each taxi's in its own state order.
    for (std::size_t i = 1; i < events.size(); ++i) {
        EXPECT_LE(std::pair(events[i - 1].time, events[i - 1].proc),
                  std::pair(events[i].time, events[i].proc));
    }
    EXPECT_EQ(events.back(), (seeds::taxi_event{113, 2, "going home"}));
}

TEST(SeedTaxi, EndTimeCutsTheSimulation) {
    std::ostringstream out;
    seeds::taxi_simulation(out, 7, 60);
    EXPECT_EQ(out.str(), R"(taxi: 0  Event(time=0, proc=0, action='leave garage')
taxi: 0  Event(time=2, proc=0, action='pick up passenger')
taxi: 1   Event(time=5, proc=1, action='leave garage')
taxi: 0  Event(time=6, proc=0, action='drop off passenger')
taxi: 0  Event(time=7, proc=0, action='pick up passenger')
taxi: 2    Event(time=10, proc=2, action='leave garage')
taxi: 1   Event(time=11, proc=1, action='pick up passenger')
taxi: 1   Event(time=13, proc=1, action='drop off passenger')
taxi: 2    Event(time=13, proc=2, action='pick up passenger')
taxi: 2    Event(time=14, proc=2, action='drop off passenger')
taxi: 1   Event(time=17, proc=1, action='pick up passenger')
taxi: 2    Event(time=17, proc=2, action='pick up passenger')
taxi: 1   Event(time=19, proc=1, action='drop off passenger')
taxi: 2    Event(time=19, proc=2, action='drop off passenger')
taxi: 1   Event(time=22, proc=1, action='pick up passenger')
taxi: 0  Event(time=23, proc=0, action='drop off passenger')
taxi: 0  Event(time=25, proc=0, action='going home')
taxi: 1   Event(time=25, proc=1, action='drop off passenger')
taxi: 2    Event(time=28, proc=2, action='pick up passenger')
taxi: 1   Event(time=40, proc=1, action='pick up passenger')
taxi: 2    Event(time=46, proc=2, action='drop off passenger')
taxi: 1   Event(time=51, proc=1, action='drop off passenger')
taxi: 1   Event(time=52, proc=1, action='going home')
taxi: 2    Event(time=65, proc=2, action='pick up passenger')
*** end of simulation time: 1 events pending ***
)");
}

TEST(SeedTaxi, DifferentSeedsGiveDifferentRunsButTheSameShape) {
    std::ostringstream a, b;
    const auto ea = seeds::taxi_simulation(a, 1);
    const auto eb = seeds::taxi_simulation(b, 2);
    EXPECT_NE(a.str(), b.str());
    // Same trips whatever the seed: 3 leave, 2+4+6 pick-ups and drop-offs, 3 go home.
    EXPECT_EQ(ea.size(), 30u);
    EXPECT_EQ(eb.size(), 30u);
}

// --- seed 001: the event loop -------------------------------------------------------------------

TEST(SeedLoop, HelloWorldCallSoonRunsTheWholePass) {
    std::ostringstream out;
    EXPECT_EQ(seeds::hello_world_call_soon(out), 4);
    EXPECT_EQ(out.str(), "Hello World\nHello World\nHello World\nHello World\n");
}

TEST(SeedLoop, NowPrintsDatesAndLoopTimes) {
    std::ostringstream out;
    const auto [inside, after] = seeds::now_and_loop_time(out, unit);
    EXPECT_LE(inside, after);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 4u);
    const std::regex date(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})");
    EXPECT_TRUE(std::regex_match(lines[0], date)) << lines[0];
    EXPECT_TRUE(std::regex_match(lines[1], date)) << lines[1];
    EXPECT_LT(lines[0], lines[1]);
}

// Microseconds since midnight of a "YYYY-MM-DD HH:MM:SS.ffffff" line.
long long micros_of_day(const std::string& line) {
    const long long h = std::stoll(line.substr(11, 2));
    const long long m = std::stoll(line.substr(14, 2));
    const long long s = std::stoll(line.substr(17, 2));
    const long long us = std::stoll(line.substr(20, 6));
    return ((h * 60 + m) * 60 + s) * 1'000'000 + us;
}

// Five dates on an idle machine, as in the seed; fewer when a sleep overran (the loop stops once
// the next date would pass its 5 units, as asyncio's does), so the count is not the check: the
// dates are, one a unit apart at least, never more than five, and the count returned is the
// count printed.
TEST(SeedLoop, DisplayDatePrintsADateEveryUnitUntilFiveUnitsHavePassed) {
    std::ostringstream out;
    const int count = seeds::display_date(out, unit);
    const auto lines = lines_of(out.str());
    EXPECT_EQ(static_cast<std::size_t>(count), lines.size());
    ASSERT_GE(lines.size(), 1u);
    EXPECT_LE(lines.size(), 5u);
    const std::regex date(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})");
    for (const auto& line : lines) ASSERT_TRUE(std::regex_match(line, date)) << line;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].substr(0, 10) != lines[i - 1].substr(0, 10)) continue;  // midnight passed
        const long long gap_us = micros_of_day(lines[i]) - micros_of_day(lines[i - 1]);
        EXPECT_GE(gap_us, static_cast<long long>(unit * 1e6) - 1'000)
            << lines[i - 1] << " then " << lines[i];
    }
}

// --- seed 001: gather / wait / as_completed -----------------------------------------------------

namespace {
// What Python 3.7+ prints for all three (the seeds' B/A/C and B/C/A orders come from old
// asyncio wrapping the coroutines through a set, whose order is arbitrary).
const char* const factorial_lines =
    "Task A: Compute factorial(2)...\n"
    "Task B: Compute factorial(2)...\n"
    "Task C: Compute factorial(2)...\n"
    "Task A: factorial(2) = 2\n"
    "Task B: Compute factorial(3)...\n"
    "Task C: Compute factorial(3)...\n"
    "Task B: factorial(3) = 6\n"
    "Task C: Compute factorial(4)...\n"
    "Task C: factorial(4) = 24\n";
}  // namespace

TEST(SeedFactorial, GatherInterleavesAndCollectsInArgumentOrder) {
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(seeds::factorial_gather(out, unit), (std::vector<long>{2, 6, 24}));
    const double elapsed = seconds_since(start);
    EXPECT_EQ(out.str(), factorial_lines);
    EXPECT_GE(elapsed, 3 * unit);
    EXPECT_LT(elapsed, 6 * unit);  // concurrent: the longest task, not the sum
}

TEST(SeedFactorial, WaitCompletesShortestFirst) {
    std::ostringstream out;
    EXPECT_EQ(seeds::factorial_wait(out, unit), (std::vector<std::string>{"A", "B", "C"}));
    EXPECT_EQ(out.str(), factorial_lines);
}

TEST(SeedFactorial, AsCompletedYieldsInCompletionOrder) {
    std::ostringstream out;
    EXPECT_EQ(seeds::factorial_as_completed(out, unit), (std::vector<long>{2, 6, 24}));
    EXPECT_EQ(out.str(), factorial_lines);
}

// --- seed 001: producer / consumer --------------------------------------------------------------

TEST(SeedQueue, ProducerConsumerForSeed105IsCPythons) {
    // random.seed(105): every sleep ends at least 0.125 seed seconds from any other, so with
    // 0.25 s per seed second the order cannot depend on timer jitter.
    std::ostringstream out;
    const auto lines = seeds::producer_consumer(out, 10, 105, 0.25);
    EXPECT_EQ(out.str(), R"(producing 1/10
producing 2/10
consuming item 1...
producing 3/10
consuming item 2...
producing 4/10
consuming item 3...
producing 5/10
consuming item 4...
producing 6/10
consuming item 5...
producing 7/10
consuming item 6...
producing 8/10
consuming item 7...
producing 9/10
consuming item 8...
producing 10/10
consuming item 9...
consuming item 10...
)");
    EXPECT_EQ(lines.size(), 20u);
}

TEST(SeedQueue, ConsumerSeesEveryItemInOrder) {
    // Scripted sleeps: the producer is fast, the consumer slow, so items pile up in the queue.
    std::ostringstream out;
    int draws = 0;
    const auto lines = seeds::producer_consumer(
        out, 5, [&] { return (draws++ < 1) ? 0.0 : 0.2; }, unit);
    std::vector<std::string> consumed;
    for (const auto& l : lines) {
        if (l.rfind("consuming", 0) == 0) consumed.push_back(l);
    }
    EXPECT_EQ(consumed, (std::vector<std::string>{"consuming item 1...", "consuming item 2...",
                                                  "consuming item 3...", "consuming item 4...",
                                                  "consuming item 5..."}));
    EXPECT_EQ(lines.front(), "producing 1/5");
}

// --- seeds 003 / 004 ----------------------------------------------------------------------------

TEST(SeedWait, TwoWaitedFoosBothStartBeforeEitherFinishes) {
    std::ostringstream out;
    seeds::foo_wait(out, unit);
    EXPECT_EQ(out.str(), "foo running ....\nfoo running ....\nfoo done . . . \nfoo done . . . \n");
}

TEST(SeedWait, AbcWhereCDoesNotSleep) {
    std::ostringstream out;
    seeds::abc_wait(out, false, unit);
    EXPECT_EQ(out.str(), "aaa begin\nbbb begin\nccc begin\nccc end\naaa end \nbbb end \n");
}

TEST(SeedWait, AbcAllSleepingRunConcurrently) {
    std::ostringstream out;
    const double elapsed = seeds::abc_wait(out, true, unit);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 7u);
    EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.end() - 1),
              (std::vector<std::string>{"aaa begin", "bbb begin", "ccc begin", "aaa end ",
                                        "bbb end ", "ccc end"}));
    EXPECT_GE(elapsed, 0.5 * unit);
    EXPECT_LT(elapsed, 1.5 * unit);  // three 0.5 sleeps overlap
}

TEST(SeedGather, AllTasksStartThenAllFinishThenTheResultsPrintInOrder) {
    std::ostringstream out;
    EXPECT_EQ(seeds::do_gather(out, unit), (std::vector<std::string>{"hello", "hello", "hello"}));
    EXPECT_EQ(out.str(),
              " let's do it ! \n let's do it ! \n let's do it ! \ndone....\ndone....\ndone....\n"
              "['hello', 'hello', 'hello']\nresult :  hello\nresult :  hello\nresult :  hello\n");
}

TEST(SeedWait, NestedMainsEachGetThreeResults) {
    std::ostringstream out;
    EXPECT_EQ(seeds::nested_wait(out, unit), 6);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 19u);  // 6 starts, 6 dones, 6 results, the total time
    for (int i = 0; i < 6; ++i) EXPECT_EQ(lines[static_cast<std::size_t>(i)], " let's do it ! ");
    EXPECT_EQ(lines.back().rfind("total cost time:  ", 0), 0u);
}

TEST(SeedAsCompleted, TheGeneratorIsPrintedBeforeTheTasksStartThenEachResultAsItCompletes) {
    std::ostringstream out;
    EXPECT_EQ(seeds::do_as_completed(out, unit),
              (std::vector<std::string>{"hello", "hello", "hello"}));
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 11u);
    EXPECT_EQ(lines[0], "<async_generator object as_completed>");  // printed before the tasks start
    EXPECT_EQ(lines[9], "hello");
}

TEST(SeedCallbacks, TaskDoneCallbackGetsTheResult) {
    std::ostringstream out;
    EXPECT_EQ(seeds::task_done_callback(out), "haha");
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "Waiting: ");
    EXPECT_EQ(lines[1], "Callback:  haha");
}

TEST(SeedCallbacks, TaskIsPendingThenFinished) {
    std::ostringstream out;
    EXPECT_EQ(seeds::task_states(out), std::pair(true, true));
    EXPECT_EQ(out.str(),
              "<Task pending coro=<do()>>\nwating: 1\n<Task finished coro=<do()> result=None>\n");
}

TEST(SeedCallbacks, GatherDoneCallbackPrintsTheList) {
    std::ostringstream out;
    EXPECT_EQ(seeds::hello_gather_callback(out, unit),
              (std::vector<std::string>{"Hello World", "lfzyx"}));
    EXPECT_EQ(out.str(),
              "Hello World!\nHello lfzyx!\nBye lfzyx!\nBye World!\nCallback:  ['Hello World', "
              "'lfzyx']\n");
}

// --- the Future / Task API the seeds describe ----------------------------------------------------

TEST(SeedApi, AFutureSettlesOnceAndReportsEachStateAsAsyncioDoes) {
    std::ostringstream out;
    const auto lines = seeds::future_api(out);
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "future.done() = False",
                         "future.result() -> InvalidStateError (not done yet)",
                         "after set_result: future.done() = True",
                         "future.result() = 'the result'",
                         "future.exception() is None: True",
                         "future.set_result() again -> InvalidStateError",
                         "future.cancel() on a done future -> False",
                         "failed.exception() = RuntimeError('boom')",
                         "cancelled.cancel() -> True",
                         "cancelled.cancelled() = True, done() = True",
                         "cancelled.result() -> CancelledError",
                         "remove_done_callback -> 1",
                         "Future: 42",
                     }));
}

TEST(SeedApi, TaskCancelCleanUpOrRefuse) {
    std::ostringstream out;
    const auto r = seeds::task_cancel(out, unit);
    EXPECT_TRUE(r.cleaned_up);
    EXPECT_TRUE(r.first_cancelled);
    EXPECT_FALSE(r.second_cancelled);
    EXPECT_EQ(r.second_result, "refused the cancellation");
}

TEST(SeedApi, WaitForTimesOutThenSucceeds) {
    std::ostringstream out;
    EXPECT_EQ(seeds::wait_for_timeout(out, unit), std::pair(true, std::string("work(1) result")));
    EXPECT_EQ(out.str(),
              "work(3) was cancelled\nwait_for(work(3), timeout=1): TimeoutError\n"
              "work(1) finished\nwait_for(work(1), timeout=3) = 'work(1) result'\n");
}

TEST(SeedApi, ShieldKeepsTheInnerWorkRunning) {
    std::ostringstream out;
    EXPECT_EQ(seeds::shield_example(out, unit), std::pair(true, std::string("work(2) result")));
    EXPECT_EQ(out.str(),
              "waiter.cancelled() = True\nwork(2) finished\ninner.result() = 'work(2) result'\n");
}

// --- seed 000: count, sequentially ---------------------------------------------------------------

TEST(SeedCount, CountReturnsIterationsTimesNumber) {
    EXPECT_EQ(seeds::count(3), 30'000'000);  // the seed's full 10,000,000
    EXPECT_EQ(seeds::count(7, 1000), 7000);
    EXPECT_EQ(seeds::count(7, 0), 0);
}

TEST(SeedCount, SequentialPrintsItemsInOrder) {
    std::ostringstream out;
    const auto r = seeds::count_sequential(out, 1000);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 11u);
    for (long i = 1; i <= 10; ++i) {
        EXPECT_EQ(lines[static_cast<std::size_t>(i - 1)],
                  "Item " + std::to_string(i) + ", result " + std::to_string(i * 1000));
        EXPECT_EQ(r.items[static_cast<std::size_t>(i - 1)], std::pair(i, i * 1000));
    }
    EXPECT_EQ(lines.back().rfind("Sequential Execution in ", 0), 0u);
    EXPECT_EQ(lines.back().substr(lines.back().size() - 8), " seconds");
}
