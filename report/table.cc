#include "report/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace trit::report {

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  const auto widen = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  };
  widen(header);
  for (const auto& row : rows) widen(row);
  const auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      text += (c ? "  " : "") + std::string(width[c] - cell.size(), ' ') + cell;
    }
    return text + "\n";
  };
  std::string table = line(header);
  size_t total = 0;
  for (const size_t w : width) total += w + 2;
  table += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  for (const auto& row : rows) table += line(row);
  return table;
}

std::string fixed(double x, int digits) {
  if (std::isnan(x)) return "nan";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
  return buffer;
}

}  // namespace trit::report
