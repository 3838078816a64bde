#include "shoal/common/clock.hpp"

#include <chrono>

namespace shoal {

double steady_clock::now() const {
    using seconds = std::chrono::duration<double>;
    return std::chrono::duration_cast<seconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace shoal
