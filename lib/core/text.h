// Text checks shared by the readers: every name and label bnrun reads ends up in JSON (results, model files),
// and JSON text must be valid UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace bnrun {

// The byte offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed), or npos when the whole text is valid.
std::size_t invalid_utf8_offset(std::string_view text);

// The byte offset where JSON text opens its (max_depth + 1)-th nested array or object, or npos when it never nests
// that deep. Checked before parsing: nlohmann::json copies and compares nested values recursively, so a file of
// 100,000 '[' would overflow the stack long after it parsed; no config or model file nests more than a few levels.
std::size_t excessive_json_nesting_offset(std::string_view json_text, std::size_t max_depth);

}  // namespace bnrun
