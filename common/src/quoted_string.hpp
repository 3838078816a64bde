#pragma once
// quoted_string: text as a double-quoted string that JSON and TOML (a basic string) both
// read back as the same text: \" \\ \n \t \r, other control characters and DEL as \u00XX,
// UTF-8 as it is. For --print-config's values (layered_settings) and json log lines.

#include <string>
#include <string_view>

namespace shoal::detail {

std::string quoted_string(std::string_view text);

}  // namespace shoal::detail
