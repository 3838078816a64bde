#pragma once
// broker: the SHOAL/1 broker (PROTOCOL.md), single-threaded on a common/ event_loop, as
// Redis is. It owns one ROUTER socket that clients and workers connect to, and everything
// behind it: sessions and heartbeats, named queues, credit-based dispatch, the in-flight
// table with attempt fencing, the result store, revoke, purge and inspect.
//
// Embedding it (tests, benchmarks, the daemon):
//
//     shoal::event_loop loop;
//     shoal::broker::broker_config config;
//     config.bind = "tcp://127.0.0.1:0";
//     shoal::broker::broker b(loop, config);
//     std::string endpoint = b.bind();   // e.g. tcp://127.0.0.1:41234
//     loop.run_forever();                 // until loop.stop(); then b.close()
//
// embedded_broker.hpp runs one on a thread of its own.
//
// Thread-safety: none; every member runs on the loop's thread.

#include <functional>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "shoal/broker/broker_config.hpp"
#include "shoal/broker/broker_error.hpp"
#include "shoal/broker/broker_stats.hpp"
#include "shoal/common/errors.hpp"
#include "shoal/common/event_loop.hpp"

namespace shoal::broker {

class broker_core;

class broker {
  public:
    // With a ZeroMQ context of its own, or one shared with other sockets of the process
    // (which must outlive the broker; inproc:// endpoints need the same context).
    broker(event_loop& loop, broker_config config);
    broker(event_loop& loop, broker_config config, zmq::context_t& context);
    ~broker();
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    // Binds config.bind, starts serving on the loop, and returns the real endpoint (the
    // port chosen when config.bind asked for port 0). Throws broker_error.
    std::string bind();
    // Sends BYE to every peer, stops serving and closes the socket. Idempotent; the
    // destructor calls it.
    void close();
    // Re-reads keys_dir (the daemon does on SIGHUP): new keys work at once, sessions of removed
    // keys end. Throws broker_error if the broker has no key or the directory cannot be read
    // (the keys in use then stay).
    void reload_keys();

    bool is_bound() const noexcept;
    // Active and standby brokers (config.ha_lease_ms; broker/README.md): whether this broker
    // holds the lease and serves (always true without ha_lease_ms), and what to do when it
    // no longer does: `lost` is called once, from the loop, and the broker must be closed (the
    // daemon then starts again as a standby).
    bool is_active() const noexcept;
    void on_lease_lost(std::function<void(const std::string& why)> lost);
    // The bound endpoint ("" before bind).
    const std::string& endpoint() const noexcept;
    // The HTTP listener's HOST:PORT as bound (config.http; "" without one, or before bind).
    const std::string& http_endpoint() const noexcept;
    const broker_config& config() const noexcept;
    const broker_stats& stats() const noexcept;

  private:
    std::unique_ptr<broker_core> core_;
};

}  // namespace shoal::broker
