// Text checks shared by the readers: every name and label bnrun reads ends up in JSON (results, model files),
// and JSON text must be valid UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace bnrun {

// The byte offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or npos when the whole text is valid.
std::size_t invalid_utf8_offset(std::string_view text);

}  // namespace bnrun
