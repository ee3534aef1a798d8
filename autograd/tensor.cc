#include "autograd/tensor.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/random.h"
#include "autograd/random.h"

namespace trit {

struct Tensor::Impl {
  Shape shape;
  std::shared_ptr<Buffer> data;  // shared by reshape views and detach()
  bool requires_grad = false;
  std::shared_ptr<Impl> grad;  // same shape; its own grad stays empty
};

std::shared_ptr<Tensor::Impl> Tensor::make_impl(const Shape& shape) {
  for (int64_t s : shape) check(s >= 0, "Tensor", "negative size in shape " + to_string(shape));
  auto impl = std::make_shared<Tensor::Impl>();
  impl->shape = shape;
  impl->data = new_buffer(static_cast<size_t>(trit::numel(shape)));
  return impl;
}

Tensor::Impl& Tensor::impl() const {
  // No check(): its std::string arguments would allocate on every data() call.
  if (impl_ == nullptr) throw Error("Tensor: use of an undefined tensor");
  return *impl_;
}

Tensor Tensor::empty(const Shape& shape) { return Tensor(make_impl(shape)); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill(t.data(), t.data() + t.numel(), value);
  return t;
}

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.0f); }
Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor Tensor::scalar(float value) { return full({}, value); }

Tensor Tensor::from(const Shape& shape, const std::vector<float>& values) {
  check(static_cast<int64_t>(values.size()) == trit::numel(shape), "Tensor::from",
        std::to_string(values.size()) + " values for shape " + to_string(shape));
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::uniform(const Shape& shape, float low, float high, Rng& rng) {
  Tensor t = empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = low + (high - low) * rng.uniform();
  return t;
}

Tensor Tensor::normal(const Shape& shape, float mean, float stddev, Rng& rng) {
  Tensor t = empty(shape);  // one key per call: the stream position is one Rng draw
  kernels::normal_fill(rng.next_u64(), 0, mean, stddev, t.data(), static_cast<size_t>(t.numel()));
  return t;
}

const Shape& Tensor::shape() const { return impl().shape; }
int64_t Tensor::numel() const { return trit::numel(impl().shape); }
int64_t Tensor::size(int64_t axis) const {
  return shape()[normalize_axis(axis, dim(), "Tensor::size")];
}
float* Tensor::data() { return impl().data->data(); }
const float* Tensor::data() const { return impl().data->data(); }

float Tensor::item() const {
  check(numel() == 1, "Tensor::item", "tensor of shape " + to_string(shape()) +
                                          " has " + std::to_string(numel()) + " elements, not 1");
  return data()[0];
}

std::vector<float> Tensor::to_vector() const { return {data(), data() + numel()}; }

Tensor Tensor::clone() const {
  Tensor t = empty(shape());
  std::copy(data(), data() + numel(), t.data());
  return t;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<Impl>();
  impl->shape = shape();
  impl->data = impl_->data;
  return Tensor(impl);
}

Tensor Tensor::view(const Shape& new_shape) const {
  check(trit::numel(new_shape) == numel(), "view",
        "cannot view " + to_string(shape()) + " as " + to_string(new_shape));
  auto impl = std::make_shared<Impl>();
  impl->shape = new_shape;
  impl->data = impl_->data;
  return Tensor(impl);
}

bool Tensor::requires_grad() const { return impl().requires_grad; }
Tensor& Tensor::set_requires_grad(bool requires_grad) {
  impl().requires_grad = requires_grad;
  return *this;
}
bool Tensor::has_grad() const { return impl().grad != nullptr; }
Tensor Tensor::grad() const { return Tensor(impl().grad); }

float* Tensor::create_grad() const {
  Impl& self = impl();
  self.grad = make_impl(self.shape);
  return self.grad->data->data();
}

void Tensor::share_grad(const Tensor& g) const {
  Impl& self = impl();
  self.grad = std::make_shared<Impl>();
  self.grad->shape = self.shape;
  self.grad->data = g.impl().data;
}

void Tensor::zero_grad() { impl().grad.reset(); }
void Tensor::backward() const { trit::backward(*this); }

}  // namespace trit
