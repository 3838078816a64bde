#pragma once
// A loopback TCP port that was free a moment ago (bound to port 0, read, closed), for servers a
// test must start on a port it names in advance (brokers listed in each other's peers' lists,
// sentinels). Another program may take it in between; the server then fails to start, loudly.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shoal::testing {

inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
}

}  // namespace shoal::testing
