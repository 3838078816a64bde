#pragma once
// zap_handler: the broker's ZAP handler (ZeroMQ RFC 27). libzmq asks it about every CURVE
// handshake on the broker's socket; it answers 200 with the key's principal as User-Id
// ("worker:gpu-1"), which libzmq then attaches to every message of that connection, or 400
// for an unknown key, a plaintext mechanism or another domain. Refusals are counted and
// logged at most once a second per reason.
//
// A plaintext peer, or one that expects another broker key, fails its handshake before ZAP
// is asked: those are seen through a monitor of the broker's socket, and counted and logged
// as refusals too.
//
// It runs on a thread of its own, bound to inproc://zeromq.zap.01 of the broker's context,
// so that a handshake is answered even while the broker's loop is busy. The key registry
// can be replaced while it runs (reload on SIGHUP); the next handshake sees the new keys.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include <zmq.hpp>

#include "../log_limiter.hpp"
#include "key_registry.hpp"

namespace shoal::broker {

inline constexpr const char* zap_domain = "shoal";

class zap_handler {
  public:
    // Binds the ZAP endpoint (before any socket of the context authenticates), watches the
    // handshakes of `watched` (the broker's socket, before it binds) and starts. Throws
    // zmq::error_t if another handler holds the endpoint.
    zap_handler(zmq::context_t& context, key_registry keys, zmq::socket_t& watched);
    ~zap_handler();
    zap_handler(const zap_handler&) = delete;
    zap_handler& operator=(const zap_handler&) = delete;

    void replace_keys(key_registry keys);
    std::shared_ptr<const key_registry> keys() const;

    std::uint64_t accepted() const noexcept { return accepted_.load(std::memory_order_relaxed); }
    std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

  private:
    void run();
    void answer_one();
    void note_failed_handshake();
    void refuse(const char* kind, const std::string& why, const std::string& address);

    zmq::socket_t socket_;
    zmq::socket_t monitor_;
    mutable std::mutex keys_mutex_;
    std::shared_ptr<const key_registry> keys_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> refused_{0};
    log_limiter limiter_;  // the thread's own
    std::thread thread_;
};

}  // namespace shoal::broker
