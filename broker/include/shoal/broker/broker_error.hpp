#pragma once
// shoal::broker::broker_error: the broker could not start (bind failed, bound twice).

#include "shoal/common/errors.hpp"

namespace shoal::broker {

class broker_error : public shoal::error {
  public:
    using shoal::error::error;
};

}  // namespace shoal::broker
