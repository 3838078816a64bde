// The seed tasks as a task library for the stock daemon:
//   shoal-worker --tasks libshoal_seed_tasks_plugin.so
#include "shoal/worker/plugin.hpp"
#include "shoal_examples/seed_tasks.hpp"

SHOAL_TASK_PLUGIN(registry) { shoal_examples::define_seed_tasks(registry); }
