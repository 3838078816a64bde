#pragma once
// periodic_options: how the broker runs a periodic task added by client::add_periodic
// (broker/README.md, "Periodic tasks"): the time zone a cron schedule is read in, what to do
// with slots missed while no broker ran, and the queue its tasks go to.
//
//   client.add_periodic("report", "cron 0 9 * * mon-fri", report.s(), {.zone = "Europe/Paris"});

#include <string>

namespace shoal {

struct periodic_options {
    std::string zone = "UTC";         // IANA name ("Europe/Paris"), for a cron schedule
    std::string missed = "run_once";  // run_once: the latest missed slot runs; skip: none
    std::string queue{};              // empty: the signature's, else the task's route/default
};

}  // namespace shoal
