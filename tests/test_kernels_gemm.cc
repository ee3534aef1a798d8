// gemm against gemm_reference: odd sizes, transposes, alpha/beta, strides, every target,
// and bit-identical results for 1 and 2 threads.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/kernels/gemm.h"
#include "autograd/kernels/parallel.h"
#include "autograd/random.h"
#include "tests/gradcheck.h"

using namespace trit;

namespace {

struct GemmCase {
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
  int64_t pad = 0;  // extra elements per row beyond the width (lda, ldb, ldc)
};

// A row-major rows x cols matrix stored with row stride cols + pad; the padding holds a
// sentinel that gemm must neither read into results nor overwrite.
struct Matrix {
  int64_t rows, cols, ld;
  std::vector<float> v;
  Matrix(int64_t r, int64_t c, int64_t pad, uint64_t seed) : rows(r), cols(c), ld(c + pad) {
    Rng rng(seed);
    v.assign(size_t(std::max<int64_t>(r * ld, 1)), 1e30f);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) v[i * ld + j] = rng.normal();
  }
  Matrix abs() const {
    Matrix out = *this;
    for (float& x : out.v) x = std::abs(x);
    return out;
  }
};

void run_gemm(const GemmCase& t, const Matrix& a, const Matrix& b, Matrix& c) {
  kernels::gemm(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, a.v.data(), a.ld, b.v.data(), b.ld,
                t.beta, c.v.data(), c.ld);
}

// gemm vs the reference, element by element within a rigorous float rounding bound
// (k + 2) * eps * (|alpha| |op(A)| |op(B)| + |beta C|); padding must be untouched.
void check_gemm(const GemmCase& t) {
  CAPTURE(t.m);
  CAPTURE(t.n);
  CAPTURE(t.k);
  CAPTURE(t.trans_a);
  CAPTURE(t.trans_b);
  CAPTURE(t.alpha);
  CAPTURE(t.beta);
  CAPTURE(t.pad);
  const Matrix a = t.trans_a ? Matrix(t.k, t.m, t.pad, 1) : Matrix(t.m, t.k, t.pad, 1);
  const Matrix b = t.trans_b ? Matrix(t.n, t.k, t.pad, 2) : Matrix(t.k, t.n, t.pad, 2);
  Matrix c(t.m, t.n, t.pad, 3);
  Matrix want = c;
  Matrix bound = c.abs();
  run_gemm(t, a, b, c);
  kernels::gemm_reference(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, a.v.data(), a.ld,
                          b.v.data(), b.ld, t.beta, want.v.data(), want.ld);
  const Matrix abs_a = a.abs(), abs_b = b.abs();
  kernels::gemm_reference(t.trans_a, t.trans_b, t.m, t.n, t.k, std::abs(t.alpha), abs_a.v.data(),
                          abs_a.ld, abs_b.v.data(), abs_b.ld, std::abs(t.beta), bound.v.data(),
                          bound.ld);
  const float eps = std::numeric_limits<float>::epsilon();
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < c.ld; ++j) {
      CAPTURE(i);
      CAPTURE(j);
      const int64_t at = i * c.ld + j;
      if (j >= t.n) {
        REQUIRE(c.v[at] == 1e30f);  // padding untouched
      } else {
        REQUIRE(std::abs(c.v[at] - want.v[at]) <= float(t.k + 2) * eps * bound.v[at] + 1e-30f);
      }
    }
  }
}

// Every combination with at most one size above 33, and 130 x 65 x 130.
const int64_t kSizes[] = {0, 1, 7, 17, 33, 65, 130};

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("gemm matches the reference on odd sizes, all transposes, every target") {
    trit::testing::for_each_target([] {
      for (int64_t m : kSizes)
        for (int64_t n : kSizes)
          for (int64_t k : kSizes)
            for (int transposes = 0; transposes < 4; ++transposes) {
              const bool one_large = (m > 33) + (n > 33) + (k > 33) <= 1;
              if (!one_large && !(m == 130 && n == 65 && k == 130)) continue;  // keeps it fast
              GemmCase t{m, n, k};
              t.trans_a = transposes & 1;
              t.trans_b = transposes & 2;
              t.pad = (m + n + k) % 3;  // mixes tight and wider leading dimensions
              check_gemm(t);
            }
    });
  }

  TEST_CASE("gemm applies alpha and beta, and beta == 0 overwrites NaN") {
    trit::testing::for_each_target([] {
      for (float alpha : {1.0f, -0.5f, 0.0f})
        for (float beta : {0.0f, 1.0f, 0.75f})
          for (int transposes = 0; transposes < 4; ++transposes) {
            GemmCase t{19, 37, 29, bool(transposes & 1), bool(transposes & 2), alpha, beta, 5};
            check_gemm(t);
          }
      std::vector<float> a(6, 1.0f), b(6, 2.0f);
      std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
      kernels::gemm(false, false, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2);
      for (float x : c) CHECK(x == 6.0f);
    });
  }

  TEST_CASE("gemm of a few rows times a transposed B (a linear layer at batch 1-4)") {
    // At most 4 rows with B transposed take the dot-product path, 5 the packed one; k covers
    // the unrolled loop, the single-vector loop and the scalar tail on every vector width.
    trit::testing::for_each_target([] {
      for (int64_t m = 1; m <= 5; ++m)
        for (int64_t k : {1, 3, 17, 64, 67, 131, 1000})
          for (float beta : {0.0f, 0.5f}) {
            check_gemm({m, 23, k, false, true, -0.5f, beta, int64_t(k % 3)});
            check_gemm({m, 23, k, true, true, 1.0f, beta, 1});  // A transposed: packed
          }
      std::vector<float> x(3, 1.0f), w(6, 2.0f);
      std::vector<float> y(2, std::numeric_limits<float>::quiet_NaN());
      kernels::gemm(false, true, 1, 2, 3, 1.0f, x.data(), 3, w.data(), 3, 0.0f, y.data(), 2);
      for (float v : y) CHECK(v == 6.0f);  // beta == 0 overwrites NaN here too
    });
  }

  TEST_CASE("gemm crosses every cache block boundary") {
    // k over two k blocks (256), n above one column panel (1024), m not a tile multiple.
    for (int transposes = 0; transposes < 4; ++transposes) {
      GemmCase t{13, 1100, 600, bool(transposes & 1), bool(transposes & 2), 0.5f, 0.25f, 3};
      check_gemm(t);
    }
  }

  TEST_CASE("gemm results are bit-identical for 1 and 2 threads") {
    const int saved = kernels::num_threads();
    // Tall, wide and thin shapes: the split runs over rows, columns or both; 24 rows
    // become single-sliver blocks (B read in place) on 2 threads but not on 1.
    const GemmCase cases[] = {{200, 300, 100},
                              {150, 600, 300, true, true, 1.0f, 1.0f, 1},
                              {5, 700, 700},
                              {5, 700, 700, false, true},
                              {3, 1500, 1500, false, true, 1.0f, 0.5f},  // dot rows, split
                              {700, 9, 400, true, false},
                              {24, 800, 300, false, false, 1.0f, 0.5f}};
    for (const GemmCase& t : cases) {
      CAPTURE(t.m);
      CAPTURE(t.n);
      CAPTURE(t.k);
      const Matrix a = t.trans_a ? Matrix(t.k, t.m, t.pad, 4) : Matrix(t.m, t.k, t.pad, 4);
      const Matrix b = t.trans_b ? Matrix(t.n, t.k, t.pad, 5) : Matrix(t.k, t.n, t.pad, 5);
      Matrix one(t.m, t.n, t.pad, 6), two = one;
      kernels::set_num_threads(1);
      run_gemm(t, a, b, one);
      kernels::set_num_threads(2);
      run_gemm(t, a, b, two);
      CHECK(one.v == two.v);
      check_gemm(t);  // and both agree with the reference (2 threads here)
    }
    kernels::set_num_threads(saved);
  }

  TEST_CASE("gemm called inside a parallel loop matches the serial result bit for bit") {
    const GemmCase t{100, 300, 200};  // large enough to split when not nested
    const Matrix a(t.m, t.k, 0, 7), b(t.k, t.n, 0, 8);
    Matrix serial(t.m, t.n, 0, 9);
    std::vector<Matrix> nested(2, serial);
    run_gemm(t, a, b, serial);
    kernels::parallel_for(2, [&](int64_t i) { run_gemm(t, a, b, nested[size_t(i)]); });
    CHECK(nested[0].v == serial.v);
    CHECK(nested[1].v == serial.v);
  }
}
