#include "shoal/dashboard/http_server.hpp"

#include <httplib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "shoal/common/http_address.hpp"
#include "shoal/common/http_bind.hpp"
#include "shoal/dashboard/assets.hpp"

namespace shoal::dashboard {

namespace {

// The page loads only what this server serves: no inline script, nothing from elsewhere.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Requests carry no bodies worth more than this (control actions take none).
constexpr std::size_t max_body_bytes = std::size_t{64} * 1024;

void common_headers(httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-store");
}

}  // namespace

http_server::http_server(const json_api& api) : api_(api) {}

http_server::~http_server() { stop(); }

std::string http_server::start(const std::string& address) {
    http_address where;
    if (!parse_http_address(address, where)) {
        throw http_server_error(fmt::format("--http {}: not HOST:PORT", address));
    }
    server_ = std::make_unique<httplib::Server>();
    server_->set_payload_max_length(max_body_bytes);
    const auto serve = [this](const httplib::Request& req, httplib::Response& res) {
        common_headers(res);
        if (req.path.starts_with("/api/")) {
            api_request request;
            request.method = req.method;
            request.path = req.path;
            request.params = req.params;
            request.token = req.get_header_value("X-Shoal-Token");
            const api_answer a = api_.handle(request);
            res.status = a.status;
            if (a.status == 405) res.set_header("Allow", request.method == "POST" ? "GET" : "POST");
            res.set_content(a.body, a.content_type.c_str());
            return;
        }
        if (req.method != "GET" && req.method != "HEAD") {
            res.status = 405;
            res.set_header("Allow", "GET");
            res.set_content(
                "{\"error\":\"the page is read with GET\",\"code\":\"method_not_allowed\"}",
                "application/json");
            return;
        }
        const auto page = find_asset(req.path);
        if (!page) {
            res.status = 404;
            res.set_content("{\"error\":\"no such page\",\"code\":\"not_found\"}",
                            "application/json");
            return;
        }
        res.set_header("Content-Security-Policy", content_security_policy);
        res.set_content(page->content.data(), page->content.size(),
                        std::string(page->content_type).c_str());
    };
    server_->Get(".*", serve);
    server_->Post(".*", serve);
    server_->Put(".*", serve);
    server_->Delete(".*", serve);
    server_->Patch(".*", serve);
    server_->set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                      const std::exception_ptr&) {
        res.status = 500;
        res.set_content("{\"error\":\"internal error\",\"code\":\"internal\"}", "application/json");
    });
    // cpp-httplib's own refusals (a POST without Content-Length, a body too large) in JSON too.
    server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return;
        res.set_content(
            fmt::format("{{\"error\":\"HTTP {}\",\"code\":\"http_{}\"}}", res.status, res.status),
            "application/json");
    });
    std::string bound = bind_http_server(*server_, where, thread_);
    if (bound.empty()) {
        server_.reset();
        throw http_server_error(fmt::format("--http {}: cannot bind", address));
    }
    return bound;
}

void http_server::stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
}

}  // namespace shoal::dashboard
