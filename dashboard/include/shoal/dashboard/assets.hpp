#pragma once
// The page (index.html, app.js, style.css), built into the library from dashboard/assets/ by
// cmake/embed_assets.cmake: the dashboard fetches nothing from the network at run time.

#include <optional>
#include <string_view>

namespace shoal::dashboard {

struct asset {
    std::string_view path;          // "/index.html", "/app.js", "/style.css"
    std::string_view content_type;  // "text/html; charset=utf-8", ...
    std::string_view content;
};

// The asset served at `path` ("/" is /index.html); nullopt when none is.
std::optional<asset> find_asset(std::string_view path);

}  // namespace shoal::dashboard
