// A client: word_client BROKER. Prints each task's result, one per line.
#include <cstdio>
#include <string>

#include "shoal/client/client.hpp"
#include "shoal/common/version.hpp"
#include "word_tasks/word_tasks.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: word_client BROKER\n");
        return 2;
    }
    shoal::client client(argv[1]);
    auto words = client.submit(word_tasks::word_count, std::string("the quick brown fox"));
    auto loud = client.submit(word_tasks::shout, std::string("hello from outside the tree"));
    std::printf("shoal %s\n", std::string(shoal::version).c_str());
    std::printf("word_count = %ld\n", words.get(60.0));
    std::printf("shout = %s\n", loud.get(60.0).c_str());
    return 0;
}
