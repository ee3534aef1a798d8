// Tensor: a cheap-to-copy handle to a float32 N-d array that may take part in autograd.
//
// Contract
// - Storage is row-major and contiguous, 64-byte aligned; a Tensor never has strides.
//   Ops that change layout (transpose, permute, slice) copy; reshape shares storage.
//   The storage itself (Buffer, its allocator, the heap tuning) is autograd/storage.h.
// - Copying a Tensor copies the handle, not the data (like torch.Tensor / flashlight's
//   Variable). Use clone() for a deep copy.
// - requires_grad marks a leaf whose gradient backward() must compute (parameters, or
//   inputs under a gradient check). Outputs of recorded ops require grad automatically.
// - grad() is undefined until backward() (or mutable_grad()) creates it; gradients
//   accumulate (+=) until zero_grad().
// - A default-constructed Tensor is "undefined" (defined() == false); using it throws.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "autograd/shape.h"
#include "autograd/storage.h"

namespace trit {

class Rng;

class Tensor {
 public:
  Tensor() = default;

  // --- factories -------------------------------------------------------------------
  static Tensor empty(const Shape& shape);  // uninitialised values
  static Tensor zeros(const Shape& shape);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor scalar(float value);  // 0-d tensor
  // Copies `values`; throws if values.size() != numel(shape).
  static Tensor from(const Shape& shape, const std::vector<float>& values);
  static Tensor uniform(const Shape& shape, float low, float high, Rng& rng);
  // mean + stddev * N(0, 1) from kernels::normal_fill (SIMD, threads) keyed by one
  // rng.next_u64(): values depend on the rng state alone, not on the thread count.
  static Tensor normal(const Shape& shape, float mean, float stddev, Rng& rng);

  // --- shape and data --------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const;
  float* data();
  const float* data() const;
  float item() const;                   // the value of a one-element tensor
  std::vector<float> to_vector() const;  // a copy of the values
  Tensor clone() const;                 // deep copy, no grad, not recorded
  Tensor detach() const;                // shares the data, requires_grad = false
  // Same data, new shape with the same element count (the raw view behind reshape()).
  Tensor view(const Shape& shape) const;

  // --- autograd --------------------------------------------------------------------
  bool requires_grad() const;
  Tensor& set_requires_grad(bool requires_grad = true);
  bool has_grad() const;
  Tensor grad() const;   // undefined when there is no gradient yet
  // The gradient buffer, created as zeros on first use. const because a Tensor is a
  // handle (like shared_ptr): backward closures hold const copies of their inputs.
  float* mutable_grad() const;
  // The same for a backward that sets every element of the gradient: when none exists yet
  // it is created uninitialised and *fresh is true (the caller must write every element, as
  // if adding into zeros: no zeroing pass over a large activation); otherwise *fresh is
  // false and the caller adds into it, as with mutable_grad().
  float* grad_to_write(bool* fresh) const;
  // Adds g (same shape) into the gradient. With no gradient yet it shares g's storage instead
  // of copying it (autograd's usual gradient stealing), so g must not change afterwards: a
  // backward closure may pass the grad_output it receives, which nothing reads once the
  // closure has run.
  void accumulate_grad(const Tensor& g) const;
  void zero_grad();       // drops the gradient (the next backward starts from zero)
  void backward() const;  // trit::backward(*this); see graph.h

  // True when both handles refer to the same tensor (not a value comparison).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  struct Impl;
  static std::shared_ptr<Impl> make_impl(const Shape& shape);
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  Impl& impl() const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace trit
