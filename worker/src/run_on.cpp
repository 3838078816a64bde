#include "shoal/worker/run_on.hpp"

namespace shoal {

std::string_view to_string(execution_place place) noexcept {
    switch (place) {
        case execution_place::loop:
            return "loop";
        case execution_place::thread_pool:
            return "thread_pool";
        case execution_place::process_pool:
            return "process_pool";
    }
    return "unknown";
}

}  // namespace shoal
