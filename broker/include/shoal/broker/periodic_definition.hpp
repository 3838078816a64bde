#pragma once
// periodic_definition: a task the broker submits on a schedule (Celery beat's entry), as the
// config file's [periodic.NAME] table or `shoal periodic add` gives it. The broker checks the
// schedule when it takes the definition (a bad one is a config_error at start, or an ERROR to
// the admin who asked) and keeps when it last fired, in Redis when it has one, so each slot
// runs once across restarts (broker/README.md, "Periodic tasks").

#include <string>

namespace shoal::broker {

struct periodic_definition {
    std::string name;                 // unique in the broker; the slot task ids derive from it
    std::string task;                 // the task name, as a SUBMIT names it
    std::string queue;                // empty: the task_routes table's queue for it, else "default"
    std::string args;                 // msgpack array of the arguments; empty: none
    std::string schedule;             // "every 10s", "cron 0 9 * * mon-fri", "cron @daily"
    std::string zone = "UTC";         // IANA name, for a cron schedule
    std::string missed = "run_once";  // slots missed while no broker ran: run_once or skip
    friend bool operator==(const periodic_definition&, const periodic_definition&) = default;
};

}  // namespace shoal::broker
