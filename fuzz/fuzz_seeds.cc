// Writes the seed corpus of the harnesses: fuzz_seeds OUT makes OUT/<harness>/<seed>, a few
// small valid inputs each, made with the library's own writers where it has them (so the
// seeds follow the formats as trit writes them). Nothing binary is kept in git; fuzz/run.sh
// runs this before fuzzing.
//
//   idx                 images + labels IDX (plain; gzip; one image of 28x28 as MNIST)
//   cifar10             a binary batch of 2 records
//   image               PNG (grey, RGB, RGBA), JPEG, BMP, TGA, HDR written by stb_image_write
//   safetensors         every dtype, metadata, an empty file of tensors
//   checkpoint          densenet-tiny: model only, with Adam state, with SGD state
//   vnq_checkpoint      densenet-tiny, variational: default settings, keep_float + log a
//   ternary_checkpoint  densenet-tiny quantised from the VNQ model, with trit quantize's metadata
//   ptq_checkpoint      densenet-tiny with a PTQ record
//   metadata_json       a TrainConfig, VNQ settings, a PTQ record, an Rng state, a count
#include <stb_image_write.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "autograd/random.h"
#include "fuzz/fuzz_common.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ptq/checkpoint.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/model.h"
#include "quant/vnq/to_ternary.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/recipe.h"

namespace fs = std::filesystem;
using namespace trit;

namespace {

using Bytes = std::vector<uint8_t>;

fs::path g_out;

void write(const std::string& harness, const std::string& name, const Bytes& bytes) {
  fs::create_directories(g_out / harness);
  fuzz::write_file(g_out / harness / name, bytes.data(), bytes.size());
}

void write_text(const std::string& harness, const std::string& name, const std::string& text) {
  write(harness, name, Bytes(text.begin(), text.end()));
}

Bytes read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes gzip(const Bytes& bytes) { return fuzz::gzip(bytes.data(), bytes.size()); }

// An unsigned-byte IDX file: magic 00 00 08 rank, big-endian sizes, then the bytes.
Bytes idx(const std::vector<uint32_t>& dims) {
  Bytes out = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  size_t count = 1;
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(d >> s));
    count *= d;
  }
  for (size_t i = 0; i < count; ++i) out.push_back(static_cast<uint8_t>(i % 10));
  return out;
}

void idx_seeds() {
  const Bytes images = idx({2, 3, 3}), labels = idx({2});
  write("idx", "pair.idx", concat(images, labels));
  write("idx", "pair.idx.gz", concat(gzip(images), gzip(labels)));
  write("idx", "mnist-one.idx", concat(idx({1, 28, 28}), idx({1})));
}

void cifar10_seeds() {
  Bytes batch;
  for (int record = 0; record < 2; ++record) {
    batch.push_back(static_cast<uint8_t>(record * 7));  // labels 0 and 7
    for (int i = 0; i < 3 * 32 * 32; ++i) batch.push_back(static_cast<uint8_t>(i * (record + 1)));
  }
  write("cifar10", "two-records.bin", batch);
}

void append_to(void* context, void* data, int size) {
  Bytes& out = *static_cast<Bytes*>(context);
  out.insert(out.end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

void image_seeds() {
  const int width = 5, height = 4;
  const auto pixels = [&](int channels) {
    Bytes p;
    for (int i = 0; i < width * height * channels; ++i) p.push_back(static_cast<uint8_t>(i * 13));
    return p;
  };
  for (int channels : {1, 3, 4}) {
    Bytes png;
    const Bytes p = pixels(channels);
    stbi_write_png_to_func(append_to, &png, width, height, channels, p.data(), width * channels);
    write("image", "c" + std::to_string(channels) + ".png", png);
  }
  const Bytes rgb = pixels(3);
  Bytes jpg, bmp, tga, hdr;
  stbi_write_jpg_to_func(append_to, &jpg, width, height, 3, rgb.data(), 90);
  stbi_write_bmp_to_func(append_to, &bmp, width, height, 3, rgb.data());
  stbi_write_tga_to_func(append_to, &tga, width, height, 3, rgb.data());
  std::vector<float> hdr_pixels(rgb.begin(), rgb.end());
  stbi_write_hdr_to_func(append_to, &hdr, width, height, 3, hdr_pixels.data());
  write("image", "c3.jpg", jpg);
  write("image", "c3.bmp", bmp);
  write("image", "c3.tga", tga);
  write("image", "c3.hdr", hdr);
}

// A safetensors file by hand (save_safetensors cannot write F16 or BF16).
Bytes safetensors_bytes(const nlohmann::json& header, const Bytes& data) {
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  Bytes out(8, 0);
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void safetensors_seeds() {
  const fs::path tmp = fuzz::temp_dir() / "seed.safetensors";
  nn::StateDict tensors;
  std::map<std::string, nn::DType> dtypes;
  const std::vector<std::pair<std::string, nn::DType>> kinds = {
      {"f64", nn::DType::kF64}, {"f32", nn::DType::kF32}, {"i64", nn::DType::kI64},
      {"i32", nn::DType::kI32}, {"i16", nn::DType::kI16}, {"i8", nn::DType::kI8},
      {"u8", nn::DType::kU8},   {"bool", nn::DType::kBool}};
  for (const auto& [name, dtype] : kinds) {
    tensors[name] = Tensor::from({2, 2}, {0, 1, 1, dtype == nn::DType::kBool ? 0.0f : 3.0f});
    dtypes[name] = dtype;
  }
  tensors["scalar"] = Tensor::scalar(2.5f);
  tensors["empty"] = Tensor::zeros({0, 3});
  nn::save_safetensors(tmp.string(), tensors, {{"note", "seed"}, {"format", "x"}}, dtypes);
  write("safetensors", "all-dtypes.safetensors", read(tmp));
  nn::save_safetensors(tmp.string(), {});
  write("safetensors", "no-tensors.safetensors", read(tmp));
  // F16 1.0, -2.0; BF16 1.0, +inf
  write("safetensors", "half.safetensors",
        safetensors_bytes({{"h", {{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 4}}}},
                           {"b", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {4, 8}}}}},
                          {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x80, 0x7f}));
}

train::TrainConfig float_config(const std::string& optimizer) {
  train::TrainConfig config;  // as fuzz_checkpoint.cc's runs
  config.model = "densenet-tiny";
  config.optimizer = optimizer;
  if (optimizer == "sgd") {
    config.lr = 0.1f;
    config.schedule = "cosine";
  }
  return config;
}

void checkpoint_seeds() {
  const fs::path tmp = fuzz::temp_dir() / "seed.safetensors";
  for (const std::string kind : {"", "adam", "sgd"}) {
    Rng rng(1);
    const std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
    const train::TrainConfig config = float_config(kind.empty() ? "adam" : kind);
    std::unique_ptr<optim::Optimizer> optimizer;
    if (!kind.empty()) {
      optimizer = train::make_optimizer(config, {{model->parameters(), 1.0f, {}}});
      Shape batch = nn::model_spec("densenet-tiny").input_shape;
      batch.insert(batch.begin(), 2);
      const Tensor out = model->forward(Tensor::normal(batch, 0.0f, 1.0f, rng));
      backward(out, Tensor::ones(out.shape()));
      optimizer->step();
      optimizer->zero_grad();
    }
    nn::TrainingState state;
    state.config = config.to_json().dump();
    state.epoch = 1;
    state.step = 1;
    state.rng = Rng(config.seed).state();
    if (optimizer) {
      train::save_checkpoint(tmp.string(), *model, *optimizer, state);
    } else {
      nn::save_checkpoint(tmp.string(), *model, state);
    }
    write("checkpoint", (kind.empty() ? "model-only" : kind) + ".safetensors", read(tmp));
  }
}

// A densenet-tiny made variational as `record` says, saved as `trit vnq` saves it; returns it.
std::shared_ptr<nn::Module> vnq_seed(const quant::VnqRecord& record, const std::string& name) {
  const fs::path tmp = fuzz::temp_dir() / "seed.safetensors";
  Rng rng(2);
  const std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
  quant::make_variational(*model, record.config, 1);
  nn::TrainingState state;
  train::TrainConfig config;
  config.model = "densenet-tiny";
  config.dataset = "cifar10";
  state.config = config.to_json().dump();
  state.extra = quant::vnq_metadata(record);
  nn::save_checkpoint(tmp.string(), *model, state);
  write("vnq_checkpoint", name, read(tmp));
  return model;
}

void quant_seeds() {
  const fs::path tmp = fuzz::temp_dir() / "seed.safetensors";
  quant::VnqRecord record;
  const std::shared_ptr<nn::Module> model = vnq_seed(record, "default.safetensors");
  record.config.keep_float = {"features.conv0"};
  record.config.level_param = quant::VnqConfig::LevelParam::kLog;
  quant::set_level_init(record.config, "0.65", "seed");
  record.original_error = 0.1;
  vnq_seed(record, "keep-float.safetensors");

  quant::make_ternary(*model);
  quant::save_ternary_checkpoint(tmp.string(), *model,
                                 {{"vnq", quant::vnq_metadata(record).at("vnq")},
                                  {"log_threshold", "2.0"},
                                  {quant::kBnReestimatedKey, "1000"}});
  write("ternary_checkpoint", "densenet-tiny.safetensors", read(tmp));
  quant::save_ternary_checkpoint(tmp.string(), *model);
  write("ternary_checkpoint", "plain.safetensors", read(tmp));
}

nlohmann::json ptq_record() {
  quant::NetworkPtqReport report;
  for (const char* name : {"features.conv0", "classifier"}) {
    quant::LayerPtqReport layer;
    layer.name = name;
    layer.type = std::string(name) == "classifier" ? "Linear" : "Conv2d";
    layer.n0 = 27;
    layer.n1 = 8;
    layer.quantised = layer.type == "Linear";
    layer.rows = 100;
    layer.scale = 0.5;
    report.layers.push_back(layer);
  }
  return {{"model", "densenet-tiny"}, {"method", "gpfq"},          {"levels", 3},
          {"bits", 2},                {"float_test_error", 0.25},  {"test_error", 0.3},
          {"layers", quant::layers_json(report)}};
}

void ptq_seeds() {
  const fs::path tmp = fuzz::temp_dir() / "seed.safetensors";
  Rng rng(3);
  const std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
  nn::TrainingState state;
  state.config = ptq_record().dump();
  state.extra = quant::ptq_metadata(ptq_record());
  nn::save_checkpoint(tmp.string(), *model, state);
  write("ptq_checkpoint", "gpfq.safetensors", read(tmp));
}

void metadata_json_seeds() {
  write_text("metadata_json", "train-config.json", float_config("sgd").to_json().dump());
  quant::VnqRecord record;
  record.config.keep_float = {"conv1"};
  write_text("metadata_json", "vnq-settings.json", quant::vnq_metadata(record).at("vnq"));
  write_text("metadata_json", "ptq-record.json", ptq_record().dump());
  write_text("metadata_json", "rng.txt", nn::rng_state_to_string(Rng(7).state()));
  write_text("metadata_json", "count.txt", "60000");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR\n");
    return 2;
  }
  g_out = argv[1];
  try {
    idx_seeds();
    cifar10_seeds();
    image_seeds();
    safetensors_seeds();
    checkpoint_seeds();
    quant_seeds();
    ptq_seeds();
    metadata_json_seeds();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
