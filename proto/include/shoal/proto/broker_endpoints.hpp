#pragma once
// The brokers a client or worker is given (PROTOCOL.md 6.7): `--broker` is a comma-separated
// list, and a host name in it stands for every IPv4 address it resolves to (a DNS name, or
// /etc/hosts lines, with several addresses: one per broker). Peers try them in turn and stay
// with the one that welcomes them (the active broker).

#include <string>
#include <vector>

namespace shoal::proto {

// "a,b , c" -> {a, b, c}; empty items dropped; an empty list keeps the text as it is (connect
// then says what is wrong with it).
std::vector<std::string> split_endpoints(const std::string& text);

// Each tcp://NAME:PORT whose NAME resolves (getaddrinfo, IPv4) to several addresses becomes
// tcp://ADDRESS:PORT for each of them, in the resolver's order, without repeats; a name with
// one address (ZeroMQ resolves it at each connect), addresses, other transports and names
// that do not resolve are kept as they are. Blocking: it asks the resolver.
std::vector<std::string> resolve_endpoints(const std::vector<std::string>& endpoints);

}  // namespace shoal::proto
