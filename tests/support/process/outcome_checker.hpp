#pragma once
// outcome_checker: the promises every fault test checks after its fault, over what one
// client was told (the outcome log of batch_client.cpp, or events a test adds itself):
//
//   - nothing lost: every accepted task ended with a result (when the test says every one
//     must have; a client killed mid-batch saw only some);
//   - every result is the task's value (batch_tasks.hpp's formula), never an error;
//   - no unknown ids: no result for an id this client was not told was accepted;
//   - no id with two results: one result per id, whatever happened to the workers;
//   - what the broker stores for an id (`stored` lines) is the result the client was told.
//
// It sits beside redis/durability_checker.hpp, which checks the same promises against what
// Redis holds.

#include <cstddef>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace shoal::testing {

class outcome_checker {
  public:
    // expected(index): the value task `index` must end with, as the log prints it.
    explicit outcome_checker(std::function<std::string(std::size_t)> expected)
        : expected_(std::move(expected)) {}

    void accepted(const std::string& id, std::size_t index) {
        if (!accepted_.emplace(id, index).second)
            problems_.push_back("id " + id + " accepted twice");
    }
    void refused(const std::string& id) { refused_.insert(id); }
    void result(const std::string& id, const std::string& value) { results_[id].push_back(value); }
    void error(const std::string& id, const std::string& what) { errors_[id].push_back(what); }
    void stored(const std::string& id, const std::string& value) { stored_[id] = value; }

    enum class take { everything, accepted_only };
    // Feeds every line of an outcome log; false if the file cannot be read. With
    // accepted_only, only which tasks were accepted (another client collects the results).
    bool read_log(const std::string& path, take what = take::everything) {
        std::ifstream in(path);
        if (!in) return false;
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string tag;
            std::string id;
            fields >> tag >> id;
            std::string rest;
            std::getline(fields, rest);
            if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
            if (tag == "accepted") {
                accepted(id, std::stoul(rest));
            } else if (tag == "refused") {
                refused(id);
            } else if (tag == "end") {
                ended_ = true;
            } else if (what == take::accepted_only) {
                continue;
            } else if (tag == "result") {
                result(id, rest);
            } else if (tag == "error") {
                error(id, rest);
            } else if (tag == "stored") {
                stored(id, rest);
            } else if (tag == "timeout") {
                problems_.push_back("the client gave up: " + line);
            } else {
                problems_.push_back("unreadable log line: " + line);
            }
        }
        return true;
    }

    // Every breach, one line each; empty when every promise held. every_accepted_ends: each
    // accepted task must have its result here (false for a client that was killed).
    std::vector<std::string> violations(bool every_accepted_ends = true) const {
        std::vector<std::string> out = problems_;
        for (const auto& [id, index] : accepted_) {
            const auto r = results_.find(id);
            const auto e = errors_.find(id);
            const std::size_t results = r == results_.end() ? 0 : r->second.size();
            const std::size_t errors = e == errors_.end() ? 0 : e->second.size();
            if (results + errors > 1) {
                out.push_back("task " + id + ": " + std::to_string(results + errors) + " results");
            }
            if (errors > 0) out.push_back("task " + id + ": ended in error: " + e->second.front());
            if (results + errors == 0 && every_accepted_ends)
                out.push_back("task " + id + ": lost (no result)");
            const std::string want = expected_(index);
            if (results > 0) {
                for (const std::string& v : r->second) {
                    if (v != want)
                        out.push_back("task " + id + ": value " + v + ", expected " + want);
                }
            }
            const auto s = stored_.find(id);
            if (s != stored_.end() && s->second != want) {
                out.push_back("task " + id + ": the broker stores " + s->second + ", expected " +
                              want);
            }
        }
        auto unknown = [&](const auto& by_id, const char* what) {
            for (const auto& entry : by_id) {
                if (accepted_.count(entry.first) == 0) {
                    out.push_back(std::string(what) + " for unknown id " + entry.first +
                                  (refused_.count(entry.first) ? " (it was refused)" : ""));
                }
            }
        };
        unknown(results_, "result");
        unknown(errors_, "error");
        unknown(stored_, "stored result");
        return out;
    }

    std::size_t accepted_count() const noexcept { return accepted_.size(); }
    std::size_t refused_count() const noexcept { return refused_.size(); }
    std::size_t result_count() const {
        std::size_t n = 0;
        for (const auto& [id, values] : results_) n += values.size();
        return n;
    }
    std::size_t stored_count() const noexcept { return stored_.size(); }
    // The log's `end` line was read: the client saw every accepted task end.
    bool ended() const noexcept { return ended_; }
    // id -> index of every accepted task.
    const std::map<std::string, std::size_t>& accepted_ids() const noexcept { return accepted_; }

  private:
    std::function<std::string(std::size_t)> expected_;
    std::map<std::string, std::size_t> accepted_;
    std::set<std::string> refused_;
    std::map<std::string, std::vector<std::string>> results_;
    std::map<std::string, std::vector<std::string>> errors_;
    std::map<std::string, std::string> stored_;
    std::vector<std::string> problems_;
    bool ended_ = false;
};

// How many lines tagged `tag` the log at `path` holds now (progress of a running client).
inline std::size_t count_log_lines(const std::string& path, const std::string& tag) {
    std::ifstream in(path);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        if (line.compare(0, tag.size() + 1, tag + " ") == 0) ++n;
    }
    return n;
}

// A checker's breaches (or any lines) for a failure message, the first `at_most` of them.
inline std::string joined(const std::vector<std::string>& lines, std::size_t at_most = 20) {
    std::string out;
    for (std::size_t i = 0; i < lines.size() && i < at_most; ++i) out += "\n  " + lines[i];
    if (lines.size() > at_most)
        out += "\n  ... and " + std::to_string(lines.size() - at_most) + " more";
    return out;
}

}  // namespace shoal::testing
