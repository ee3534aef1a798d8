// Evaluating a model on a dataset, and BatchNorm re-estimation from training images.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"
#include "datasets/image_dataset.h"
#include "datasets/normalization.h"
#include "distributed/communicator.h"
#include "nn/module.h"
#include "train/data.h"

namespace trit::train {

// How many rows of `logits` [batch, classes] have their largest value at the label.
int64_t count_correct(const Tensor& logits, const std::vector<int64_t>& labels);

// Accuracy on `data` in [0, 1], in evaluation mode without recording (the model's mode is
// restored afterwards).
double evaluate_accuracy(nn::Module& model, const datasets::ImageDataset& data,
                         const datasets::Normalization& normalization, int64_t batch = 500);

// The same over the ranks of `communicator`, each evaluating every size()-th batch (batch k
// on rank k mod size) and the counts summed: every rank returns the whole set's accuracy.
double evaluate_accuracy(nn::Module& model, const datasets::ImageDataset& data,
                         const datasets::Normalization& normalization,
                         const distributed::Communicator& communicator, int64_t batch = 500);

// BatchNorm re-estimation (nn/batch_norm_recalibration.h, spec vnq.md §8.4) on the first
// `images` training images (all of them when fewer) of one fixed shuffled order (seed 0),
// normalised, not augmented, in batches of `batch`. Returns the images used.
int64_t reestimate_batch_norm(nn::Module& model, const DataSplits& data, int64_t images,
                              int64_t batch = 64);

// The first `images` training images (all of them when fewer) of the same fixed shuffled order
// (seed 0), normalised, not augmented, in batches of `batch`: calibration inputs, e.g. for
// quant::calibrate_activations.
std::vector<Tensor> training_batches(const DataSplits& data, int64_t images, int64_t batch = 64);

}  // namespace trit::train
