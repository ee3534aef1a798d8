// The E1 / E2 trends of ptq.md §8.2-§8.3 at small sizes, through the study API.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "report/table.h"
#include "study/study.h"

using namespace trit::quant;
using namespace trit::study;
using trit::report::fixed;
using trit::report::format_table;

namespace {

// Scores of one study, looked up by method.
struct Scores {
  std::vector<MethodScore> all;
  const MethodScore& operator[](Method m) const {
    for (const MethodScore& s : all) {
      if (s.method == m) return s;
    }
    FAIL("method not in the study");
    return all.front();
  }
};

// A small study: 6 neurons, 2 seeds, 400 held-out rows.
StudyConfig small(DataModel data, int m, int n0, std::vector<Method> methods) {
  StudyConfig config;
  config.data = data;
  config.methods = std::move(methods);
  config.m = m;
  config.n0 = n0;
  config.n1 = 6;
  config.seeds = 2;
  config.test_rows = 400;
  return config;
}

Scores gaussian(int m, int n0, std::vector<Method> methods = StudyConfig{}.methods) {
  return {study_layer(small(DataModel::gaussian, m, n0, std::move(methods)))};
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("E1 trend: pre-processing error decays as N0 grows, MSQ stays flat") {
    const std::vector<Method> methods = {Method::msq, Method::pp_box, Method::pp_grid,
                                         Method::gpfq};
    const Scores small = gaussian(16, 64, methods), mid = gaussian(16, 256, methods),
                 large = gaussian(16, 1024, methods);
    for (const Method m : {Method::pp_box, Method::pp_grid, Method::gpfq}) {
      CAPTURE(method_name(m));
      CHECK(mid[m].in < small[m].in);
      CHECK(large[m].in < mid[m].in);
      CHECK(large[m].in < 0.45 * small[m].in);  // ~ sqrt(m log(N0/m) / N0)
    }
    CHECK(large[Method::msq].in > 0.8 * small[Method::msq].in);
    CHECK(large[Method::msq].in == doctest::Approx(1.0 / 6).epsilon(0.15));
  }

  TEST_CASE("E1 levels: PP well below MSQ once N0 >= 4m, close to GPFQ, OPTQ lower") {
    const Scores s = gaussian(16, 512);
    const double msq = s[Method::msq].in, gpfq = s[Method::gpfq].in;
    for (const Method m : {Method::pp_box, Method::pp_grid}) {
      CAPTURE(method_name(m));
      CHECK(s[m].in < 0.5 * msq);
      CHECK(s[m].in == doctest::Approx(gpfq).epsilon(0.3));
      CHECK(s[m].free_entries == 16.0);
      CHECK(s[m].bound_holds);
    }
    CHECK(s[Method::optq].in < gpfq);
  }

  TEST_CASE("E1 out of sample: box variant is worse than MSQ, grid variant is at GPFQ level") {
    const Scores s = gaussian(32, 256);
    CHECK(s[Method::pp_box].out > 3.0 * s[Method::msq].out);
    CHECK(s[Method::pp_box].out > 0.8);
    CHECK(s[Method::pp_grid].out == doctest::Approx(s[Method::gpfq].out).epsilon(0.25));
    CHECK(s[Method::pp_grid].out < 2.0 * s[Method::msq].out);
  }

  TEST_CASE("E2 trend: low-rank data leaves rank-many free entries and generalises") {
    StudyConfig config =
        small(DataModel::low_rank, 32, 256, {Method::msq, Method::pp_box, Method::pp_grid});
    config.rank = 8;
    const Scores s{study_layer(config)};
    for (const Method m : {Method::pp_box, Method::pp_grid}) {
      CAPTURE(method_name(m));
      CHECK(s[m].free_entries == 8.0);
      CHECK(s[m].out == doctest::Approx(s[m].in).epsilon(0.15));
      CHECK(s[m].in < 0.5 * s[Method::msq].in);
    }
  }

  TEST_CASE("E4 trend: with m >= N0 pre-processing is exactly MSQ") {
    const Scores s = gaussian(80, 64, {Method::msq, Method::pp_box, Method::pp_grid});
    CHECK(s[Method::pp_box].in == s[Method::msq].in);
    CHECK(s[Method::pp_grid].in == s[Method::msq].in);
  }

  TEST_CASE("study tables align their columns") {
    const std::string table = format_table({"a", "long header"}, {{"1", "2"}, {"333", "4"}});
    CHECK(table ==
          "  a  long header\n"
          "----------------\n"
          "  1            2\n"
          "333            4\n");
    CHECK(fixed(0.12345) == "0.123");
    CHECK(fixed(2.0, 1) == "2.0");
  }
}
