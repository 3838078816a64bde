#pragma once
// lines_of: a program's printed output split into lines, for asserting what it printed.

#include <sstream>
#include <string>
#include <vector>

namespace shoal::testing {

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace shoal::testing
