// Counts the words of a text file on a running cluster as a map-reduce (a chord: a group of
// word_count tasks and a merge_counts callback), submitted as one batch:
//
//   workflow_word_count [--broker tcp://HOST:PORT] [--parts N] [FILE]   (default: a sample)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "shoal/client/client.hpp"
#include "workflow_tour.hpp"

int main(int argc, char** argv) {
    std::string broker = std::getenv("SHOAL_BROKER") != nullptr ? std::getenv("SHOAL_BROKER") : "";
    std::size_t parts = 8;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--broker") == 0 && i + 1 < argc) {
            broker = argv[++i];
        } else if (std::strcmp(argv[i], "--parts") == 0 && i + 1 < argc) {
            parts = std::strtoul(argv[++i], nullptr, 10);
        } else {
            file = argv[i];
        }
    }
    if (broker.empty()) {
        std::fprintf(stderr, "workflow_word_count: give --broker or set SHOAL_BROKER\n");
        return 2;
    }
    std::string text = shoal_examples::sample_text();
    if (!file.empty()) {
        std::ifstream in(file);
        if (!in) {
            std::fprintf(stderr, "workflow_word_count: cannot read %s\n", file.c_str());
            return 2;
        }
        std::ostringstream all;
        all << in.rdbuf();
        text = all.str();
    }
    try {
        shoal::client client(broker);
        shoal_examples::show_word_count(client, text, parts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "workflow_word_count: %s\n", e.what());
        return 1;
    }
    return 0;
}
