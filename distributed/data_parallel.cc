#include "distributed/data_parallel.h"

#include <algorithm>
#include <chrono>

#include "autograd/graph.h"
#include "nn/batch_norm.h"

namespace trit::distributed {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

DataParallel::DataParallel(nn::Module& model, const Communicator& communicator,
                           DataParallelOptions options)
    : model_(model),
      communicator_(communicator),
      options_(options),
      parameters_(model.parameters()) {
  // Buckets in reverse registration order: the last layers' gradients are finished first.
  bucket_of_.resize(parameters_.size());
  size_t bytes = options_.bucket_bytes;  // of the bucket being filled
  for (size_t i = parameters_.size(); i-- > 0;) {
    const size_t size = static_cast<size_t>(parameters_[i].numel()) * sizeof(float);
    if (buckets_.empty() || bytes + size > options_.bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& bucket = buckets_.back();
    bucket.parameters.push_back(i);
    bytes += size;
    bucket_of_[i] = buckets_.size() - 1;
  }
  for (Bucket& bucket : buckets_) {
    size_t floats = 0;
    for (size_t i : bucket.parameters) floats += static_cast<size_t>(parameters_[i].numel());
    bucket.flat.resize(floats);
  }
  if (options_.sync_batch_norm && communicator_.size() > 1) {
    const Communicator* comm = &communicator_;
    for (auto& [name, module] : model_.named_modules())
      if (auto* norm = dynamic_cast<nn::BatchNorm2d*>(module.get()))
        norm->set_sync(
            [comm](std::vector<double>& values) { comm->sum(values.data(), values.size()); });
  }
}

void DataParallel::broadcast_state() {
  for (Tensor& parameter : parameters_)
    communicator_.broadcast(parameter.data(), static_cast<size_t>(parameter.numel()));
  for (auto& [name, buffer] : model_.named_buffers())
    communicator_.broadcast(buffer.data(), static_cast<size_t>(buffer.numel()));
}

// Copies the bucket's gradients (zeros for none) into its flat buffer and starts their sum.
void DataParallel::start(Bucket& bucket) {
  float* out = bucket.flat.data();
  for (size_t i : bucket.parameters) {
    const Tensor& parameter = parameters_[i];
    const size_t n = static_cast<size_t>(parameter.numel());
    if (parameter.has_grad()) {
      const float* grad = parameter.grad().data();
      std::copy(grad, grad + n, out);
    } else {
      std::fill(out, out + n, 0.0f);
    }
    out += n;
  }
  if (options_.overlap) {
    bucket.pending = communicator_.start_sum(bucket.flat.data(), bucket.flat.size());
  } else {
    const auto begin = std::chrono::steady_clock::now();
    communicator_.sum(bucket.flat.data(), bucket.flat.size());
    reduce_seconds_ += seconds_since(begin);
  }
}

// Waits for the bucket's sum and copies it back into the gradients.
void DataParallel::finish(Bucket& bucket) {
  const auto begin = std::chrono::steady_clock::now();
  bucket.pending.wait();
  reduce_seconds_ += seconds_since(begin);
  const float* in = bucket.flat.data();
  for (size_t i : bucket.parameters) {
    const Tensor& parameter = parameters_[i];
    const size_t n = static_cast<size_t>(parameter.numel());
    if (parameter.has_grad()) std::copy(in, in + n, parameter.grad().data());
    in += n;
  }
}

void DataParallel::backward(const Tensor& loss, double share) {
  const Tensor seed = Tensor::full(loss.shape(), static_cast<float>(share));
  if (communicator_.size() == 1) return trit::backward(loss, seed);
  for (Bucket& bucket : buckets_) bucket.waiting = bucket.parameters.size();
  if (options_.overlap) {
    trit::backward(loss, seed, GradReadyWatch{parameters_, [this](size_t i) {
                                                Bucket& bucket = buckets_[bucket_of_[i]];
                                                if (--bucket.waiting == 0) start(bucket);
                                                for (Bucket& other : buckets_)
                                                  other.pending.poll();  // let MPI progress
                                              }});
  } else {
    trit::backward(loss, seed);
    for (Bucket& bucket : buckets_) start(bucket);
  }
  for (Bucket& bucket : buckets_) finish(bucket);
}

void DataParallel::average_buffers() {
  if (communicator_.size() == 1) return;
  const float scale = 1.0f / static_cast<float>(communicator_.size());
  for (auto& [name, buffer] : model_.named_buffers()) {
    float* values = buffer.data();
    const size_t n = static_cast<size_t>(buffer.numel());
    communicator_.sum(values, n);
    for (size_t i = 0; i < n; ++i) values[i] *= scale;
  }
}

}  // namespace trit::distributed
