#pragma once
// layered_settings: one configuration story for every Shoal program (the broker, the worker,
// the CLI). Each setting has a TOML key, a SHOAL_* environment variable and a command-line
// flag; sources apply in one precedence, highest first:
//
//     command line  >  environment (SHOAL_*)  >  config file (TOML)  >  built-in defaults
//
// A program describes its settings once (a vector of setting_spec), applies the sources
// lowest first, then reads the values it was given. Every value is checked as it is applied
// (type, range, the setting's own check) and a bad one throws config_error naming its source
// and why, so a daemon can refuse to start with one clear line. The store remembers where each
// value came from: `--print-config` shows the effective settings with their origin.
//
// Values are kept as text; typed reads (integer, seconds, flag) parse what was checked.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/errors.hpp"

namespace shoal {

// A setting with a bad value, an unknown key, an unreadable config file.
class config_error : public error {
  public:
    using error::error;
};

// Reads one environment variable (tests pass a map instead of the process environment).
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
env_lookup process_environment();

enum class setting_kind {
    text,     // any string the setting's check accepts
    integer,  // whole number in [min, max]
    seconds,  // a non-negative decimal number of seconds in [min, max] (fractions allowed)
    flag,     // true or false (in TOML a boolean; elsewhere true/false/1/0/yes/no)
};

struct setting_spec {
    std::string key;   // TOML key, e.g. "heartbeat_ms"
    std::string env;   // environment variable, e.g. "SHOAL_HEARTBEAT_MS" (empty: none)
    std::string flag;  // command-line flag, e.g. "--heartbeat-ms" (empty: none)
    std::string help;
    setting_kind kind = setting_kind::text;
    double min = 0;  // integer and seconds only
    double max = 0;
    // Text only: why the value is bad, or empty when it is good. Null: anything goes.
    std::function<std::string(std::string_view)> check{};
    // What the program uses when no source names the setting, as --print-config shows it
    // (a value of the setting's kind). Empty when the default is computed or absent:
    // default_note then says what it is ("the CPU count"), and --print-config comments it.
    std::string default_text{};
    // A TOML table value that the setting also accepts, turned into its text (the broker's
    // [task_routes] table). Null: a table is a type error.
    std::function<std::string(const std::map<std::string, std::string>& table,
                              std::string_view where)>
        from_table{};
    std::string default_note{};
};

enum class setting_origin { default_value, file, environment, command_line };
std::string_view to_string(setting_origin origin) noexcept;

struct setting_value {
    std::string text;
    setting_origin origin = setting_origin::default_value;
    std::string where;  // "config file /etc/shoal/broker.toml", "SHOAL_BIND", "option --bind"
};

class layered_settings {
  public:
    explicit layered_settings(std::vector<setting_spec> specs);

    // Each source sets only what it names; later calls override earlier ones, so apply the
    // file, then the environment, then the command line.
    void apply_toml(std::string_view toml_text, std::string_view source);
    void apply_toml_file(const std::string& path);
    void apply_environment(const env_lookup& env);
    // A top-level table of the config file that another reader takes from the same text (the
    // broker's [periodic.NAME] tables): apply_toml() passes over it instead of refusing it.
    void leave_table(std::string key) { left_tables_.push_back(std::move(key)); }
    // One value from a source (the command line's flags go through here).
    void apply(const std::string& key, std::string_view text, setting_origin origin,
               std::string where);

    const std::vector<setting_spec>& specs() const noexcept { return specs_; }
    const setting_spec* spec(std::string_view key) const noexcept;
    // The value a source gave, or null when the default stands.
    const setting_value* given(std::string_view key) const noexcept;
    bool has(std::string_view key) const noexcept { return given(key) != nullptr; }
    // Typed reads of a given value (the kinds above); nullopt when the default stands.
    std::optional<std::string> text(std::string_view key) const;
    std::optional<std::uint64_t> integer(std::string_view key) const;
    std::optional<double> seconds(std::string_view key) const;
    std::optional<bool> flag(std::string_view key) const;

    // Every setting, one per line, `key = value  # where it came from`, in TOML so that the
    // output is itself a valid config file; a setting with a computed or no default is a
    // comment (`# threads: the CPU count (default)`). Secrets are never held here
    // (SECURITY.md).
    std::string describe() const;

  private:
    std::vector<setting_spec> specs_;
    std::map<std::string, setting_value, std::less<>> given_;
    std::vector<std::string> left_tables_;
};

// Reads a whole file as text; config_error naming the path if it cannot.
std::string read_config_file(const std::string& path);

}  // namespace shoal
