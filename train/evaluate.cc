#include "train/evaluate.h"

#include <algorithm>

#include "autograd/graph.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/reduce.h"
#include "datasets/loader.h"
#include "nn/batch_norm_recalibration.h"

namespace trit::train {

int64_t count_correct(const Tensor& logits, const std::vector<int64_t>& labels) {
  const std::vector<int64_t> predicted = argmax(logits, -1);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return correct;
}

double evaluate_accuracy(nn::Module& model, const datasets::ImageDataset& data,
                         const datasets::Normalization& normalization, int64_t batch_size) {
  return evaluate_accuracy(model, data, normalization, distributed::Communicator::single(),
                           batch_size);
}

double evaluate_accuracy(nn::Module& model, const datasets::ImageDataset& data,
                         const datasets::Normalization& normalization,
                         const distributed::Communicator& communicator, int64_t batch_size) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  datasets::DataLoader loader(data, datasets::LoaderOptions::in_order(batch_size, normalization));
  loader.start_epoch(0);
  datasets::Batch batch;
  int64_t correct = 0, index = 0;
  while (loader.next(batch))
    if (index++ % communicator.size() == communicator.rank())
      correct += count_correct(model(batch.images), batch.labels);
  communicator.sum(&correct, 1);
  model.train(was_training);
  return data.size() ? static_cast<double>(correct) / data.size() : 0.0;
}

int64_t reestimate_batch_norm(nn::Module& model, const DataSplits& data, int64_t images,
                              int64_t batch) {
  datasets::DataLoader loader(data.train,
                              datasets::LoaderOptions::shuffled(batch, 0, data.normalization));
  loader.start_epoch(0);
  const int64_t wanted = std::min(images, data.train.size());
  int64_t used = 0;
  nn::recalibrate_batch_norm(model, [&](Tensor& out) {
    datasets::Batch next;
    if (used >= wanted || !loader.next(next)) return false;
    const int64_t take = std::min(wanted - used, next.images.size(0));
    out = take == next.images.size(0) ? next.images : slice(next.images, 0, 0, take);
    used += take;
    return true;
  });
  return used;
}

}  // namespace trit::train
