#pragma once
// What the network fault tests share around the batch client program (batch_client.cpp):
// a scratch directory for its outcome log, its command line, and the broker's INSPECT
// reports read through the `shoal` CLI, which can run inside a network namespace where the
// test process itself cannot reach the broker.

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process/batch_tasks.hpp"
#include "process/child_process.hpp"
#include "process/local_cluster.hpp"

namespace shoal::testing {

// A fresh directory under /tmp, removed with everything in it by the destructor.
class scratch_dir {
  public:
    scratch_dir() {
        // mkdtemp's template: it replaces the six trailing X with a unique name.
        char tmpl[] = "/tmp/shoal-fault-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error(std::string("scratch_dir: mkdtemp: ") + std::strerror(errno));
        }
        path_ = tmpl;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// The batch client's command line, run through `prefix` (e.g. two_hosts::on_a()).
inline std::vector<std::string> batch_client_argv(const std::vector<std::string>& prefix,
                                                  const std::string& endpoint,
                                                  const std::string& log, const batch::spec& spec,
                                                  std::size_t count, std::size_t chunk,
                                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {SHOAL_TEST_BATCH_CLIENT_EXE, "--broker", endpoint, "--log", log,
                             "--count", std::to_string(count), "--chunk", std::to_string(chunk)});
    if (spec.task == batch::kind::add) {
        argv.insert(argv.end(), {"--task", "add"});
    } else if (spec.task == batch::kind::blob) {
        argv.insert(argv.end(),
                    {"--task", "blob", "--blob-bytes", std::to_string(spec.blob_bytes)});
    } else {
        argv.insert(argv.end(), {"--task", "sleep", "--sleep-ms",
                                 std::to_string(spec.min_ms) + ":" + std::to_string(spec.max_ms)});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// One INSPECT report through the CLI (`shoal inspect WHAT --json`) run through `prefix`:
// each row as key -> value text. Empty with `ok` false if the CLI failed.
struct cli_report {
    bool ok = false;
    std::string output;
    std::vector<std::map<std::string, std::string>> rows;

    // The value of `key` in the first row as a number (-1 if absent).
    long number(const std::string& key) const {
        if (rows.empty()) return -1;
        const auto it = rows.front().find(key);
        return it == rows.front().end() ? -1 : std::stol(it->second);
    }
};

inline cli_report inspect_through_cli(const std::vector<std::string>& prefix,
                                      const std::string& endpoint, const std::string& what) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {cluster_paths::cli(), "inspect", what, "--json", "--broker", endpoint,
                             "--timeout", "5"});
    auto p = child_process::spawn(argv);
    cli_report r;
    r.output = p.read_all(15.0);
    if (p.wait(15.0) != 0) return r;
    try {
        const auto doc = nlohmann::json::parse(r.output);
        for (const auto& row : doc.at("rows")) {
            std::map<std::string, std::string> fields;
            for (const auto& [key, value] : row.items()) {
                fields[key] = value.is_string() ? value.get<std::string>() : value.dump();
            }
            r.rows.push_back(std::move(fields));
        }
        r.ok = true;
    } catch (const std::exception&) {
        r.ok = false;
    }
    return r;
}

}  // namespace shoal::testing
