#pragma once
// A one-line progress bar: redrawn in place on a terminal, a line per quarter otherwise (so a
// log or CI output stays short).

#include <cstddef>
#include <string>

namespace shoal_examples {

class progress_bar {
  public:
    progress_bar(std::string label, std::size_t total);
    // Shows `done` of total; cheap to call often (draws at most ~20 times a second).
    void update(std::size_t done);
    // Draws the final state and ends the line.
    void finish(std::size_t done);

  private:
    void draw(std::size_t done);

    std::string label_;
    std::size_t total_;
    bool terminal_;
    double last_draw_ = -1;
    std::size_t last_quarter_ = 0;
};

}  // namespace shoal_examples
