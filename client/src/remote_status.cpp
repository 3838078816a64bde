#include "shoal/client/remote_status.hpp"

namespace shoal {

std::string_view to_string(remote_status status) noexcept {
    switch (status) {
        case remote_status::pending:
            return "pending";
        case remote_status::accepted:
            return "accepted";
        case remote_status::done:
            return "done";
        case remote_status::failed:
            return "failed";
        case remote_status::revoked:
            return "revoked";
    }
    return "invalid";
}

}  // namespace shoal
