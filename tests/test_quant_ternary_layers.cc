// Ternary layers and checkpoints (quant/ternary/layers.h, quant/ternary/checkpoint.h): a VNQ
// model made ternary predicts exactly as its kTernary mode, the checkpoint round-trips
// bit-exactly, and corrupt or mismatched checkpoints are errors naming the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/reduce.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/model.h"
#include "quant/vnq/to_ternary.h"
#include "tests/dataset_files.h"
#include "tests/vnq_fixtures.h"

using namespace trit;
using namespace trit::quant;
using trit::testing::spread_vnq_lenet;
using trit::testing::TempDir;

namespace {

Tensor images(int64_t n, uint64_t seed) {
  Rng rng(seed);
  return Tensor::normal({n, 1, 28, 28}, 0.0f, 1.0f, rng);
}

// spread_vnq_lenet(seed) made ternary and saved to `path`.
std::shared_ptr<nn::Module> saved_ternary_lenet(uint64_t seed, const std::string& path,
                                                const nn::Metadata& extra = {}) {
  std::shared_ptr<nn::Module> model = spread_vnq_lenet(seed);
  make_ternary(*model);
  save_ternary_checkpoint(path, *model, extra);
  return model;
}

// The error thrown by `f`, or "" when none is.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("make_ternary predicts exactly as the VNQ model in kTernary mode") {
    NoGradGuard no_grad;
    VariationalLayers layers;
    std::shared_ptr<nn::Module> model = spread_vnq_lenet(3, VnqConfig{}, &layers);
    model->eval();
    set_mode(layers, VnqMode::kTernary);
    const Tensor x = images(32, 4);
    const Tensor float_logits = (*model)(x);
    const CompressionStats stats = compression_stats(layers);
    REQUIRE(stats.nonzero > 0);
    REQUIRE(stats.nonzero < stats.weights);

    const TernaryLayers ternary = make_ternary(*model);
    REQUIRE(ternary.size() == 4);
    CHECK(find_variational(*model).empty());
    CHECK(ternary[0]->repr() == "TernaryConv2d(1, 20, kernel=5)");
    CHECK(ternary[3]->repr() == "TernaryLinear(500, 10)");
    int64_t nonzero = 0;
    for (size_t i = 0; i < ternary.size(); ++i) {
      CHECK(unpack_ternary(ternary[i]->weights()) == layers[i]->ternary_codes());
      CHECK(ternary[i]->weights().level == layers[i]->level().item());
      CHECK(ternary[i]->bias().to_vector() == layers[i]->bias().to_vector());
      nonzero += ternary[i]->nonzero();
    }
    CHECK(nonzero == stats.nonzero);

    const Tensor packed_logits = (*model)(x);
    CHECK_FALSE(packed_logits.requires_grad());
    const std::vector<int64_t> predicted = argmax(float_logits, -1);
    CHECK(argmax(packed_logits, -1) == predicted);
    CHECK(std::set<int64_t>(predicted.begin(), predicted.end()).size() >= 3);  // not one class
    for (int64_t i = 0; i < x.size(0) * 10; ++i)
      CHECK(packed_logits.data()[i] ==
            doctest::Approx(float_logits.data()[i]).epsilon(1e-4).scale(1.0));
  }

  TEST_CASE("make_ternary leaves float layers and needs a variational one") {
    Rng rng(1);
    std::shared_ptr<nn::Module> model = nn::make_model("lenet5", rng);
    CHECK(error_of([&] { make_ternary(*model); }).find("no variational layer") !=
          std::string::npos);
    make_variational(*model, testing::keeping_float({"conv1"}), 1);
    const TernaryLayers ternary = make_ternary(*model);
    CHECK(ternary.size() == 3);
    CHECK(model->children().front().second->type() == "Conv2d");
  }

  TEST_CASE("ternary layers reject mismatched biases, kernels and groups") {
    const std::vector<int8_t> codes(6 * 25, 1);
    const PackedTernary w = pack_ternary(codes.data(), 6, 25, 0.5f);
    CHECK_THROWS_AS(TernaryLinear(w, Tensor::zeros({5})), Error);
    CHECK_NOTHROW(TernaryLinear(w, Tensor::zeros({6})));
    CHECK_THROWS_AS(TernaryConv2d(w, 2, 5), Error);  // 2 * 5 * 5 != 25
    Conv2dOptions grouped;
    grouped.groups = 2;
    CHECK_THROWS_AS(TernaryConv2d(w, 1, 5, grouped), Error);
    PackedTernary bad = w;
    bad.bytes[0] = 0b10;  // invalid code
    CHECK_THROWS_AS(TernaryLinear(bad, Tensor()), Error);
  }

  TEST_CASE("ternary checkpoint round trip keeps codes, levels, biases and outputs") {
    NoGradGuard no_grad;
    TempDir dir;
    const std::string path = dir.file("lenet.ternary.safetensors");
    const std::shared_ptr<nn::Module> model = saved_ternary_lenet(5, path, {{"note", "kept"}});

    const nn::SafetensorsContents raw = nn::load_safetensors(path);
    CHECK(raw.metadata.at("kind") == "ternary");
    CHECK(raw.metadata.at("model") == "lenet5");
    CHECK(raw.dtypes.at("fc1.codes") == nn::DType::kU8);
    CHECK(raw.tensors.at("fc1.codes").shape() == Shape{500, 200});
    CHECK(raw.tensors.at("conv1.codes").shape() == Shape{20, 7});  // 25 codes -> 7 bytes
    CHECK(raw.tensors.at("conv2.level").shape() == Shape{1});
    CHECK(raw.tensors.count("fc1.bias") == 1);
    CHECK(raw.tensors.count("fc1.weight") == 0);

    Rng rng(77);  // other float weights: everything must come from the file
    std::shared_ptr<nn::Module> loaded = nn::make_model("lenet5", rng);
    const nn::Metadata metadata = load_ternary_checkpoint(path, *loaded);
    CHECK(metadata.at("note") == "kept");
    const auto want = find_ternary(*model), got = find_ternary(*loaded);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(want[i].first);
      CHECK(got[i].first == want[i].first);
      CHECK(got[i].second->weights().bytes == want[i].second->weights().bytes);
      CHECK(got[i].second->weights().level == want[i].second->weights().level);
      CHECK(got[i].second->bias().to_vector() == want[i].second->bias().to_vector());
    }
    const Tensor x = images(4, 6);
    CHECK((*loaded)(x).to_vector() == (*model)(x).to_vector());
  }

  TEST_CASE("corrupt or mismatched ternary checkpoints are errors naming the file") {
    NoGradGuard no_grad;
    TempDir dir;
    const std::string good = dir.file("good.safetensors");
    saved_ternary_lenet(8, good);
    const nn::SafetensorsContents contents = nn::load_safetensors(good);

    // Writes `good` changed by `edit` and returns the error loading it into a float LeNet-5.
    const auto load_error = [&](const std::function<void(nn::SafetensorsContents&)>& edit,
                                const std::string& model_name = "lenet5") {
      nn::SafetensorsContents changed = contents;
      for (auto& [name, tensor] : changed.tensors) tensor = tensor.clone();
      edit(changed);
      for (auto it = changed.dtypes.begin(); it != changed.dtypes.end();)
        it = changed.tensors.count(it->first) ? std::next(it) : changed.dtypes.erase(it);
      const std::string path = dir.file("bad.safetensors");
      nn::save_safetensors(path, changed.tensors, changed.metadata, changed.dtypes);
      Rng rng(0);
      std::shared_ptr<nn::Module> fresh = nn::make_model(model_name, rng);
      const std::string message = error_of([&] { load_ternary_checkpoint(path, *fresh); });
      if (!message.empty()) {
        CHECK(message.find(path) != std::string::npos);
        CHECK(find_ternary(*fresh).empty());  // the model is unchanged
      }
      return message;
    };
    const auto contains = [](const std::string& message, const std::string& part) {
      CAPTURE(message);
      CAPTURE(part);
      CHECK(message.find(part) != std::string::npos);
    };
    CHECK(load_error([](auto&) {}).empty());  // unchanged, it loads: the edits below break it

    contains(load_error([](auto& c) { c.tensors.at("conv2.codes").data()[3] = 0b10; }), "conv2");
    contains(load_error([](auto& c) { c.tensors.at("conv1.codes").data()[6] = 0b01000000; }),
             "conv1");  // a padding code after column 24
    contains(load_error([](auto& c) {
               c.tensors["fc2.codes"] = Tensor::zeros({10, 124});
               c.dtypes["fc2.codes"] = nn::DType::kU8;
             }),
             "fc2.codes has shape [10,124]");
    contains(load_error([](auto& c) { c.dtypes["fc1.codes"] = nn::DType::kF32; }), "must be U8");
    contains(load_error([](auto& c) { c.tensors.erase("fc1.level"); }), "fc1.level");
    contains(load_error([](auto& c) { c.tensors.at("fc1.level").data()[0] = NAN; }), "fc1");
    contains(load_error([](auto& c) { c.tensors.erase("fc1.bias"); }), "fc1.bias");
    contains(load_error([](auto& c) { c.tensors["extra"] = Tensor::zeros({1}); }), "extra");
    contains(load_error([](auto& c) {
               c.tensors["fc9.codes"] = c.tensors.at("fc2.codes");
               c.dtypes["fc9.codes"] = nn::DType::kU8;
             }),
             "no layer fc9");
    contains(load_error([](auto& c) {
               c.tensors["pool1.codes"] = c.tensors.at("fc2.codes");
               c.dtypes["pool1.codes"] = nn::DType::kU8;
               c.tensors["pool1.level"] = c.tensors.at("fc2.level");
             }),
             "not a Linear or Conv2d");
    contains(load_error([](auto& c) { c.metadata["kind"] = "vnq"; }), "not a ternary checkpoint");
    contains(load_error([](auto&) {}, "lenet5-classic"), "lenet5-classic");
  }
}
