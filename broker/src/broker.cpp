#include "shoal/broker/broker.hpp"

#include "broker_core.hpp"

namespace shoal::broker {

broker::broker(event_loop& loop, broker_config config)
    : core_(std::make_unique<broker_core>(loop, std::move(config), nullptr)) {}

broker::broker(event_loop& loop, broker_config config, zmq::context_t& context)
    : core_(std::make_unique<broker_core>(loop, std::move(config), &context)) {}

broker::~broker() = default;

std::string broker::bind() { return core_->bind(); }
void broker::close() { core_->close(); }
void broker::reload_keys() { core_->reload_keys(); }
bool broker::is_bound() const noexcept { return core_->is_bound(); }
bool broker::is_active() const noexcept { return core_->is_active(); }
void broker::on_lease_lost(std::function<void(const std::string& why)> lost) {
    core_->lease_lost = std::move(lost);
}
const std::string& broker::endpoint() const noexcept { return core_->endpoint(); }
const std::string& broker::http_endpoint() const noexcept { return core_->http_endpoint(); }
const broker_config& broker::config() const noexcept { return core_->config(); }
const broker_stats& broker::stats() const noexcept { return core_->stats(); }

}  // namespace shoal::broker
