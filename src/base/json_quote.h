// JSON string quoting for tools that emit a line of JSON without pulling a
// JSON library into their translation units.
#pragma once

#include <string>
#include <string_view>

namespace tern {

// `text` as a JSON string literal: quoted, with quotes, backslashes and
// control characters escaped.
std::string JsonQuote(std::string_view text);

}  // namespace tern
