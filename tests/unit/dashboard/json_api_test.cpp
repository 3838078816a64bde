// The dashboard's HTTP API (json_api.hpp), without HTTP: status codes, paging, malformed
// parameters, and the control actions' token and refusals.
#include "shoal/dashboard/json_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dashboard_events.hpp"
#include "shoal/client/errors.hpp"

namespace {

using namespace shoal::dashboard;
using dashboard_test::id;
using dashboard_test::sent;
using dashboard_test::task;
using json = nlohmann::json;

constexpr const char* token = "0123456789abcdef0123456789abcdef";

// Records what the buttons asked; purge and fetch answer as told.
class fake_control : public control {
  public:
    void revoke(const shoal::proto::task_id& task_id, bool terminate) override {
        revoked.push_back(task_id.to_hex() + (terminate ? " terminate" : ""));
    }
    void requeue(const shoal::proto::task_id& task_id) override {
        requeued.push_back(task_id.to_hex());
    }
    shoal::concurrent::future<std::uint64_t> purge(std::string queue) override {
        purged.push_back(queue);
        auto f = shoal::concurrent::make_future<std::uint64_t>();
        if (purge_error) {
            f.set_exception(purge_error);
        } else if (purge_answers) {
            f.set_result(7);
        }
        return f;  // else never answered
    }
    shoal::concurrent::future<shoal::fetch_result> fetch_state(
        const shoal::proto::task_id& task_id) override {
        shoal::fetch_result r;
        r.id = task_id;
        r.state = shoal::proto::result_state::done;
        shoal::proto::outcome o;
        o.id = task_id;
        o.status = shoal::proto::task_status::ok;
        o.payload = std::string("\x2a", 1);  // msgpack 42
        r.outcome = o;
        return shoal::concurrent::make_ready_future(r);
    }

    std::vector<std::string> revoked;
    std::vector<std::string> requeued;
    std::vector<std::string> purged;
    std::exception_ptr purge_error;
    bool purge_answers = true;
};

class DashboardApi : public ::testing::Test {
  protected:
    DashboardApi() : api(model, broker, options()) {}
    static api_options options() {
        api_options o;
        o.control_token = token;
        o.broker_timeout_s = 0.2;
        o.now = [] { return 2000.0; };
        return o;
    }
    api_answer get(const std::string& path,
                   std::multimap<std::string, std::string> params = {}) const {
        return api.handle({"GET", path, std::move(params), ""});
    }
    api_answer post(const std::string& path, const std::string& with_token = token) const {
        return api.handle({"POST", path, {}, with_token});
    }
    static json body(const api_answer& a) { return json::parse(a.body); }

    cluster_model model{1000};
    fake_control broker;
    json_api api;
};

TEST_F(DashboardApi, TasksComeInPagesWithTheirTotal) {
    for (std::uint64_t n = 1; n <= 30; ++n) model.apply(sent(n, n, 1000.0));
    const api_answer a = get("/api/tasks", {{"offset", "10"}, {"limit", "15"}});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.content_type, "application/json");
    const json j = body(a);
    EXPECT_EQ(j["total"], 30);
    EXPECT_EQ(j["tasks"].size(), 15u);
    EXPECT_EQ(j["tasks"][0]["id"], id(20));
    EXPECT_EQ(j["tasks"][0]["state"], "sent");
    EXPECT_EQ(j["tasks"][0]["args"], "[1,2]");
    EXPECT_EQ(body(get("/api/tasks", {{"name", "never-seen"}}))["total"], 0);
    EXPECT_EQ(body(get("/api/tasks", {{"state", "sent,failed"}}))["total"], 30);
    EXPECT_EQ(body(get("/api/tasks", {{"q", id(7).substr(0, 8) + "-" + id(7).substr(8)}}))["total"],
              1);
}

TEST_F(DashboardApi, MalformedParametersAre400WithAMessage) {
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"limit", "abc"},
             {"limit", "501"},
             {"limit", "-1"},
             {"limit", "1e3"},
             {"offset", "-5"},
             {"offset", "99999999999999999999999"},
             {"state", "bogus"},
             {"q", "xyz"},
             {"q", std::string(40, 'a')},
         }) {
        const api_answer a = get("/api/tasks", {{key, value}});
        EXPECT_EQ(a.status, 400) << key << "=" << value;
        const json j = body(a);
        EXPECT_EQ(j["code"], "bad_request");
        EXPECT_NE(j["error"].get<std::string>().find(key), std::string::npos) << j.dump();
    }
    EXPECT_EQ(get("/api/tasks/not-an-id").status, 400);
    EXPECT_EQ(get("/api/tasks/" + id(1)).status, 404);
    EXPECT_EQ(get("/api/nothing").status, 404);
    EXPECT_EQ(api.handle({"DELETE", "/api/tasks", {}, ""}).status, 405);
}

TEST_F(DashboardApi, ATaskPageHasItsAttemptsAndErrorAndTheResultComesFromTheBroker) {
    model.apply(sent(1, 1, 1000.0, "fail"));
    auto failed = task("task-failed", 1, 2, 1001.0, "fail");
    failed.exception = "std::runtime_error: boom";
    failed.exception_type = "std::runtime_error";
    failed.traceback = "boom";
    failed.hostname = "w1";
    model.apply(failed);
    const json j = body(get("/api/tasks/" + id(1)));
    EXPECT_EQ(j["state"], "failed");
    EXPECT_EQ(j["exception"], "std::runtime_error: boom");
    EXPECT_EQ(j["traceback"], "boom");
    EXPECT_EQ(j["args"], json::parse("[1,2]"));
    EXPECT_EQ(j["attempt_log"].size(), 1u);
    EXPECT_EQ(j["attempt_log"][0]["outcome"], "failed");
    const json r = body(get("/api/tasks/" + id(1) + "/result"));
    EXPECT_EQ(r["state"], "done");
    EXPECT_EQ(r["status"], "ok");
    EXPECT_EQ(r["result"], 42);
}

TEST_F(DashboardApi, ControlIsPostOnlyAndNeedsTheToken) {
    const std::string path = "/api/tasks/" + id(1) + "/revoke";
    EXPECT_EQ(get(path).status, 405);
    EXPECT_EQ(body(post(path, ""))["code"], "no_token");
    EXPECT_EQ(post(path, "").status, 401);
    EXPECT_EQ(post(path, std::string(token) + "0").status, 403);
    EXPECT_EQ(post(path, "wrong").status, 403);
    EXPECT_TRUE(broker.revoked.empty());
    EXPECT_EQ(post(path).status, 202);
    EXPECT_EQ(post("/api/tasks/" + id(2) + "/terminate").status, 202);
    EXPECT_EQ(broker.revoked, (std::vector<std::string>{id(1), id(2) + " terminate"}));
    EXPECT_EQ(post("/api/tasks/nope/revoke").status, 400);
    EXPECT_EQ(post("/api/dead/" + id(3) + "/retry").status, 202);
    EXPECT_EQ(broker.requeued, std::vector<std::string>{id(3)});
}

TEST_F(DashboardApi, PurgeAnswersWithTheCountOrTheBrokersRefusal) {
    const api_answer ok = post("/api/queues/default/purge");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(body(ok)["purged"], 7);
    EXPECT_EQ(post("/api/queues/a/b/purge").status, 200);
    EXPECT_EQ(broker.purged, (std::vector<std::string>{"default", "a/b"}));
    broker.purge_error = std::make_exception_ptr(
        shoal::broker_error("forbidden", "PURGE needs an admin key", "broker"));
    const api_answer refused = post("/api/queues/default/purge");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(body(refused)["code"], "forbidden");
    EXPECT_EQ(body(refused)["error"], "PURGE needs an admin key");
    broker.purge_error = nullptr;
    broker.purge_answers = false;
    EXPECT_EQ(post("/api/queues/default/purge").status, 504);
}

TEST_F(DashboardApi, RetryIsRefusedWhenTheBrokerRefusedThisKeyItsDeadLetters) {
    model.report_failed("dead", "forbidden", "INSPECT dead needs an admin key", 1990.0);
    const api_answer a = post("/api/dead/" + id(1) + "/retry");
    EXPECT_EQ(a.status, 403);
    EXPECT_EQ(body(a)["code"], "forbidden");
    EXPECT_TRUE(broker.requeued.empty());
    const json dead = body(get("/api/dead"));
    EXPECT_EQ(dead["code"], "forbidden");
    EXPECT_TRUE(dead["rows"].empty());
}

TEST_F(DashboardApi, OverviewSeriesAndFiltersAnswer) {
    model.apply(sent(1, 1, 1995.0, "fib"));
    model.apply(dashboard_test::worker("worker-online", "w1", 2, 1995.0));
    const json o = body(get("/api/overview"));
    EXPECT_EQ(o["states"]["sent"], 1);
    EXPECT_EQ(o["history"]["max"], 1000);
    EXPECT_EQ(o["workers"]["online"], 1);
    const json s = body(get("/api/series"));
    EXPECT_EQ(s["sent"].size(), model_state::chart_buckets);
    EXPECT_EQ(s["sent"][model_state::chart_buckets - 2], 1.0);  // [1990, 2000)
    EXPECT_TRUE(s["depth"].back().is_null());
    const json f = body(get("/api/filters"));
    EXPECT_EQ(f["names"], json::array({"fib"}));
    EXPECT_EQ(f["workers"], json::array({"w1"}));
    EXPECT_EQ(body(get("/api/workers"))["workers"][0]["heartbeat_age_s"], 5.0);
}

TEST(DashboardTokens, CompareWholeStrings) {
    EXPECT_TRUE(tokens_equal("abc", "abc"));
    EXPECT_FALSE(tokens_equal("abc", "abd"));
    EXPECT_FALSE(tokens_equal("abc", "abcd"));
    EXPECT_FALSE(tokens_equal("", "a"));
}

}  // namespace
