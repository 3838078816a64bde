#pragma once
// The batches of the fault tests' client program (batch_client.cpp) and the value each task
// must end with: one formula, shared by the program that submits and the test that checks.
//
//   add    task i is add(i, i): its value is 2i
//   sleep  task i is sleep(s_i), s_i between min_ms and max_ms milliseconds (spread over i):
//          its value is s_i, printed exactly ("%.17g")
//   blob   task i is blob(blob_bytes, i), a string of blob_bytes characters: its value is
//          printed as its length and a hash of it ("LENGTH:HASH"), not whole

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "shoal_examples/seed_tasks.hpp"

namespace shoal::testing::batch {

enum class kind { add, sleep, blob };

struct spec {
    kind task = kind::add;
    int min_ms = 0;  // sleep only
    int max_ms = 0;
    long blob_bytes = 0;  // blob only
};

inline double sleep_seconds(const spec& s, std::size_t i) {
    const std::size_t span = static_cast<std::size_t>(s.max_ms - s.min_ms) + 1;
    return static_cast<double>(static_cast<std::size_t>(s.min_ms) + (i * 7919u) % span) / 1000.0;
}

inline std::string format_double(double v) {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

// A blob result as the log prints it: its length and its FNV-1a hash.
inline std::string blob_digest(const std::string& text) {
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::to_string(text.size()) + ":" + hex;
}

// The value task i must end with, as the program prints it.
inline std::string expected_value(const spec& s, std::size_t i) {
    if (s.task == kind::add) return std::to_string(2 * static_cast<long>(i));
    if (s.task == kind::blob)
        return blob_digest(shoal_examples::blob_text(s.blob_bytes, static_cast<long>(i)));
    return format_double(sleep_seconds(s, i));
}

}  // namespace shoal::testing::batch
