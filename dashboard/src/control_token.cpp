// The control token: generated from the OS's random source, or read from a file only its
// owner may read (read_secret_file refuses one that group or others may read).
#include <sys/random.h>

#include <array>
#include <cstdint>

#include "shoal/common/errors.hpp"
#include "shoal/common/secret_file.hpp"
#include "shoal/dashboard/dashboard.hpp"

namespace shoal::dashboard {

namespace {

constexpr std::size_t min_token_chars = 16;

}  // namespace

std::string generate_token() {
    std::array<unsigned char, 16> bytes{};
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n <= 0) throw error("the control token: getrandom failed");
        got += static_cast<std::size_t>(n);
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

std::string read_token_file(const std::string& path) {
    const std::string text = read_secret_file(path, "the dashboard's control token");
    std::string token = text.substr(0, text.find('\n'));
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
        token.pop_back();
    const std::size_t first = token.find_first_not_of(" \t");
    token = first == std::string::npos ? std::string() : token.substr(first);
    if (token.size() < min_token_chars) {
        throw error("--control-token-file " + path +
                    ": the token (its first line) must be at least " +
                    std::to_string(min_token_chars) + " characters");
    }
    for (const char c : token) {
        // It travels in an HTTP header and a URL fragment: printable ASCII, no spaces.
        if (c <= ' ' || c >= 127) {
            throw error("--control-token-file " + path +
                        ": the token must be printable ASCII without spaces");
        }
    }
    return token;
}

}  // namespace shoal::dashboard
