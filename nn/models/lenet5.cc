#include "nn/models/lenet5.h"

#include "nn/activation.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "nn/pool.h"

namespace trit::nn {

std::shared_ptr<Sequential> lenet5_caffe(Rng& rng) {
  auto net = std::make_shared<Sequential>();
  net->add("conv1", std::make_shared<Conv2d>(1, 20, 5, rng))
      .add("pool1", std::make_shared<MaxPool2d>(2))
      .add("conv2", std::make_shared<Conv2d>(20, 50, 5, rng))
      .add("pool2", std::make_shared<MaxPool2d>(2))
      .add("flatten", std::make_shared<Flatten>())
      .add("fc1", std::make_shared<Linear>(800, 500, rng))
      .add("relu1", std::make_shared<ReLU>())
      .add("fc2", std::make_shared<Linear>(500, 10, rng));
  return net;
}

std::shared_ptr<Sequential> lenet5_classic(Rng& rng) {
  auto net = std::make_shared<Sequential>();
  Conv2dOptions pad2;
  pad2.padding = 2;
  net->add("conv1", std::make_shared<Conv2d>(1, 6, 5, rng, pad2))
      .add("relu1", std::make_shared<ReLU>())
      .add("pool1", std::make_shared<MaxPool2d>(2))
      .add("conv2", std::make_shared<Conv2d>(6, 16, 5, rng))
      .add("relu2", std::make_shared<ReLU>())
      .add("pool2", std::make_shared<MaxPool2d>(2))
      .add("flatten", std::make_shared<Flatten>())
      .add("fc1", std::make_shared<Linear>(400, 120, rng))
      .add("relu3", std::make_shared<ReLU>())
      .add("fc2", std::make_shared<Linear>(120, 84, rng))
      .add("relu4", std::make_shared<ReLU>())
      .add("fc3", std::make_shared<Linear>(84, 10, rng));
  return net;
}

}  // namespace trit::nn
