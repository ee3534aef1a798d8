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

namespace {

// Batches of the first `images` training images in the fixed shuffled order (seed 0),
// normalised, not augmented: next(out) gives the next one, false after the last.
class TrainingImages {
 public:
  TrainingImages(const DataSplits& data, int64_t images, int64_t batch)
      : loader_(data.train, datasets::LoaderOptions::shuffled(batch, 0, data.normalization)),
        wanted_(std::min(images, data.train.size())) {
    loader_.start_epoch(0);
  }
  bool next(Tensor& out) {
    datasets::Batch batch;
    if (used_ >= wanted_ || !loader_.next(batch)) return false;
    const int64_t take = std::min(wanted_ - used_, batch.images.size(0));
    out = take == batch.images.size(0) ? batch.images : slice(batch.images, 0, 0, take);
    used_ += take;
    return true;
  }
  int64_t used() const { return used_; }

 private:
  datasets::DataLoader loader_;
  int64_t wanted_, used_ = 0;
};

}  // namespace

int64_t reestimate_batch_norm(nn::Module& model, const DataSplits& data, int64_t images,
                              int64_t batch) {
  TrainingImages source(data, images, batch);
  nn::recalibrate_batch_norm(model, [&](Tensor& out) { return source.next(out); });
  return source.used();
}

std::vector<Tensor> training_batches(const DataSplits& data, int64_t images, int64_t batch) {
  TrainingImages source(data, images, batch);
  std::vector<Tensor> out;
  for (Tensor next; source.next(next);) out.push_back(next);
  return out;
}

}  // namespace trit::train
