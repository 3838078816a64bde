#include "shoal/common/layered_settings.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "quoted_string.hpp"

namespace shoal {

namespace {

// A setting's bound (a double) as the integer it stands for. UINT64_MAX as a double is 2^64,
// past every uint64_t: casting it is undefined (the fuzzer's UBSan build caught it; a plain
// build printed "between 1048576 and 0").
std::uint64_t integer_bound(double bound) {
    if (bound <= 0) return 0;
    if (bound >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(bound);
}

[[noreturn]] void fail(std::string_view source, std::string_view why) {
    throw config_error(fmt::format("{}: {}", source, why));
}

std::uint64_t parse_integer(std::string_view text, std::string_view source) {
    std::uint64_t n = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        fail(source, fmt::format("must be a whole number (got '{}')", text));
    }
    return n;
}

double parse_seconds(std::string_view text, std::string_view source) {
    // strtod needs a terminated string and accepts forms (hex, inf, nan) a setting must not.
    const std::string s(text);
    const bool plain = !s.empty() && s.find_first_not_of("0123456789.") == std::string::npos &&
                       s.find('.') == s.rfind('.') && s != ".";
    if (!plain)
        fail(source, fmt::format("must be a number of seconds such as 2 or 0.5 (got '{}')", text));
    return std::strtod(s.c_str(), nullptr);
}

std::optional<bool> parse_flag(std::string_view text) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    return std::nullopt;
}

// The value as TOML writes it, for --print-config.
std::string toml_literal(const setting_spec& s, const std::string& text) {
    switch (s.kind) {
        case setting_kind::integer:
        case setting_kind::seconds:
            return text.empty() ? std::string("0") : text;
        case setting_kind::flag:
            return parse_flag(text).value_or(false) ? "true" : "false";
        case setting_kind::text:
            break;
    }
    // A TOML basic string (double quotes), escaped.
    return detail::quoted_string(text);
}

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable(), undefined behaviour, when it checks
// some non-ASCII characters for whitespace (marzer/tomlplusplus#190 and #295; found by
// tests/fuzz). Every setting is ASCII, so the file must be too, comments included.
void require_ascii(std::string_view text, std::string_view source) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (const char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            fail(source, fmt::format("line {}, column {}: only ASCII characters are allowed", line,
                                     column));
        }
        column = c == '\n' ? 1 : column + 1;
        line += c == '\n' ? 1 : 0;
    }
}

}  // namespace

env_lookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

std::string_view to_string(setting_origin origin) noexcept {
    switch (origin) {
        case setting_origin::default_value:
            return "default";
        case setting_origin::file:
            return "config file";
        case setting_origin::environment:
            return "environment";
        case setting_origin::command_line:
            return "command line";
    }
    return "default";
}

layered_settings::layered_settings(std::vector<setting_spec> specs) : specs_(std::move(specs)) {}

const setting_spec* layered_settings::spec(std::string_view key) const noexcept {
    for (const setting_spec& s : specs_) {
        if (s.key == key) return &s;
    }
    return nullptr;
}

const setting_value* layered_settings::given(std::string_view key) const noexcept {
    const auto it = given_.find(key);
    return it == given_.end() ? nullptr : &it->second;
}

void layered_settings::apply(const std::string& key, std::string_view text, setting_origin origin,
                             std::string where) {
    const setting_spec* s = spec(key);
    if (s == nullptr) fail(where, fmt::format("unknown setting '{}'", key));
    switch (s->kind) {
        case setting_kind::integer: {
            const std::uint64_t n = parse_integer(text, where);
            if (static_cast<double>(n) < s->min || static_cast<double>(n) > s->max) {
                fail(where, fmt::format("must be between {} and {} (got {})", integer_bound(s->min),
                                        integer_bound(s->max), n));
            }
            break;
        }
        case setting_kind::seconds: {
            const double v = parse_seconds(text, where);
            if (v < s->min || v > s->max) {
                fail(where, fmt::format("must be between {} and {} seconds (got {})", s->min,
                                        s->max, text));
            }
            break;
        }
        case setting_kind::flag:
            if (!parse_flag(text))
                fail(where, fmt::format("must be true or false (got '{}')", text));
            break;
        case setting_kind::text:
            if (s->check) {
                if (const std::string why = s->check(text); !why.empty()) {
                    fail(where, fmt::format("{} (got '{}')", why, text));
                }
            }
            break;
    }
    given_[key] = setting_value{std::string(text), origin, std::move(where)};
}

void layered_settings::apply_toml(std::string_view toml_text, std::string_view source) {
    require_ascii(toml_text, source);
    toml::table table;
    try {
        table = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        fail(source, fmt::format("line {}, column {}: {}", at.line, at.column, e.description()));
    }
    for (auto&& [key, node] : table) {
        const std::string k(key.str());
        if (node.is_table() &&
            std::find(left_tables_.begin(), left_tables_.end(), k) != left_tables_.end()) {
            continue;
        }
        const setting_spec* s = spec(k);
        const std::string where = fmt::format("{}: {}", source, k);
        if (s == nullptr) fail(source, fmt::format("unknown key '{}'", k));
        std::string text;
        if (const auto* t = node.as_table()) {
            if (!s->from_table) fail(where, "must not be a table");
            std::map<std::string, std::string> entries;
            for (auto&& [name, value] : *t) {
                const auto* v = value.as_string();
                if (v == nullptr) fail(fmt::format("{}.{}", where, name.str()), "must be a string");
                entries.emplace(std::string(name.str()), v->get());
            }
            text = s->from_table(entries, where);
        } else if (s->kind == setting_kind::text) {
            if (const auto* str = node.as_string()) {
                text = str->get();
            } else if (const auto* list = node.as_array()) {
                // A list of strings (the worker's queues or task libraries): comma-joined.
                for (auto&& item : *list) {
                    const auto* str_item = item.as_string();
                    if (str_item == nullptr) fail(where, "must be a list of strings");
                    if (str_item->get().find(',') != std::string::npos)
                        fail(where, "an item must not hold ','");
                    if (!text.empty()) text += ',';
                    text += str_item->get();
                }
            } else {
                fail(where, "must be a string");
            }
        } else if (s->kind == setting_kind::integer) {
            const auto* n = node.as_integer();
            if (n == nullptr) fail(where, "must be an integer");
            if (n->get() < 0) fail(where, fmt::format("must not be negative (got {})", n->get()));
            text = std::to_string(n->get());
        } else if (s->kind == setting_kind::seconds) {
            if (const auto* n = node.as_integer()) {
                if (n->get() < 0)
                    fail(where, fmt::format("must not be negative (got {})", n->get()));
                text = std::to_string(n->get());
            } else if (const auto* f = node.as_floating_point()) {
                if (!(f->get() >= 0) || !std::isfinite(f->get()))
                    fail(where, "must be a finite number of seconds, not negative");
                text = fmt::format("{}", f->get());
            } else {
                fail(where, "must be a number of seconds");
            }
        } else {
            const auto* b = node.as_boolean();
            if (b == nullptr) fail(where, "must be true or false");
            text = b->get() ? "true" : "false";
        }
        apply(k, text, setting_origin::file, where);
    }
}

std::string read_config_file(const std::string& path) {
    std::string text;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) fail(path, "cannot open the config file");
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) fail(path, "cannot read the config file");
    return text;
}

void layered_settings::apply_toml_file(const std::string& path) {
    apply_toml(read_config_file(path), path);
}

void layered_settings::apply_environment(const env_lookup& env) {
    for (const setting_spec& s : specs_) {
        if (s.env.empty()) continue;
        if (const auto value = env(s.env)) {
            apply(s.key, *value, setting_origin::environment,
                  fmt::format("environment variable {}", s.env));
        }
    }
}

std::optional<std::string> layered_settings::text(std::string_view key) const {
    if (const setting_value* v = given(key)) return v->text;
    return std::nullopt;
}

std::optional<std::uint64_t> layered_settings::integer(std::string_view key) const {
    if (const setting_value* v = given(key)) return parse_integer(v->text, v->where);
    return std::nullopt;
}

std::optional<double> layered_settings::seconds(std::string_view key) const {
    if (const setting_value* v = given(key)) return parse_seconds(v->text, v->where);
    return std::nullopt;
}

std::optional<bool> layered_settings::flag(std::string_view key) const {
    if (const setting_value* v = given(key)) return parse_flag(v->text);
    return std::nullopt;
}

std::string layered_settings::describe() const {
    std::string out;
    for (const setting_spec& s : specs_) {
        if (const setting_value* v = given(s.key)) {
            out += fmt::format("{} = {}  # {}\n", s.key, toml_literal(s, v->text), v->where);
        } else if (!s.default_text.empty()) {
            out += fmt::format("{} = {}  # default\n", s.key, toml_literal(s, s.default_text));
        } else {
            out += fmt::format("# {}: {} (default)\n", s.key,
                               s.default_note.empty() ? "not set" : s.default_note);
        }
    }
    return out;
}

}  // namespace shoal
