#pragma once
// The HELLO name of a client that was given none: "client-<pid>@<host>", so that the
// broker's logs and inspect tell processes apart.

#include <string>

namespace shoal::detail {

std::string default_client_name();

}  // namespace shoal::detail
