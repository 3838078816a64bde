#include "word_tasks/word_tasks.hpp"

#include <cctype>

#include "shoal/worker/task_registry.hpp"

namespace word_tasks {

namespace {

long count_words(std::string text) {
    long words = 0;
    bool in_word = false;
    for (const unsigned char c : text) {
        const bool letter = std::isalnum(c) != 0;
        if (letter && !in_word) ++words;
        in_word = letter;
    }
    return words;
}

std::string shout_text(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text + "!";
}

}  // namespace

void define(shoal::task_registry& registry) {
    registry.define(word_count, count_words, shoal::run_on::thread_pool);
    registry.define(shout, shout_text, shoal::run_on::thread_pool);
}

}  // namespace word_tasks
