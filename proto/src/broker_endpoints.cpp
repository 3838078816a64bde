#include "shoal/proto/broker_endpoints.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <string_view>

namespace shoal::proto {

namespace {

constexpr std::string_view tcp_scheme = "tcp://";

// NAME's IPv4 addresses (empty when it does not resolve or is an address already).
std::vector<std::string> addresses_of(const std::string& host) {
    std::vector<std::string> out;
    in_addr numeric{};
    if (host.empty() || host == "*" || host.front() == '[' ||
        ::inet_pton(AF_INET, host.c_str(), &numeric) == 1) {
        return out;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return out;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        if (a->ai_family != AF_INET || a->ai_addr == nullptr) continue;
        char text[INET_ADDRSTRLEN] = {};
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
        if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) == nullptr) continue;
        if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
    }
    ::freeaddrinfo(found);
    return out;
}

}  // namespace

std::vector<std::string> split_endpoints(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) out.push_back(std::move(item));
        start = end + 1;
    }
    if (out.empty()) out.push_back(text);
    return out;
}

std::vector<std::string> resolve_endpoints(const std::vector<std::string>& endpoints) {
    std::vector<std::string> out;
    const auto add = [&out](std::string e) {
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    };
    for (const std::string& e : endpoints) {
        const std::size_t colon = e.rfind(':');
        if (e.compare(0, tcp_scheme.size(), tcp_scheme) != 0 || colon == std::string::npos ||
            colon < tcp_scheme.size()) {
            add(e);
            continue;
        }
        const std::string host = e.substr(tcp_scheme.size(), colon - tcp_scheme.size());
        const std::vector<std::string> found = addresses_of(host);
        if (found.size() < 2) {  // one broker (or none found): ZeroMQ resolves it at connect
            add(e);
            continue;
        }
        for (const std::string& a : found) add(std::string(tcp_scheme) + a + e.substr(colon));
    }
    return out;
}

}  // namespace shoal::proto
