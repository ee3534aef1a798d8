// The reference models in models/: every row of models/README.md's table is checked against
// its file (size) and, when the data set is present, against what its own `trit eval` line
// gives on the real test set (test error, non-zero share, bits). The table is the one place
// the figures live; this test keeps them true.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/dataset_files.h"
#include "tools/cli.h"

namespace {

constexpr char kTable[] = "models/README.md";

// One row of the table: | `file` | task | error % | non-zero % | bits | bytes | `sha` | `eval` |
struct ModelRow {
  std::string file, task;
  double error_percent = 0, nonzero_percent = 0;
  int bits = 0;
  long long bytes = 0;
  std::vector<std::string> eval_args;  // the reproduce line, split on spaces
};

std::string trim(const std::string& text, const char* junk = " `") {
  const size_t begin = text.find_first_not_of(junk);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(junk) - begin + 1);
}

double percent(const std::string& cell) { return std::stod(trim(cell, " %")); }

long long digits(const std::string& cell) {
  std::string out;
  for (char c : cell)
    if (c >= '0' && c <= '9') out += c;
  return std::stoll(out);
}

std::vector<ModelRow> read_table() {
  std::ifstream in(kTable);
  REQUIRE_MESSAGE(in, "cannot read " << kTable);
  std::vector<ModelRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0 || line.find("`trit eval ") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream split(line.substr(1));
    for (std::string cell; std::getline(split, cell, '|');) cells.push_back(cell);
    REQUIRE_MESSAGE(cells.size() >= 8, "a row of " << kTable << " has " << cells.size()
                                                   << " cells, 8 expected: " << line);
    ModelRow row{trim(cells[0]), trim(cells[1]), percent(cells[2]), percent(cells[3]),
                 std::stoi(trim(cells[4])), digits(cells[5]), {}};
    std::stringstream words(trim(cells[7]));
    for (std::string word; words >> word;) row.eval_args.push_back(word);
    rows.push_back(row);
  }
  return rows;
}

// The value following `flag` in args ("" when absent).
std::string flag_value(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) return args[i + 1];
  return "";
}

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE("every model in models/README.md gives its row's test error [slow]") {
    const std::vector<ModelRow> rows = read_table();
    REQUIRE_MESSAGE(!rows.empty(), kTable << " lists no model rows (has its table changed?)");
    for (const ModelRow& row : rows) {
      CAPTURE(row.file);
      const std::string path = "models/" + row.file;
      REQUIRE(std::filesystem::exists(path));
      CHECK(static_cast<long long>(std::filesystem::file_size(path)) == row.bytes);
      REQUIRE(row.eval_args.size() > 2);
      CHECK(row.eval_args[0] == "trit");
      CHECK(row.eval_args[1] == "eval");
      CHECK(flag_value(row.eval_args, "--weights") == path);
      const std::string data = flag_value(row.eval_args, "--data");
      if (!std::filesystem::is_directory(data)) {
        MESSAGE("skipped " << row.file << ": no data in " << data << " (./run.sh fetches it)");
        continue;
      }
      trit::testing::TempDir dir;
      std::vector<std::string> args = row.eval_args;
      args.insert(args.end(), {"--report", dir.path() + "/report.json"});
      REQUIRE(trit::cli::run_cli(args) == 0);
      std::ifstream report_file(dir.path() + "/report.json");
      const nlohmann::json report = nlohmann::json::parse(report_file);
      // 0.03 points: 3 of 10,000 test images, what SIMD targets' rounding may move.
      CHECK(std::abs(100 * report["test_error"].get<double>() - row.error_percent) <= 0.0301);
      const double nonzero =
          report.contains("nonzero_fraction") ? report["nonzero_fraction"].get<double>() : 1.0;
      CHECK(std::abs(100 * nonzero - row.nonzero_percent) <= 0.05);  // the table's rounding
      CHECK(report["bits"].get<int>() == row.bits);
    }
  }
}
