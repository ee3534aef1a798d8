// DenseNet for 32x32 images (Huang et al. 2017, "Densely Connected Convolutional Networks",
// the CIFAR networks of its section 3): input [N, 3, 32, 32] -> logits [N, classes].
//
//   features.conv0        3x3 conv, 3 -> initial_channels, padding 1
//   features.denseblock1  n dense layers; each computes k = growth new channels from all
//                         the block's channels so far and appends them (channel concat):
//                           plain:      BN-ReLU-3x3 conv (k)
//                           bottleneck: BN-ReLU-1x1 conv (4k), BN-ReLU-3x3 conv (k)  ("-B")
//   features.transition1  BN-ReLU-1x1 conv to floor(compression * C) channels ("-C" when
//                         compression < 1), 2x2 average pool
//   features.denseblock2, features.transition2, features.denseblock3
//   features.norm5, relu5, pool   final BN, ReLU, global average pool -> [N, C]
//   classifier            Linear(C, classes)
// n = (depth - 4) / 3 layers per block, halved with bottlenecks (two convs per layer).
// Convolutions have no bias; BN has weight and bias; parameters count as PyTorch counts
// them: DenseNet-BC-40 (k 12, stem 24, compression 0.5) has 176,122. Names follow
// torchvision's DenseNet (features.denseblock1.denselayer1.norm1.weight, ...; norm5 is
// its name for the final BN whatever the block count).
//
// Initialisation, as the DenseNet reference code (fb.resnet.torch's ConvInit): conv weights
// normal(0, sqrt(2 / (k_h k_w out_channels))) (kaiming_normal_, fan_out); BN weight 1,
// bias 0; classifier weight PyTorch's default U(+-1/sqrt(in)), bias 0.
// Everything is drawn from `rng` (the layers' PyTorch defaults as they are built, then the
// re-initialisation in named_parameters() order): one seed gives one model.
//
// Memory. memory_efficient (the default) builds each dense block on one channel buffer
// (fused/channel_buffer.h) that its layers write their k channels into, and runs every
// BN-ReLU-conv as the fused norm_relu_conv2d (fused/norm_relu_conv.h), which recomputes its
// normalised input in backward (Pleiss et al. 2017): training memory grows linearly with
// the layers. The layers of a block share each buffer channel's batch statistics and owe
// their statistics' gradient terms to the buffer (a ChannelStatistics per forward), which
// saves a pass over the prefix per layer each way. memory_efficient = false builds the
// textbook graph, a concat after every layer and separate BN, ReLU and conv ops, whose kept
// activations grow quadratically; it has the same parameters, names and results up to
// rounding (tests compare the two). Peak RSS of a DenseNet-BC-40 training step at batch 64
// (bench/bench_densenet --memory): 376 MiB memory-efficient, 1,568 MiB concat graph.
// In the fused graph the BN and conv children of dense layers and transitions hold the
// parameters but are not called (summary() shows "-" as their output).
//
// Swapped layers. Every forward calls the module registered NOW under each convolution's
// and the classifier's name, so Module::replace_child works: VNQ's variational twins
// (quant/vnq/model.h), the ternary layers of a quantised checkpoint (quant/ternary/layers.h).
// A BN-ReLU-conv runs fused when its conv child is a FusableConvolution
// (nn/fusable_convolution.h: nn::Conv2d, and VNQ's VariationalConv2d, whose variance path
// convolves the recomputed h^2) in a memory-efficient model; otherwise (the ternary layers
// of a quantised checkpoint, evaluation only) it runs unfused: BN -> ReLU -> the child on
// slice(x, 1, 0, channels). A dense block shares its buffer's ChannelStatistics only when
// the first BN-ReLU-conv of every one of its layers is fused (every op on a buffer shares
// them, or none does); the block decides at each forward, so swapping children needs no
// further call. The unfused path keeps its slice, BN and ReLU outputs for backward like the
// concat graph. Peak RSS of a VNQ training step at batch 64, all layers variational, one
// thread (bench/bench_vnq --model M --batch 64 --steps vnq): 0.8 GiB for DenseNet-BC-40
// and 1.7 GiB for DenseNet-B-76 (2.6 and 7.2 GiB when they ran unfused).
// BN children are never swapped (they stay full precision, spec vnq.md §6.2).
//
// Inference. In evaluation mode with no tape recorded, DenseNet::forward runs a batch in
// groups of at least 8 images whose first-block buffer takes at most 3 MiB, so that each
// layer's pass over its block's buffer stays in cache (batch 64 of DenseNet-BC-40: ternary
// 107 -> 68 ms, float 135 -> 111 ms, docs/performance.md). Every op treats images apart: the
// logits equal the one-pass logits bit for bit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "autograd/fused/norm_relu_conv.h"
#include "autograd/random.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "nn/pool.h"
#include "nn/sequential.h"

namespace trit::nn {

struct DenseNetConfig {
  int64_t depth = 40;
  int64_t growth = 12;  // k
  bool bottleneck = true;
  float compression = 0.5f;  // theta in (0, 1]
  int64_t initial_channels = 24;
  int64_t classes = 10;
  bool memory_efficient = true;

  // (depth - 4) / 3, halved with bottlenecks; throws "densenet: ..." for a depth that does
  // not divide so, or for sizes out of range.
  int64_t layers_per_block() const;
};

// One dense layer: input [N, C, H, W] -> its k new channels [N, growth, H, W]. Memory-
// efficient: C >= in_channels and the layer reads the first in_channels channels (the
// block's buffer); otherwise C == in_channels. `block` (may be null) is the DenseBlock's
// slot for the ChannelStatistics of its buffer during its forward (fused/channel_buffer.h),
// which the layer's first BN-ReLU-conv shares; the block leaves it null unless
// reads_buffer_fused() holds for all its layers.
struct DenseBlockState {
  std::shared_ptr<ChannelStatistics> statistics;
};
class DenseLayer : public Module {
 public:
  DenseLayer(int64_t in_channels, int64_t growth, bool bottleneck, bool memory_efficient, Rng& rng,
             std::shared_ptr<DenseBlockState> block = nullptr);
  Tensor forward(const Tensor& input) override;
  std::string repr() const override;  // "DenseLayer(24, growth=12, bottleneck)"
  // True when the first BN-ReLU-conv (the one reading the block's buffer) runs fused: a
  // memory-efficient layer whose child conv1 is a FusableConvolution.
  bool reads_buffer_fused() const;

 private:
  int64_t in_channels_, growth_;
  bool memory_efficient_;
  std::shared_ptr<BatchNorm2d> norm1_, norm2_;  // norm2_ (and conv2) only with a bottleneck
  std::shared_ptr<DenseBlockState> block_;
};

// `layers` dense layers: [N, in_channels, H, W] -> [N, out_channels(), H, W], the input
// followed by each layer's k channels in order.
class DenseBlock : public Module {
 public:
  DenseBlock(int64_t in_channels, int64_t layers, int64_t growth, bool bottleneck,
             bool memory_efficient, Rng& rng);
  Tensor forward(const Tensor& input) override;
  std::string repr() const override;  // "DenseBlock(24 -> 96, 6 layers)"
  int64_t out_channels() const { return in_channels_ + layers_ * growth_; }

 private:
  int64_t in_channels_, layers_, growth_;
  bool memory_efficient_;
  std::shared_ptr<DenseBlockState> state_;  // the buffer's statistics during forward
};

// BN-ReLU-1x1 conv-2x2 average pool: [N, in, H, W] -> [N, out, H / 2, W / 2].
class Transition : public Module {
 public:
  Transition(int64_t in_channels, int64_t out_channels, bool memory_efficient, Rng& rng);
  Tensor forward(const Tensor& input) override;
  std::string repr() const override;  // "Transition(96 -> 48)"

 private:
  int64_t in_channels_, out_channels_;
  bool memory_efficient_;
  std::shared_ptr<BatchNorm2d> norm_;
  std::shared_ptr<AvgPool2d> pool_;
};

class DenseNet : public Module {
 public:
  DenseNet(const DenseNetConfig& config, Rng& rng);
  Tensor forward(const Tensor& input) override;
  // "DenseNet(depth=40, growth=12, bottleneck, compression=0.5, initial=24)"
  std::string repr() const override;
  const DenseNetConfig& config() const { return config_; }

 private:
  DenseNetConfig config_;
  std::shared_ptr<Sequential> features_;
};

}  // namespace trit::nn
