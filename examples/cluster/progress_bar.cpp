#include "progress_bar.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace shoal_examples {

namespace {
double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

progress_bar::progress_bar(std::string label, std::size_t total)
    : label_(std::move(label)),
      total_(total == 0 ? 1 : total),
      terminal_(::isatty(STDOUT_FILENO) != 0) {}

void progress_bar::update(std::size_t done) {
    if (terminal_) {
        const double t = now_s();
        if (t - last_draw_ < 0.05) return;
        last_draw_ = t;
        draw(done);
    } else {
        const std::size_t quarter = done * 4 / total_;
        if (quarter > last_quarter_ && quarter < 4) {
            last_quarter_ = quarter;
            draw(done);
        }
    }
}

void progress_bar::finish(std::size_t done) {
    draw(done);
    if (terminal_) std::printf("\n");
    std::fflush(stdout);
}

void progress_bar::draw(std::size_t done) {
    constexpr std::size_t width = 40;
    const std::size_t filled = done * width / total_;
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::printf("%s%s [%s] %zu/%zu%s", terminal_ ? "\r" : "", label_.c_str(), bar.c_str(), done,
                total_, terminal_ ? "" : "\n");
    std::fflush(stdout);
}

}  // namespace shoal_examples
