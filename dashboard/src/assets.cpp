#include "shoal/dashboard/assets.hpp"

#include "embedded_files.hpp"

namespace shoal::dashboard {

namespace {

std::string_view content_type_of(std::string_view path) {
    if (path.ends_with(".html")) return "text/html; charset=utf-8";
    if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (path.ends_with(".css")) return "text/css; charset=utf-8";
    if (path.ends_with(".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

}  // namespace

std::optional<asset> find_asset(std::string_view path) {
    if (path.empty() || path == "/") path = "/index.html";
    for (std::size_t i = 0; i < detail::embedded_file_count; ++i) {
        const detail::embedded_file& f = detail::embedded_files[i];
        if (path == f.path) {
            return asset{f.path, content_type_of(f.path),
                         std::string_view(reinterpret_cast<const char*>(f.data), f.size)};
        }
    }
    return std::nullopt;
}

}  // namespace shoal::dashboard
