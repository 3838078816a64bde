#include "shoal/dashboard/dashboard.hpp"

#include <chrono>
#include <thread>

#include "broker_poller.hpp"
#include "shoal/client/client.hpp"
#include "shoal/client/errors.hpp"
#include "shoal/dashboard/cluster_model.hpp"
#include "shoal/dashboard/control.hpp"
#include "shoal/dashboard/http_server.hpp"
#include "shoal/dashboard/json_api.hpp"

namespace shoal::dashboard {

namespace {

// Why the event subscription ended, for the page's banner.
void watch_subscription(const concurrent::future<void>& subscription, cluster_model& model) {
    subscription.add_done_callback([&model](const concurrent::future<void>& done) {
        try {
            done.result();
            model.set_events_status("closed");
        } catch (const broker_error& e) {
            model.set_events_status("refused", e.code() + ": " + e.what());
        } catch (const std::exception& e) {
            model.set_events_status("closed", e.what());
        }
    });
}

}  // namespace

int run_dashboard(const dashboard_options& options, std::ostream& out,
                  const std::atomic<bool>& stop) {
    const bool token_from_file = !options.control_token_file.empty();
    const std::string token =
        token_from_file ? read_token_file(options.control_token_file) : generate_token();

    cluster_model model(options.history);
    client_options copts = options.client;
    if (copts.name.empty()) copts.name = "shoal-dashboard";
    client c(options.broker, copts);
    client_control control(c);
    api_options api_opts;
    api_opts.control_token = token;
    api_opts.broker_timeout_s = options.broker_timeout_s;
    json_api api(model, control, api_opts);
    http_server server(api);
    const std::string bound = server.start(options.http);

    out << "shoal dashboard: serving the cluster at " << options.broker << " on http://" << bound
        << "/\n";
    if (token_from_file) {
        out << "shoal dashboard: control actions need the token in " << options.control_token_file
            << " (open http://" << bound << "/#token=<token>)\n";
    } else {
        out << "shoal dashboard: open this URL to view and control (the token is this run's):\n";
        out << "    http://" << bound << "/#token=" << token << '\n';
    }
    out.flush();

    const concurrent::future<void> subscription =
        c.subscribe_events([&model](const event_batch& batch) { model.apply(batch); });
    watch_subscription(subscription, model);

    detail::broker_poller poller(c, model, options.poll_interval_s, options.broker_timeout_s);
    std::thread status_thread([&] {
        using namespace std::chrono_literals;
        // The stream's state when no event says it: connected and subscribed, or not.
        while (!stop.load()) {
            model.set_connected(c.connected());
            std::this_thread::sleep_for(200ms);
        }
    });
    poller.run(stop);
    status_thread.join();
    server.stop();
    c.unsubscribe_events();
    c.close();
    return 0;
}

}  // namespace shoal::dashboard
