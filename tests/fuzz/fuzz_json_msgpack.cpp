// libFuzzer target: the CLI's JSON arguments and results (client/include/shoal/client/
// json_msgpack.hpp).
//
// Input: JSON text, converted with json_to_msgpack (`shoal submit add 2 3` does this for each
// argument) and, split at newlines, with json_args_to_msgpack; or, after a first byte 0x00,
// msgpack bytes, shown as JSON with msgpack_to_json (compact, or indented when the second
// byte is odd), and with msgpack_map_to_json (an event); the same bytes are walked by
// skip_msgpack_value and splice_arguments (proto/argument_splice.hpp), which must agree with
// the decoder. json_conversion_error and decode_error are the documented answers to bad input.
// Anything else is a finding: another exception, a crash, a sanitizer report, msgpack_to_json
// writing text that is not JSON, or JSON -> msgpack -> JSON -> msgpack not reaching a fixed point.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shoal/client/json_msgpack.hpp"
#include "shoal/proto/argument_splice.hpp"

namespace {

[[noreturn]] void finding(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz_json_msgpack: %s: %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

// The byte walker (argument_splice.hpp) must agree with the decoder on where a value ends, and
// splicing nothing into an array must give its bytes back.
void walk(std::string_view bytes, bool decoded) {
    try {
        const std::size_t end = shoal::proto::skip_msgpack_value(bytes, 0);
        if (end > bytes.size()) finding("skip_msgpack_value walked past the end", bytes);
        if (decoded && end != bytes.size()) finding("skip_msgpack_value stopped early", bytes);
    } catch (const shoal::proto::decode_error&) {
        if (decoded) finding("skip_msgpack_value refused a value the decoder read", bytes);
    }
    try {
        if (shoal::proto::splice_arguments(bytes, {}) != bytes)
            finding("splice_arguments changed an array it was told to keep", bytes);
    } catch (const shoal::proto::decode_error&) {
    }
}

void from_msgpack(std::string_view bytes, int indent) {
    std::string text;
    try {
        text = shoal::msgpack_to_json(bytes, indent);
    } catch (const shoal::json_conversion_error&) {
        walk(bytes, false);
        return;
    }
    walk(bytes, true);
    if (!nlohmann::json::accept(text)) finding("msgpack_to_json wrote invalid JSON", text);
    // The same bytes as an event (a map whose bin values hold msgpack): JSON or a typed error.
    try {
        text = shoal::msgpack_map_to_json(bytes, indent);
    } catch (const shoal::json_conversion_error&) {
        return;
    }
    if (!nlohmann::json::accept(text)) finding("msgpack_map_to_json wrote invalid JSON", text);
}

void from_json(std::string_view text) {
    std::string packed;
    try {
        packed = shoal::json_to_msgpack(text);
    } catch (const shoal::json_conversion_error&) {
        return;
    }
    // What the CLI prints for a result must read back as the same msgpack.
    try {
        const std::string shown = shoal::msgpack_to_json(packed);
        if (shoal::json_to_msgpack(shown) != packed)
            finding("JSON round trip changed the value", shown);
    } catch (const shoal::json_conversion_error& e) {
        finding("JSON round trip failed", e.what());
    }
}

void from_json_args(std::string_view text) {
    std::vector<std::string> args;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        args.emplace_back(text.substr(0, eol));
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    }
    try {
        (void)shoal::json_args_to_msgpack(args);
    } catch (const shoal::json_conversion_error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (!input.empty() && input[0] == '\0') {
        const int indent = input.size() > 1 && (input[1] & 1) != 0 ? 2 : -1;
        from_msgpack(input.substr(1), indent);
        return 0;
    }
    from_json(input);
    if (input.find('\n') != std::string_view::npos) from_json_args(input);
    return 0;
}
