// reshape, flatten, transpose, permute, concat, slice: values against index-arithmetic
// references, storage sharing, gradient checks and error messages.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/layout.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

namespace {

// 0, 1, 2, ... in `shape`: every copied element is identifiable.
Tensor iota(const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);
  return t;
}

// Index of each element of `flat` in `shape`, outermost first.
std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return index;
}

int64_t ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i) flat = flat * shape[i] + index[i];
  return flat;
}

// out[i_0..i_k] = x[j] with j[perm[a]] = i_a, element by element.
std::vector<float> reference_permute(const Tensor& x, const std::vector<int64_t>& perm) {
  Shape out_shape(perm.size());
  for (size_t a = 0; a < perm.size(); ++a) out_shape[a] = x.shape()[perm[a]];
  std::vector<float> out(x.numel());
  for (int64_t o = 0; o < x.numel(); ++o) {
    const auto out_index = unravel(o, out_shape);
    std::vector<int64_t> in_index(perm.size());
    for (size_t a = 0; a < perm.size(); ++a) in_index[perm[a]] = out_index[a];
    out[o] = x.data()[ravel(in_index, x.shape())];
  }
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("reshape shares storage and infers one -1") {
    Tensor x = iota({2, 3, 4});
    Tensor y = reshape(x, {4, -1});
    CHECK(y.shape() == Shape{4, 6});
    CHECK(y.to_vector() == x.to_vector());
    y.data()[5] = -1.0f;  // a view: writes show through
    CHECK(x.data()[5] == -1.0f);
    CHECK(reshape(x, {-1}).shape() == Shape{24});
    CHECK(reshape(Tensor::zeros({0, 3}), {3, 0}).shape() == Shape{3, 0});
  }

  TEST_CASE("flatten merges the trailing dimensions from start_dim") {
    const Tensor x = iota({2, 3, 4, 5});
    CHECK(flatten(x).shape() == Shape{2, 60});
    CHECK(flatten(x, 0).shape() == Shape{120});
    CHECK(flatten(x, 2).shape() == Shape{2, 3, 20});
    CHECK(flatten(x, -1).shape() == Shape{2, 3, 4, 5});
    CHECK(flatten(Tensor::scalar(7.0f), 0).shape() == Shape{1});
    CHECK(flatten(x).to_vector() == x.to_vector());
  }

  TEST_CASE("permute and transpose match index arithmetic on every path") {
    // Small cases, the row-copy path (last axis kept), the tiled path (last axis moved),
    // size-1 axes, axes that merge, and sizes large enough for the threaded path.
    const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
        {{2, 3}, {1, 0}},
        {{5}, {0}},
        {{}, {}},
        {{2, 3, 4}, {0, 2, 1}},
        {{2, 3, 4}, {2, 0, 1}},
        {{2, 3, 4}, {1, 0, 2}},
        {{3, 1, 4, 1}, {3, 2, 0, 1}},
        {{4, 5, 6, 7}, {0, 2, 3, 1}},
        {{4, 5, 6, 7}, {3, 1, 2, 0}},
        {{33, 17}, {1, 0}},
        {{0, 3, 2}, {2, 1, 0}},
        {{8, 64, 17, 19}, {0, 2, 3, 1}},
        {{300, 257}, {1, 0}},
        {{64, 40, 40}, {1, 0, 2}},
    };
    for (const auto& test : cases) {  // no structured bindings: clang 14 cannot CAPTURE them
      const Shape& shape = test.first;
      const std::vector<int64_t>& perm = test.second;
      CAPTURE(to_string(shape));
      CAPTURE(to_string(perm));
      const Tensor x = iota(shape);
      const Tensor y = permute(x, perm);
      for (size_t a = 0; a < perm.size(); ++a) CHECK(y.shape()[a] == shape[perm[a]]);
      CHECK(y.to_vector() == reference_permute(x, perm));
    }
    const Tensor x = iota({2, 3, 4});
    CHECK(transpose(x, 0, -1).to_vector() == reference_permute(x, {2, 1, 0}));
    CHECK(transpose(x, 1, 1).to_vector() == x.to_vector());
  }

  TEST_CASE("concat joins along any axis") {
    const Tensor a = iota({2, 3, 4});
    const Tensor b = iota({2, 3, 4}) + 100.0f;
    for (int64_t axis : {0, 1, 2, -1}) {
      CAPTURE(axis);
      const int64_t ax = axis < 0 ? axis + 3 : axis;
      Shape b_shape = {2, 3, 4};
      b_shape[ax] = 1 + ax;  // a different length along the axis
      const Tensor c = iota(b_shape) + 1000.0f;
      const Tensor y = concat({a, b, c}, axis);
      Shape want = {2, 3, 4};
      want[ax] = a.shape()[ax] + b.shape()[ax] + c.shape()[ax];
      REQUIRE(y.shape() == want);
      for (int64_t o = 0; o < y.numel(); ++o) {
        auto index = unravel(o, want);
        const Tensor* part = &a;
        for (const Tensor* t : {&a, &b, &c}) {
          part = t;
          if (index[ax] < t->shape()[ax]) break;
          index[ax] -= t->shape()[ax];
        }
        CHECK(y.data()[o] == part->data()[ravel(index, part->shape())]);
      }
    }
    CHECK(concat({a}, 1).to_vector() == a.to_vector());
    CHECK(concat({Tensor::zeros({2, 0}), iota({2, 2})}, 1).to_vector() == iota({2, 2}).to_vector());
  }

  TEST_CASE("slice follows Python slicing with step 1") {
    const Tensor x = iota({3, 6, 2});
    // x[:, start:end] selects Python's range(begin, stop) along axis 1 of size 6.
    struct Case {
      int64_t start, end, begin, stop;
    };
    const std::vector<Case> cases = {
        {1, 4, 1, 4}, {0, 6, 0, 6},   {-2, 6, 4, 6}, {-100, 2, 0, 2}, {2, 100, 2, 6},
        {4, 1, 4, 4}, {-1, -3, 5, 5}, {3, -1, 3, 5}, {6, 9, 6, 6},    {-6, -5, 0, 1},
    };
    for (const Case& c : cases) {
      CAPTURE(c.start);
      CAPTURE(c.end);
      const Tensor y = slice(x, 1, c.start, c.end);
      REQUIRE(y.shape() == Shape{3, c.stop - c.begin, 2});
      for (int64_t o = 0; o < y.numel(); ++o) {
        auto index = unravel(o, y.shape());
        index[1] += c.begin;
        CHECK(y.data()[o] == x.data()[ravel(index, x.shape())]);
      }
    }
    std::vector<float> odd(18);
    for (size_t i = 0; i < odd.size(); ++i) odd[i] = 2.0f * i + 1.0f;
    CHECK(slice(x, -1, 1, 2).to_vector() == odd);
  }

  TEST_CASE("layout ops backward matches finite differences") {
    const Tensor x = random_input({2, 3, 4}, 1);
    const Tensor y = random_input({2, 5, 4}, 2);
    Tensor frozen = random_input({2, 2, 4}, 3);
    frozen.set_requires_grad(false);
    using Inputs = std::vector<Tensor>;
    gradcheck([](const Inputs& v) { return reshape(v[0], {4, -1}); }, {x});
    gradcheck([](const Inputs& v) { return flatten(v[0]); }, {x});
    gradcheck([](const Inputs& v) { return transpose(v[0], 0, 2); }, {x});
    gradcheck([](const Inputs& v) { return permute(v[0], {1, 2, 0}); }, {x});
    gradcheck([](const Inputs& v) { return concat({v[0], v[2], v[1]}, 1); }, {x, y, frozen});
    gradcheck([](const Inputs& v) { return concat({v[0], v[0]}, -1); }, {x});  // used twice
    gradcheck([](const Inputs& v) { return slice(v[0], 1, 1, -1); }, {y});
    gradcheck([](const Inputs& v) { return slice(v[0], 2, -3, 100); }, {y});
    // A chain, so gradients pass through views and copies in turn.
    gradcheck(
        [](const Inputs& v) {
          return reshape(permute(slice(v[0], 1, 0, 3) * v[1], {2, 0, 1}), {-1, 3});
        },
        {y, x});
  }

  TEST_CASE("layout op errors name the op and the shapes") {
    const Tensor x = Tensor::zeros({2, 3, 4});
    CHECK(message_of([&] { reshape(x, {5, -1}); }) == "reshape: cannot reshape [2,3,4] to [5,-1]");
    CHECK(message_of([&] {
            reshape(x, {-1, -1});
          }) == "reshape: cannot reshape [2,3,4] to [-1,-1]: more than one -1");
    CHECK(message_of([&] { reshape(x, {2, 13}); }) == "reshape: cannot reshape [2,3,4] to [2,13]");
    CHECK(message_of([&] {
            reshape(x, {-2, -12});
          }) == "reshape: cannot reshape [2,3,4] to [-2,-12]: negative size");
    CHECK(message_of([&] { flatten(x, 3); }) == "flatten: axis 3 out of range for [2,3,4]");
    CHECK(message_of([&] { transpose(x, 0, -4); }) ==
          "transpose: axis -4 out of range for [2,3,4]");
    CHECK(message_of([&] {
            permute(x, {0, 1});
          }) == "permute: dims [0,1] for shape [2,3,4]: wrong number of dims");
    CHECK(message_of([&] {
            permute(x, {0, 1, -2});
          }) == "permute: dims [0,1,-2] for shape [2,3,4]: axis 1 repeats");
    CHECK(message_of([&] {
            concat({x, Tensor::zeros({2, 5, 5})}, 1);
          }) == "concat: [2,3,4] and [2,5,5] differ outside axis 1");
    CHECK(message_of([&] {
            concat({x, Tensor::zeros({2, 3})}, 0);
          }) == "concat: [2,3,4] and [2,3]: ranks differ");
    CHECK(message_of([&] { concat({}, 0); }) == "concat: no tensors to join");
    CHECK(message_of([&] { slice(x, 3, 0, 1); }) == "slice: axis 3 out of range for [2,3,4]");
  }
}
