#pragma once
// json_api: the dashboard's HTTP API, independent of the HTTP library (http_server.cpp adapts
// cpp-httplib to it; tests call it directly).
//
//   GET  /api/overview                 counts by state, the event stream, the history's bound
//   GET  /api/workers                  every worker, online or offline
//   GET  /api/queues                   depth, rates in and out per second, oldest age
//   GET  /api/tasks?state=&name=&worker=&q=&offset=&limit=
//                                      a page of tasks, newest first (limit <= 500)
//   GET  /api/tasks/ID                 one task, with its attempts
//   GET  /api/tasks/ID/result          the broker's stored state and result (FETCH)
//   GET  /api/dead | /api/limits | /api/stats   the broker's INSPECT answers, as polled
//   GET  /api/series                   the charts: an hour in 10 s buckets
//   GET  /api/filters                  the task names and workers seen (the filters' lists)
//   POST /api/tasks/ID/revoke          control: needs the header X-Shoal-Token
//   POST /api/tasks/ID/terminate
//   POST /api/dead/ID/retry
//   POST /api/queues/NAME/purge
//
// Every answer is JSON; errors are {"error": message, "code": code} with 400 (a malformed
// parameter or id), 401 (no token), 403 (a wrong token; or the broker said forbidden), 404,
// 405 (a control path asked with GET), 502 (another refusal of the broker), 504 (no answer in
// time).

#include <functional>
#include <map>
#include <string>

#include "shoal/dashboard/cluster_model.hpp"
#include "shoal/dashboard/control.hpp"

namespace shoal::dashboard {

struct api_request {
    std::string method;                              // GET, POST, ...
    std::string path;                                // /api/...
    std::multimap<std::string, std::string> params;  // the query string, decoded
    std::string token;                               // the X-Shoal-Token header; empty when absent
};

struct api_answer {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
};

struct api_options {
    std::string control_token;      // what X-Shoal-Token must be
    double broker_timeout_s = 5.0;  // for the broker's answers (purge, fetch)
    std::function<double()> now;    // unix seconds; the system clock when empty
};

class json_api {
  public:
    static constexpr std::size_t max_page = 500;
    static constexpr std::size_t default_page = 50;

    json_api(cluster_model& model, control& broker, api_options options);

    // Never throws: an unexpected error is a 500 with its message.
    api_answer handle(const api_request& request) const;

  private:
    api_answer route(const api_request& request) const;
    api_answer control_action(const api_request& request) const;
    double now() const;

    cluster_model& model_;
    control& broker_;
    api_options options_;
};

// Compares in time independent of where the strings differ.
bool tokens_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace shoal::dashboard
