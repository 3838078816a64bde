#pragma once
// The assets' bytes, generated at build time (cmake/embed_assets.cmake).

#include <cstddef>

namespace shoal::dashboard::detail {

struct embedded_file {
    const char* path;  // "/index.html"
    const unsigned char* data;
    std::size_t size;
};

extern const embedded_file embedded_files[];
extern const std::size_t embedded_file_count;

}  // namespace shoal::dashboard::detail
