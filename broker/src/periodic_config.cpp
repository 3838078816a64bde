// The config file's [periodic.NAME] tables (broker/README.md, "Periodic tasks"): read from
// the same TOML text as the flat settings, which layered_settings leaves to this reader.
//
//     [periodic.nightly-report]
//     task = "journal_sum"
//     args = [[1, 2, 3], "/var/lib/app/journal"]   # the task's arguments, in order
//     cron = "0 2 * * *"                           # or: every = "10s"
//     zone = "Europe/Paris"                        # cron only; default UTC
//     missed = "skip"                              # or run_once (default)
//     queue = "reports"                            # default: the task's route, else default

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <msgpack.hpp>
#include <toml++/toml.h>

#include "schedule/periodic_table.hpp"
#include "shoal/broker/config_loader.hpp"
#include "shoal/common/detail/msgpack_codec.hpp"

namespace shoal::broker {

namespace {

using packer = msgpack::packer<detail::string_stream>;

// A TOML value as the msgpack value a task's argument would be: integers, floats, booleans,
// strings, arrays (lists) and tables (maps, keys in the file's order); dates are refused.
void pack_toml(packer& p, const toml::node& node, const std::string& where) {
    if (const auto* i = node.as_integer()) {
        p.pack(i->get());
    } else if (const auto* f = node.as_floating_point()) {
        p.pack(f->get());
    } else if (const auto* b = node.as_boolean()) {
        p.pack(b->get());
    } else if (const auto* s = node.as_string()) {
        p.pack(s->get());
    } else if (const auto* a = node.as_array()) {
        p.pack_array(static_cast<std::uint32_t>(a->size()));
        for (const toml::node& item : *a) pack_toml(p, item, where);
    } else if (const auto* t = node.as_table()) {
        p.pack_map(static_cast<std::uint32_t>(t->size()));
        for (auto&& [key, value] : *t) {
            p.pack(std::string(key.str()));
            pack_toml(p, value, where);
        }
    } else {
        throw config_error(fmt::format("{}: args: a date or time is not a task argument", where));
    }
}

std::string text_of(const toml::table& t, std::string_view key, const std::string& where,
                    std::string fallback = {}) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return fallback;
    const auto* s = node->as_string();
    if (s == nullptr) throw config_error(fmt::format("{}.{}: must be a string", where, key));
    return s->get();
}

periodic_definition read_one(std::string name, const toml::table& t, const std::string& where) {
    static constexpr std::string_view known[] = {"task", "args",   "every", "cron",
                                                 "zone", "missed", "queue"};
    for (auto&& [key, value] : t) {
        if (std::find(std::begin(known), std::end(known), key.str()) == std::end(known)) {
            throw config_error(
                fmt::format("{}: unknown key '{}' (task, args, every, cron, zone, missed, queue)",
                            where, key.str()));
        }
    }
    periodic_definition d;
    d.name = std::move(name);
    d.task = text_of(t, "task", where);
    if (d.task.empty()) throw config_error(fmt::format("{}: task: required", where));
    const std::string every = text_of(t, "every", where);
    const std::string cron = text_of(t, "cron", where);
    if (every.empty() == cron.empty()) {
        throw config_error(
            fmt::format("{}: give one of every (\"10s\") or cron (\"0 9 * * *\")", where));
    }
    d.schedule = every.empty() ? "cron " + cron : "every " + every;
    d.zone = text_of(t, "zone", where, "UTC");
    d.missed = text_of(t, "missed", where, "run_once");
    d.queue = text_of(t, "queue", where);
    if (const toml::node* args = t.get("args")) {
        const auto* list = args->as_array();
        if (list == nullptr) throw config_error(fmt::format("{}.args: must be an array", where));
        detail::string_stream stream{&d.args};
        packer p(stream);
        pack_toml(p, *list, where);
    }
    try {
        (void)make_periodic_entry(d, 0);  // the schedule, zone and policy, checked now
    } catch (const schedule_error& e) {
        throw config_error(fmt::format("{}: {}", where, e.what()));
    }
    return d;
}

}  // namespace

std::vector<periodic_definition> read_periodic_tables(std::string_view toml_text,
                                                      std::string_view source) {
    toml::table doc;
    try {
        doc = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        // layered_settings reads the same text first and reports where it is broken.
        throw config_error(fmt::format("{}: {}", source, e.description()));
    }
    std::vector<periodic_definition> out;
    const toml::node* periodic = doc.get("periodic");
    if (periodic == nullptr) return out;
    const auto* tables = periodic->as_table();
    if (tables == nullptr) {
        throw config_error(fmt::format("{}: periodic: must be tables ([periodic.NAME])", source));
    }
    out.reserve(tables->size());
    for (auto&& [name, value] : *tables) {
        const std::string where = fmt::format("{}: periodic.{}", source, name.str());
        const auto* t = value.as_table();
        if (t == nullptr) throw config_error(fmt::format("{}: must be a table", where));
        out.push_back(read_one(std::string(name.str()), *t, where));
    }
    return out;
}

}  // namespace shoal::broker
