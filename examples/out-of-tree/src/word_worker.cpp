// A worker binary of its own: word_worker [BROKER]
#include <string>

#include "shoal/worker/worker.hpp"
#include "word_tasks/word_tasks.hpp"

int main(int argc, char** argv) {
    shoal::worker_options options;
    if (argc > 1) options.broker = argv[1];
    options.name = "word-worker";
    options.threads = 1;
    options.processes = 1;
    shoal::worker worker(options);
    word_tasks::define(worker.registry());
    return worker.run();
}
