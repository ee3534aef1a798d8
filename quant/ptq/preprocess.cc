#include "quant/ptq/preprocess.h"

#include <string>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "quant/ptq/layer_check.h"
#include "quant/ptq/row_space.h"

namespace trit::quant {

Alphabet target_set(const Alphabet& alphabet, TargetSet targets) {
  return targets == TargetSet::box ? Alphabet{alphabet.scale, 2} : alphabet;
}

PreprocessResult preprocess_layer(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                  const std::vector<Alphabet>& alphabets,
                                  const PreprocessOptions& options) {
  check_layer("preprocess_layer", x, w, alphabets);
  check_within_scale("preprocess_layer", w, alphabets);
  const RowSpace space = row_space(x, options.rank_tol);
  const Eigen::Index n1 = w.cols();
  PreprocessResult result;
  result.z.resize(w.rows(), n1);
  result.free_entries.assign(n1, 0);
  result.steps.assign(n1, 0);
  result.fallbacks.assign(n1, 0);
  result.data_rank = space.rank;
  const SharedStart start = shared_start(space, options.walk);
  kernels::parallel_for(n1, [&](int64_t j) {
    const VertexWalkStats stats =
        step_to_vertex(space, w.col(j).data(), target_set(alphabets[j], options.targets),
                       options.walk, result.z.col(j).data(), &start);
    result.free_entries[j] = stats.free_entries;
    result.steps[j] = stats.steps;
    result.fallbacks[j] = stats.fallbacks;
  });
  return result;
}

Eigen::MatrixXd preprocess_and_quantise(const Eigen::MatrixXd& x, const Eigen::MatrixXd& w,
                                        const std::vector<Alphabet>& alphabets,
                                        const PreprocessOptions& options) {
  return msq(preprocess_layer(x, w, alphabets, options).z, alphabets);
}

}  // namespace trit::quant
