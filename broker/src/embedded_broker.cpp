#include "shoal/broker/embedded_broker.hpp"

#include <memory>

namespace shoal::broker {

embedded_broker::embedded_broker(broker_config config, const shoal::clock* time_source) {
    std::promise<std::string> started;
    auto endpoint = started.get_future();
    thread_ = std::thread([this, config = std::move(config), time_source, &started]() mutable {
        run(std::move(config), time_source, started);
    });
    try {
        endpoint_ = endpoint.get();
    } catch (...) {
        thread_.join();
        throw;
    }
}

embedded_broker::~embedded_broker() { stop(); }

void embedded_broker::run(broker_config config, const shoal::clock* time_source,
                          std::promise<std::string>& started) {
    std::unique_ptr<event_loop> own_loop = time_source != nullptr
                                               ? std::make_unique<event_loop>(*time_source)
                                               : std::make_unique<event_loop>();
    event_loop& loop = *own_loop;
    broker b(loop, std::move(config));
    try {
        const std::string endpoint = b.bind();
        loop_ = &loop;
        broker_ = &b;
        started.set_value(endpoint);
    } catch (...) {
        started.set_exception(std::current_exception());
        return;
    }
    loop.run_forever();
    b.close();
}

void embedded_broker::stop() {
    if (!thread_.joinable()) return;
    event_loop* loop = loop_;
    broker* b = broker_;
    loop->call_soon_threadsafe([loop, b] {
        b->close();
        loop->stop();
    });
    thread_.join();
    loop_ = nullptr;
    broker_ = nullptr;
}

}  // namespace shoal::broker
