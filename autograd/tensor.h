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
// - grad() is undefined until something adds into it (backward(); in a backward closure,
//   add_grad or grad_buffer from graph.h, the only writers); gradients accumulate (+=) until
//   zero_grad().
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
  Tensor grad() const;    // undefined when there is no gradient yet
  void zero_grad();       // drops the gradient (the next backward starts from zero)
  void backward() const;  // trit::backward(*this); see graph.h

  // True when both handles refer to the same tensor (not a value comparison).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  // The two writes behind add_grad and grad_buffer (graph.h), their only callers. const
  // because a Tensor is a handle (like shared_ptr): backward closures hold const copies.
  friend void add_grad(const Tensor& input, const Tensor& g);
  friend float* grad_buffer(const Tensor& input, bool* fresh);
  float* create_grad() const;              // a new, uninitialised gradient; returns its data
  void share_grad(const Tensor& g) const;  // the gradient becomes g's storage (no copy)

  struct Impl;
  static std::shared_ptr<Impl> make_impl(const Shape& shape);
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  Impl& impl() const;
  std::shared_ptr<Impl> impl_;
};

}  // namespace trit
