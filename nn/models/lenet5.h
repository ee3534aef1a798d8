// LeNet-5 variants for 28x28 digits: input [N, 1, 28, 28] -> logits [N, 10].
//
// lenet5_caffe ("lenet5"): LeNet-5-Caffe, the model of the VNQ paper and of Caffe's
// examples/mnist/lenet_train_test.prototxt:
//   conv1 20@5x5 [20,24,24], pool1 max 2 [20,12,12], conv2 50@5x5 [50,8,8],
//   pool2 max 2 [50,4,4], flatten 800, fc1 800->500, relu1, fc2 500->10.
//   431,080 parameters. As in Caffe, nothing nonlinear follows the convolutions (the max
//   pools are the only nonlinearity before fc1).
// lenet5_classic ("lenet5-classic"): LeCun et al. 1998 as PyTorch tutorials build it:
//   conv1 6@5x5 padding 2 [6,28,28], relu1, pool1 max 2 [6,14,14], conv2 16@5x5
//   [16,10,10], relu2, pool2 max 2 [16,5,5], flatten 400, fc1 400->120, relu3,
//   fc2 120->84, relu4, fc3 84->10. 61,706 parameters.
//   Departures from the paper, all the usual modern ones: padding 2 on 28x28 instead of a
//   32x32 input, ReLU instead of the scaled tanh, max pooling instead of trainable
//   subsampling, every C3 map connected to all six S2 maps instead of the sparse table,
//   a linear output layer instead of the RBF units.
// Both initialise like PyTorch (init.h), layer by layer in the order above, from `rng`.
#pragma once

#include <memory>

#include "autograd/random.h"
#include "nn/sequential.h"

namespace trit::nn {

std::shared_ptr<Sequential> lenet5_caffe(Rng& rng);
std::shared_ptr<Sequential> lenet5_classic(Rng& rng);

}  // namespace trit::nn
