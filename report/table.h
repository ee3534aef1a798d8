// Plain-text result tables: what the PTQ study, `trit ptq` and the reports print.
#pragma once

#include <string>
#include <vector>

namespace trit::report {

// Plain-text table: columns padded to their widest cell, a rule under the header.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// x with `digits` digits after the point ("nan" for NaN).
std::string fixed(double x, int digits = 3);

}  // namespace trit::report
