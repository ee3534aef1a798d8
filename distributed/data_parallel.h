// DataParallel: synchronous data-parallel training of one model over the ranks of a
// Communicator (PyTorch's DistributedDataParallel, Horovod): every rank holds the whole
// model, takes its share of each global batch, and after backward all ranks hold the same
// gradient, that of the global batch.
//
// Contract
// - Built on every rank from the same model (the same parameter and buffer shapes, in the same
//   order). broadcast_state() copies rank 0's parameters and buffers to every rank.
// - backward(loss, share): reverse mode from this rank's mean loss over its samples, seeded
//   with share = its samples / the global batch's, so that the gradient summed over ranks is
//   that of the global mean loss, however unevenly the batch is split. The sum runs on flat
//   buckets of about options.bucket_bytes of gradients, in reverse registration order (the
//   order backward finishes them). options.overlap: a bucket's non-blocking sum starts as soon
//   as backward has finished its gradients (graph.h GradReadyWatch), while backward goes on;
//   else every bucket is summed after backward. On return each parameter's gradient is the
//   global one, bit-identical on every rank; a parameter without a gradient keeps none.
// - options.sync_batch_norm: every BatchNorm2d of the model normalises with the statistics of
//   the global batch (ops/batch_norm.h, `sync`); else each rank uses its own share, as DDP does.
// - average_buffers(): buffers (BatchNorm running statistics) averaged over ranks, so that
//   evaluation and checkpoints see one model; call it before either.
// - reduce_seconds(): wall time spent in the gradient sums that backward did not hide (the
//   blocking sums, or the waits after backward), over all steps so far.
// - One process (Communicator::single() or a size-1 world): backward is plain backward.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "autograd/tensor.h"
#include "distributed/communicator.h"
#include "nn/module.h"

namespace trit::distributed {

struct DataParallelOptions {
  size_t bucket_bytes = size_t(1) << 20;  // 1 MiB
  bool overlap = true;
  bool sync_batch_norm = false;
};

class DataParallel {
 public:
  DataParallel(nn::Module& model, const Communicator& communicator,
               DataParallelOptions options = {});

  void broadcast_state();
  void backward(const Tensor& loss, double share);
  void average_buffers();

  const Communicator& communicator() const { return communicator_; }
  const DataParallelOptions& options() const { return options_; }
  double reduce_seconds() const { return reduce_seconds_; }
  size_t buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> parameters;  // indices into parameters_
    std::vector<float> flat;
    size_t waiting = 0;  // gradients backward has not finished yet
    PendingSum pending;
  };
  void start(Bucket& bucket);
  void finish(Bucket& bucket);

  nn::Module& model_;
  const Communicator& communicator_;
  DataParallelOptions options_;
  std::vector<Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;  // per parameter
  double reduce_seconds_ = 0.0;
};

}  // namespace trit::distributed
