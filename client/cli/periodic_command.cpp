// shoal periodic add|list|remove|pause|resume: the broker's periodic tasks (an admin key).
//
//   shoal periodic add tick --every 10s add 1 2
//   shoal periodic add nightly --cron "0 2 * * *" --zone Europe/Paris add 1 2
//   shoal periodic list
//   shoal periodic pause nightly | resume nightly | remove nightly

#include "commands.hpp"
#include "output.hpp"
#include "shoal/client/json_msgpack.hpp"

namespace shoal::cli {

int run_periodic(const global_options& opts, const periodic_args& args) {
    auto c = connect(opts);
    if (!c) return exit_unreachable;
    concurrent::future<proto::report> asked;
    if (args.action == "add") {
        if (args.call.empty()) {
            report_error(opts, "periodic add: give the task's name (and its arguments) after NAME");
            return exit_usage;
        }
        if (args.every.empty() == args.cron.empty()) {
            report_error(opts, "periodic add: give one of --every (10s) or --cron (\"0 9 * * *\")");
            return exit_usage;
        }
        const std::span<const std::string> values(args.call.data() + 1, args.call.size() - 1);
        std::string payload;
        try {
            payload = json_args_to_msgpack(values);
        } catch (const std::exception& e) {
            report_error(opts, std::string("periodic add: an argument is not JSON: ") + e.what());
            return exit_usage;
        }
        periodic_options o;
        o.zone = args.zone;
        o.missed = args.missed;
        o.queue = args.queue;
        const std::string schedule =
            args.every.empty() ? "cron " + args.cron : "every " + args.every;
        asked = c->add_periodic_raw(args.name, schedule, args.call.front(), std::move(payload), o);
    } else if (args.action == "list") {
        asked = c->list_periodic();
    } else if (args.action == "remove") {
        asked = c->remove_periodic(args.name);
    } else {
        asked = c->pause_periodic(args.name, args.action == "pause");
    }
    proto::report report;
    try {
        report = asked.result(opts.timeout_s);
    } catch (const timeout_error&) {
        report_error(opts, "broker " + opts.broker + " did not answer ADMIN within the timeout");
        return exit_unreachable;
    }
    print_rows(opts, "action", report, "(no periodic tasks)");
    return exit_ok;
}

}  // namespace shoal::cli
