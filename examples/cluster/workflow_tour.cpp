#include "workflow_tour.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "shoal_examples/seed_tasks.hpp"

namespace shoal_examples {

void show_dataflow(shoal::client& client) {
    // The broker holds mul until both adds are done and gives it their results: no round trip
    // through this client in between.
    auto left = client.submit(add, 1, 2);
    auto right = client.submit(add, 3, 4);
    auto product = client.submit(mul, left, right);
    std::printf("mul(add(1, 2), add(3, 4)) = %ld\n", product.get(60.0));

    // Each result becomes the next task's first argument.
    auto chained = client.submit(shoal::chain(add.s(1, 2), mul.s(10), add.s(-1)));
    std::printf("chain(add(1, 2), mul(_, 10), add(_, -1)) = %ld\n", chained.get(60.0));

    // A failure runs down what depends on it, naming where it began.
    auto broken = client.submit(shoal::chain(divide.s(1, 0), add.s(1)));
    try {
        (void)broken.get(60.0);
    } catch (const shoal::remote_task_error& e) {
        std::printf("chain(divide(1, 0), add(_, 1)) failed: %s\n", e.type().c_str());
    }
}

std::size_t show_word_count(shoal::client& client, const std::string& text, std::size_t parts) {
    // Cut at spaces into about `parts` pieces: a group of word_count tasks (map), and a chord
    // whose callback merges their counts (reduce) once they are all in.
    std::vector<shoal::task_signature<std::map<std::string, int>, void>> counts;
    const std::size_t step =
        std::max<std::size_t>(1, text.size() / std::max<std::size_t>(1, parts));
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = std::min(text.size(), at + step);
        while (end < text.size() && text[end] != ' ') ++end;
        counts.push_back(word_count.s(text.substr(at, end - at)));
        at = end;
    }
    const auto merged =
        client.submit(shoal::chord(shoal::group(counts), merge_counts.s())).get(60.0);
    std::vector<std::pair<int, std::string>> common;
    common.reserve(merged.size());
    for (const auto& [word, n] : merged) common.emplace_back(n, word);
    std::sort(common.begin(), common.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::printf("%zu word_count tasks, one merge_counts: %zu distinct words; most common:",
                counts.size(), merged.size());
    for (std::size_t i = 0; i < common.size() && i < 5; ++i) {
        std::printf(" %s(%d)", common[i].second.c_str(), common[i].first);
    }
    std::printf("\n");
    return merged.size();
}

void show_many_calls(shoal::client& client) {
    std::vector<std::tuple<long, long>> pairs;
    for (long i = 1; i <= 1000; ++i) pairs.emplace_back(i, i);
    const auto sums = client.submit(shoal::starmap(add, pairs)).get(60.0);
    std::printf("starmap(add, 1000 pairs): 1000 tasks, last = %ld\n", sums.back());
    const auto parts = client.submit(shoal::chunks(add, pairs, 250)).get(60.0);
    long total = 0;
    for (const auto& part : parts) {
        for (const long v : part) total += v;
    }
    std::printf("chunks(add, 1000 pairs, 250): %zu tasks of 250 calls, sum = %ld\n", parts.size(),
                total);
}

void show_periodic(shoal::client& client) {
    try {
        (void)client.add_periodic("tour-tick", "every 200ms", add.s(20, 22)).result(20.0);
    } catch (const shoal::broker_error& e) {
        std::printf("periodic tasks need an admin key here (%s): skipped\n", e.what());
        return;
    }
    // The broker submits add(20, 22) every 200 ms by itself; this client only watches.
    long runs = 0;
    std::string next;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (runs < 3 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        for (const auto& row : client.list_periodic().result(20.0).rows) {
            for (const auto& field : row) {
                if (field.key == "runs") runs = std::get<std::int64_t>(field.value);
                if (field.key == "next_in_ms") {
                    next = std::to_string(std::get<std::int64_t>(field.value));
                }
            }
        }
    }
    (void)client.remove_periodic("tour-tick").result(20.0);
    std::printf(
        "periodic add(20, 22) every 200ms, run by the broker: %ld runs (next was in %s ms), "
        "then removed\n",
        runs, next.c_str());
}

const std::string& sample_text() {
    static const std::string text =
        "A task queue takes work from those who have it and gives it to those who can do it. "
        "The broker holds the tasks, the workers run them, and the clients wait for their "
        "results as futures. A future is a promise of a value: it can be waited on, gathered "
        "with others, or given to another task as an argument, and then the broker waits for "
        "it instead of the client. A chain passes each result to the next task; a group runs "
        "tasks side by side; a chord runs a group and then a callback with all of its results. "
        "Counting the words of a text is the smallest map-reduce there is: the text is cut "
        "into parts, each part is counted by a task, and the counts are merged by one more.";
    return text;
}

}  // namespace shoal_examples
