// Checkpoints: model + optimiser + training state through a file, resumed bit-identically.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "nn/checkpoint.h"
#include "nn/safetensors.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "tests/dataset_files.h"
#include "tests/module_helpers.h"
#include "train/checkpoint.h"

using namespace trit;
using trit::testing::TempDir;
using trit::testing::ToyNet;

namespace {

// One training step on ToyNet: loss = sum((net(x) - x)^2) for a random x drawn from rng.
void train_step(ToyNet& net, optim::Optimizer& optimizer, Rng& rng) {
  const Tensor x = Tensor::normal({3}, 0.0f, 1.0f, rng);
  const Tensor diff = net.forward(x) - x;
  backward(diff * diff, Tensor::ones({3}));
  optimizer.step();
  optimizer.zero_grad();
}

std::vector<float> all_values(const nn::Module& module) {
  std::vector<float> out;
  for (const auto& [name, tensor] : module.state_dict())
    for (float v : tensor.to_vector()) out.push_back(v);
  return out;
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("a resumed run repeats an uninterrupted one bit for bit") {
    TempDir dir;
    const std::string path = dir.file("run.safetensors");
    ToyNet straight, first;
    trit::testing::randomize(straight, 9);
    first.load_state_dict(straight.state_dict());
    optim::Adam opt_straight(straight.parameters(), {});
    optim::Adam opt_first(first.parameters(), {});
    Rng rng_straight(5), rng_first(5);
    for (int i = 0; i < 6; ++i) train_step(straight, opt_straight, rng_straight);
    for (int i = 0; i < 4; ++i) train_step(first, opt_first, rng_first);
    train::save_checkpoint(path, first, opt_first,
                        {"{\"lr\":0.001}", 1, 4, rng_first.state(), {{"note", "half way"}}});

    ToyNet resumed;
    optim::Adam opt_resumed(resumed.parameters(), {});
    const nn::TrainingState state = train::load_checkpoint(path, resumed, opt_resumed);
    CHECK(state.config == "{\"lr\":0.001}");
    CHECK(state.epoch == 1);
    CHECK(state.step == 4);
    CHECK(state.extra == nn::Metadata{{"note", "half way"}});
    Rng rng_resumed(0);
    rng_resumed.set_state(state.rng);
    for (int i = 0; i < 2; ++i) train_step(resumed, opt_resumed, rng_resumed);
    CHECK(all_values(resumed) == all_values(straight));
  }

  TEST_CASE("a checkpoint for another model or optimiser is refused, leaving things as they were") {
    TempDir dir;
    const std::string path = dir.file("ckpt.safetensors");
    ToyNet saved;
    saved.set_name("toy-a");
    trit::testing::randomize(saved, 1);
    optim::SGD sgd(saved.parameters(), {0.1f, 0.9f, 0.0f, 0.0f, false});
    nn::save_checkpoint(path, saved, {});

    ToyNet other;
    other.set_name("toy-b");
    CHECK_THROWS_WITH_AS(nn::load_checkpoint(path, other),
                         ("load_checkpoint: " + path + ": it holds model toy-a, not toy-b").c_str(),
                         Error);
    other.set_name("toy-a");
    CHECK_THROWS_WITH_AS(train::load_checkpoint(path, other, sgd),
                         ("load_checkpoint: " + path +
                          ": it holds the model without optimiser state (e.g. from trit strip): a run "
                          "cannot resume from it")
                             .c_str(),
                         Error);
    optim::Adam adam(other.parameters(), {});
    train::save_checkpoint(path, saved, sgd, {});
    CHECK_THROWS_WITH_AS(
        train::load_checkpoint(path, other, adam),
        ("load_checkpoint: " + path + ": it holds sgd state, but the optimiser is adam").c_str(),
        Error);
    CHECK(all_values(other) == all_values(ToyNet()));  // untouched by the failed loads
    nn::load_checkpoint(path, other);         // model only: fine
    CHECK(all_values(other) == all_values(saved));
    CHECK_THROWS_WITH_AS(
        nn::save_checkpoint(path, saved, {"", 0, 0, {}, {{"epoch", "9"}}}),
        doctest::Contains("extra metadata key epoch is reserved"), Error);
  }

  TEST_CASE("a safetensors file that is not a model checkpoint is refused by name") {
    TempDir dir;
    const std::string path = dir.file("other.safetensors");
    ToyNet net;
    const nn::StateDict tensors = net.state_dict();
    nn::save_safetensors(path, tensors, {{"kind", "ternary"}});  // e.g. trit quantize's output
    CHECK_THROWS_WITH_AS(
        nn::load_checkpoint(path, net),
        ("load_checkpoint: " + path +
         ": a ternary checkpoint, not a model checkpoint (its metadata has no format)")
            .c_str(),
        Error);
    nn::save_safetensors(path, tensors, {});
    CHECK_THROWS_WITH_AS(nn::load_checkpoint(path, net),
                         doctest::Contains("the metadata has no format"), Error);
    nn::save_safetensors(path, tensors, {{"format", "keras"}});
    CHECK_THROWS_WITH_AS(nn::load_checkpoint(path, net),
                         doctest::Contains("unknown checkpoint format \"keras\""), Error);
  }

  TEST_CASE("a tensor stored as an integer type, or not finite, is refused by name") {
    TempDir dir;
    const std::string path = dir.file("net.safetensors");
    ToyNet saved, loaded;
    testing::randomize(saved, 1);
    testing::randomize(loaded, 2);
    const std::vector<float> before = all_values(loaded);
    nn::save_checkpoint(path, saved, {});
    const std::string bytes = testing::read_bytes(path);
    // Relabel head.bias's F32 bytes as I32 (same size, so the file stays well-formed): read
    // as integers they would load as garbage.
    const std::string f32 = "\"dtype\":\"F32\"";
    const size_t at = bytes.find(f32, bytes.find("\"head.bias\":"));
    REQUIRE(at != std::string::npos);
    std::string relabelled = bytes;
    relabelled.replace(at, f32.size(), "\"dtype\":\"I32\"");
    testing::write_bytes(path, {relabelled.begin(), relabelled.end()});
    CHECK_THROWS_WITH_AS(nn::load_checkpoint(path, loaded),
                         doctest::Contains("tensor head.bias is stored as I32"), Error);
    CHECK(all_values(loaded) == before);

    // a floating type the format converts is accepted: F64 holds the float32 values exactly
    nn::save_checkpoint(path, saved, {});
    nn::SafetensorsContents contents = nn::load_safetensors(path);
    nn::save_safetensors(path, contents.tensors, contents.metadata,
                         {{"head.bias", nn::DType::kF64}});
    CHECK(nn::load_safetensors(path).dtypes.at("head.bias") == nn::DType::kF64);
    nn::load_checkpoint(path, loaded);
    CHECK(all_values(loaded) == all_values(saved));

    // a NaN (a diverged or damaged checkpoint) is no trained weight
    testing::randomize(loaded, 2);
    contents.tensors.at("features.0.weight").data()[1] = std::nanf("");
    nn::save_safetensors(path, contents.tensors, contents.metadata);
    CHECK_THROWS_WITH_AS(nn::load_checkpoint(path, loaded),
                         doctest::Contains("tensor features.0.weight holds nan at element 1"),
                         Error);
    CHECK(all_values(loaded) == before);
  }

  TEST_CASE("the Rng state survives its text form exactly") {
    Rng rng(123);
    rng.next_u64();
    const std::string text = nn::rng_state_to_string(rng.state());
    CHECK(text.size() == 67);
    CHECK(nn::rng_state_from_string(text) == rng.state());
    CHECK_THROWS_AS(nn::rng_state_from_string("12:34"), Error);
    CHECK_THROWS_AS(nn::rng_state_from_string(std::string(67, 'g')), Error);
  }
}
