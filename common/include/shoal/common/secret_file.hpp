#pragma once
// secret_file: reads a file that holds a secret (a CURVE secret key, a Redis password) and
// refuses one its group or others may read: a secret anyone on the host can read is none,
// and a daemon that says so when it starts beats one that finds out after a leak.

#include <string>
#include <string_view>

#include "shoal/common/errors.hpp"

namespace shoal {

class secret_file_error : public error {
  public:
    using error::error;
};

// The file's whole text. `what` names the secret in the message ("a secret key"). Throws
// secret_file_error naming the path and why (unreadable, or readable by group or others).
std::string read_secret_file(const std::string& path, std::string_view what);

}  // namespace shoal
