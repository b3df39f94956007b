// Writing CSV: the one quoting rule every CSV bnrun writes follows (predictions, test splits, summaries).
#pragma once

#include <string>
#include <string_view>

namespace bnrun {

// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled; others as they are.
std::string csv_field(std::string_view text);

}  // namespace bnrun
