// The peer for Shoal's round-trip figure: the barest relay ZeroMQ allows, shaped like Shoal's
// path (client DEALER -> broker ROUTER -> worker DEALER and back), with no protocol, no
// decoding and no bookkeeping. Three processes, as in Shoal's measurement:
//
//   zmq_relay router ENDPOINT        binds one ROUTER; prints the bound endpoint; relays
//   zmq_relay echo ENDPOINT          a worker: says "W", then echoes every request
//   zmq_relay client ENDPOINT N      N sequential round trips; prints JSON p50/p99/p999 in us
//   zmq_relay throughput ENDPOINT N  N requests pipelined (at most 20,000 unanswered), every
//                                    reply awaited; prints JSON messages/s
//
// The router forwards a client's [client_id, body] to the worker as [worker, client_id, body]
// and the worker's [client_id, body] back to the client.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace {

int run_router(const std::string& endpoint) {
    zmq::context_t ctx;
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    // No high-water mark: a ROUTER drops what it cannot queue, and the throughput mode keeps
    // thousands of messages in flight.
    router.set(zmq::sockopt::sndhwm, 0);
    router.set(zmq::sockopt::rcvhwm, 0);
    router.bind(endpoint);
    std::printf("%s\n", router.get(zmq::sockopt::last_endpoint).c_str());
    std::fflush(stdout);
    std::string worker;
    for (;;) {
        std::vector<zmq::message_t> parts;
        zmq::message_t m;
        do {
            if (!router.recv(m)) return 1;
            parts.push_back(std::move(m));
        } while (parts.back().more());
        const std::string from = parts[0].to_string();
        if (parts.size() == 2 && parts[1].to_string_view() == "W") {
            worker = from;
        } else if (from == worker && parts.size() == 3) {
            // [worker, client_id, body] -> [client_id, body]
            router.send(parts[1], zmq::send_flags::sndmore);
            router.send(parts[2], zmq::send_flags::none);
        } else if (!worker.empty() && parts.size() == 2) {
            router.send(zmq::buffer(worker), zmq::send_flags::sndmore);
            router.send(parts[0], zmq::send_flags::sndmore);
            router.send(parts[1], zmq::send_flags::none);
        }
    }
}

int run_echo(const std::string& endpoint) {
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::sndhwm, 0);
    dealer.set(zmq::sockopt::rcvhwm, 0);
    dealer.connect(endpoint);
    dealer.send(zmq::str_buffer("W"), zmq::send_flags::none);
    for (;;) {
        zmq::message_t client, body;
        if (!dealer.recv(client) || !dealer.recv(body)) return 1;
        dealer.send(client, zmq::send_flags::sndmore);
        dealer.send(body, zmq::send_flags::none);
    }
}

// A request the size of a SHOAL/1 no-op submit body.
const std::string request(40, 'x');

// The router drops requests until the echo worker has said hello: ask until one returns.
bool connect_client(zmq::socket_t& dealer, const std::string& endpoint) {
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::rcvtimeo, 100);
    dealer.connect(endpoint);
    bool answered = false;
    for (int attempt = 0; attempt < 100 && !answered; ++attempt) {
        dealer.send(zmq::buffer(request), zmq::send_flags::none);
        zmq::message_t reply;
        answered = dealer.recv(reply).has_value();
    }
    if (!answered) {
        std::fprintf(stderr, "zmq_relay: no reply in 10 s (is the echo worker up?)\n");
        return false;
    }
    // Late answers to the hello attempts, so that none is counted later.
    for (zmq::message_t late; dealer.recv(late, zmq::recv_flags::dontwait);) {
    }
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    return true;
}

int run_throughput(const std::string& endpoint, int n) {
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::sndhwm, 0);
    dealer.set(zmq::sockopt::rcvhwm, 0);
    if (!connect_client(dealer, endpoint)) return 1;
    constexpr int window = 20'000;
    const auto start = std::chrono::steady_clock::now();
    int sent = 0;
    int received = 0;
    while (received < n) {
        while (sent < n && sent - received < window) {
            dealer.send(zmq::buffer(request), zmq::send_flags::none);
            ++sent;
        }
        zmq::message_t reply;
        if (!dealer.recv(reply)) {
            std::fprintf(stderr, "zmq_relay: no reply for 5 s after %d of %d\n", received, n);
            return 1;
        }
        ++received;
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"messages\": %d, \"seconds\": %.4f, \"messages_per_s\": %.0f}\n", n, took,
                n / took);
    return 0;
}

int run_client(const std::string& endpoint, int n) {
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    if (!connect_client(dealer, endpoint)) return 1;
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n + 100; ++i) {
        const auto start = std::chrono::steady_clock::now();
        dealer.send(zmq::buffer(request), zmq::send_flags::none);
        zmq::message_t reply;
        if (!dealer.recv(reply)) {
            std::fprintf(stderr, "zmq_relay: no reply (is the echo worker up?)\n");
            return 1;
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        if (i >= 100) us.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
    }
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
    std::printf("{\"round_trips\": %d, \"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f}\n", n,
                at(0.5), at(0.99), at(0.999));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "router" && argc == 3) return run_router(argv[2]);
    if (mode == "echo" && argc == 3) return run_echo(argv[2]);
    if (mode == "client" && argc == 4) return run_client(argv[2], std::stoi(argv[3]));
    if (mode == "throughput" && argc == 4) return run_throughput(argv[2], std::stoi(argv[3]));
    std::fprintf(stderr, "usage: zmq_relay router|echo ENDPOINT | client|throughput ENDPOINT N\n");
    return 2;
}
