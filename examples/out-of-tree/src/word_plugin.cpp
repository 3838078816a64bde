// The tasks as a task library: shoal-worker --tasks libword_plugin.so
#include "shoal/worker/plugin.hpp"
#include "word_tasks/word_tasks.hpp"

SHOAL_TASK_PLUGIN(registry) { word_tasks::define(registry); }
