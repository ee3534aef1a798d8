// safetensors: round trips, dtypes, interchange with NumPy, corrupt files, atomic saves.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "autograd/error.h"
#include "nn/safetensors.h"
#include "tests/dataset_files.h"

using namespace trit;
using nn::DType;
using trit::testing::TempDir;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A file with the given header text and `data_size` zero bytes of data.
void write_raw(const std::string& path, const std::string& header, size_t data_size) {
  std::string bytes(8, '\0');
  const uint64_t length = header.size();
  std::memcpy(bytes.data(), &length, 8);
  write_bytes(path, bytes + header + std::string(data_size, '\0'));
}

// Names of the entries in the folder, sorted.
std::vector<std::string> entries(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs a command and returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  return out;
}

// A Python interpreter with NumPy (Debian's, else "python3" on the PATH), or "" if none.
std::string python_with_numpy() {
  for (const char* python : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(python) + " -c 'import numpy' > /dev/null 2>&1").c_str()) == 0)
      return python;
  return "";
}

// Prints "name dtype shape v0 v1 ..." per tensor (values as exact hex floats), then
// "meta key value" lines, reading the file with nothing but json and numpy.
const char kPythonReader[] = R"(
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
types = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1',
         'U8': 'u1', 'BOOL': '?'}
meta = header.pop('__metadata__', {})
for name in sorted(header):
    e = header[name]
    begin, end = e['data_offsets']
    a = np.frombuffer(data[begin:end], dtype=types[e['dtype']]).reshape(e['shape'])
    print(name, e['dtype'], 'x'.join(map(str, a.shape)) or '-',
          *[float(v).hex() for v in a.ravel()])
for key in sorted(meta):
    print('meta', key, meta[key])
)";

// Writes a file with NumPy: an unpadded header, F16, I64 and U8 data, metadata.
const char kPythonWriter[] = R"(
import json, struct, sys
import numpy as np
arrays = {'half': np.array([1.0, -2.0, 65504.0, 2.0**-24, np.inf], dtype='<f2'),
          'count': np.array([[3, -7]], dtype='<i8'),
          'mask': np.array([0, 255, 9], dtype='u1')}
header, blobs, offset = {'__metadata__': {'source': 'numpy'}}, [], 0
for name, a in arrays.items():
    b = a.tobytes()
    header[name] = {'dtype': {'f': 'F16', 'i': 'I64', 'u': 'U8'}[a.dtype.kind],
                    'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
    blobs.append(b)
    offset += len(b)
text = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
)";

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("safetensors round trip keeps names, shapes, values and metadata") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    nn::StateDict tensors = {{"conv1.weight", Tensor::from({2, 1, 1, 2}, {1.5f, -2, 3e-8f, 7})},
                             {"scalar", Tensor::scalar(-0.25f)},
                             {"empty", Tensor::zeros({0, 3})}};
    const nn::Metadata metadata = {{"model", "lenet5"}, {"config", "{\"lr\": 0.001}"}};
    nn::save_safetensors(path, tensors, metadata);

    const std::string bytes = read_bytes(path);
    uint64_t length;
    std::memcpy(&length, bytes.data(), 8);
    CHECK(length % 8 == 0);  // data starts 8-byte aligned
    CHECK(bytes[8] == '{');
    CHECK(bytes.size() == 8 + length + 4 * (4 + 1 + 0));

    const nn::SafetensorsContents loaded = nn::load_safetensors(path);
    CHECK(loaded.metadata == metadata);
    REQUIRE(loaded.tensors.size() == tensors.size());
    for (const auto& entry : tensors) {
      const std::string& name = entry.first;  // a plain variable: clang 14 cannot capture bindings
      const Tensor& tensor = entry.second;
      CAPTURE(name);
      CHECK(loaded.tensors.at(name).shape() == tensor.shape());
      CHECK(loaded.tensors.at(name).to_vector() == tensor.to_vector());
      CHECK(loaded.dtypes.at(name) == DType::kF32);
    }
    CHECK(entries(dir) == std::vector<std::string>{"model.safetensors"});  // no temp left
  }

  TEST_CASE("integer, bool and F64 dtypes round trip; unrepresentable values are refused") {
    TempDir dir;
    const nn::StateDict tensors = {{"b", Tensor::from({4}, {0, 1, 1, 0})},
                                   {"i8", Tensor::from({2}, {-128, 127})},
                                   {"u8", Tensor::from({2}, {0, 255})},
                                   {"i16", Tensor::from({2}, {-32768, 32767})},
                                   {"i32", Tensor::from({3, 1}, {-2147483648.0f, 5, 16777216})},
                                   {"i64", Tensor::from({2}, {-9223372036854775808.0f, 1e18f})},
                                   {"f64", Tensor::from({2}, {1e-30f, -3.25f})}};
    const std::map<std::string, DType> dtypes = {
        {"b", DType::kBool},  {"i8", DType::kI8},   {"u8", DType::kU8},  {"i16", DType::kI16},
        {"i32", DType::kI32}, {"i64", DType::kI64}, {"f64", DType::kF64}};
    nn::save_safetensors(dir.file("t.safetensors"), tensors, {}, dtypes);
    const nn::SafetensorsContents loaded = nn::load_safetensors(dir.file("t.safetensors"));
    for (const auto& entry : dtypes) {
      const std::string& name = entry.first;
      const DType dtype = entry.second;
      CAPTURE(name);
      CHECK(loaded.dtypes.at(name) == dtype);
      CHECK(loaded.tensors.at(name).shape() == tensors.at(name).shape());
      CHECK(loaded.tensors.at(name).to_vector() == tensors.at(name).to_vector());
    }

    const auto refused = [&](DType dtype, float value) {
      CAPTURE(nn::dtype_name(dtype));
      CHECK_THROWS_AS(nn::save_safetensors(dir.file("bad.safetensors"),
                                           {{"x", Tensor::from({1}, {value})}}, {}, {{"x", dtype}}),
                      Error);
    };
    refused(DType::kI8, 128);
    refused(DType::kU8, -1);
    refused(DType::kI32, 0.5f);
    refused(DType::kBool, 2);
    refused(DType::kF16, 1);  // writing half precision is not supported
    CHECK(entries(dir) == std::vector<std::string>{"t.safetensors"});
  }

  TEST_CASE("NumPy reads trit's safetensors and trit reads NumPy's (F16, I64, U8)") {
    const std::string python = python_with_numpy();
    if (python.empty()) {
      MESSAGE("skipped: python3 with numpy is not available");
      return;
    }
    TempDir dir;
    write_bytes(dir.file("reader.py"), kPythonReader);
    write_bytes(dir.file("writer.py"), kPythonWriter);
    const nn::StateDict tensors = {{"w", Tensor::from({2, 2}, {0.1f, -3.5f, 1e-30f, 2})},
                                   {"n", Tensor::from({3}, {5, -6, 7})}};
    nn::save_safetensors(dir.file("a.safetensors"), tensors, {{"model", "toy"}},
                         {{"n", DType::kI64}});
    std::istringstream lines(
        run(python + " " + dir.file("reader.py") + " " + dir.file("a.safetensors")));
    std::string name, dtype, shape, value;
    const std::vector<std::array<std::string, 3>> expected = {{"n", "I64", "3"},
                                                              {"w", "F32", "2x2"}};
    for (const auto& [want_name, want_dtype, want_shape] : expected) {
      REQUIRE(static_cast<bool>(lines >> name >> dtype >> shape));
      CHECK(name == want_name);
      CHECK(dtype == want_dtype);
      CHECK(shape == want_shape);
      for (float want : tensors.at(name).to_vector()) {
        REQUIRE(static_cast<bool>(lines >> value));
        CHECK(std::strtod(value.c_str(), nullptr) == double(want));
      }
    }
    std::string meta, key;
    REQUIRE(static_cast<bool>(lines >> meta >> key >> value));
    CHECK(meta + " " + key + " " + value == "meta model toy");

    run(python + " " + dir.file("writer.py") + " " + dir.file("b.safetensors"));
    const nn::SafetensorsContents loaded = nn::load_safetensors(dir.file("b.safetensors"));
    CHECK(loaded.metadata == nn::Metadata{{"source", "numpy"}});
    CHECK(loaded.dtypes.at("half") == DType::kF16);
    CHECK(loaded.tensors.at("half").to_vector() ==
          std::vector<float>{1.0f, -2.0f, 65504.0f, 0x1p-24f, INFINITY});
    CHECK(loaded.tensors.at("count").shape() == Shape{1, 2});
    CHECK(loaded.tensors.at("count").to_vector() == std::vector<float>{3, -7});
    CHECK(loaded.tensors.at("mask").to_vector() == std::vector<float>{0, 255, 9});
  }

  TEST_CASE("BF16 values load by their bit patterns") {
    TempDir dir;
    const std::string path = dir.file("bf16.safetensors");
    std::string bytes(8, '\0');
    const std::string header = R"({"x":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}})";
    const uint64_t length = header.size();
    std::memcpy(bytes.data(), &length, 8);
    const uint16_t values[] = {0x3f80, 0xc040, 0x0000};  // 1, -3, 0
    write_bytes(path, bytes + header + std::string(reinterpret_cast<const char*>(values), 6));
    CHECK(nn::load_safetensors(path).tensors.at("x").to_vector() == std::vector<float>{1, -3, 0});
  }

  TEST_CASE("corrupt or truncated files are rejected with a message naming the file") {
    TempDir dir;
    const std::string path = dir.file("bad.safetensors");
    const auto rejects = [&](const std::string& what) {
      CAPTURE(what);
      try {
        nn::load_safetensors(path);
        FAIL("accepted a bad file");
      } catch (const Error& e) {
        const std::string message = e.what();
        CAPTURE(message);
        CHECK(message.find("load_safetensors: " + path) == 0);
        CHECK(message.find(what) != std::string::npos);
      }
    };
    const auto entry = [](const std::string& dtype, const std::string& shape, size_t begin,
                          size_t end) {
      return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
             std::to_string(begin) + "," + std::to_string(end) + "]}";
    };
    const std::string good = entry("F32", "[2]", 0, 8);

    write_bytes(path, "abc");
    rejects("the file has 3 bytes, too few");
    write_raw(path, "{\"a\":" + good + "}", 8);
    const std::string full = read_bytes(path);
    write_bytes(path, full.substr(0, 20));
    rejects("runs past the end of the 20-byte file");
    write_bytes(path, full.substr(0, full.size() - 3));  // truncated data
    rejects("are out of the data section's 5 bytes");
    write_raw(path, "{\"a\":" + good, 8);
    rejects("the header is not valid JSON: [json.exception.parse_error");
    write_raw(path, "[1, 2]", 0);
    rejects("the header does not start with '{'");
    write_raw(path, "{\"a\":" + good + ",\"a\":" + good + "}", 8);
    rejects("the header has the key \"a\" twice");
    write_raw(path, "{\"a\":" + entry("Q7", "[2]", 0, 8) + "}", 8);
    rejects("tensor \"a\": has unknown dtype \"Q7\"");
    write_raw(path, "{\"a\":" + entry("F32", "[2]", 0, 16) + "}", 8);
    rejects("data_offsets [0,16] are out of the data section's 8 bytes");
    write_raw(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,-8]}}", 8);
    rejects("data_offsets must be two non-negative integers");
    write_raw(path, "{\"a\":" + entry("F32", "[3]", 0, 8) + "}", 8);
    rejects("shape [3] of F32 needs 12 bytes but data_offsets span 8");
    write_raw(path, "{\"a\":" + entry("F32", "[2,-1]", 0, 8) + "}", 8);
    rejects("shape has an entry that is not a size: -1");
    write_raw(path, "{\"a\":" + entry("F32", "[4294967296,4294967296]", 0, 8) + "}", 8);
    rejects("shape [4294967296,4294967296] of F32 is too large");
    write_raw(path, "{\"a\":" + good + ",\"b\":" + entry("I32", "[1]", 4, 8) + "}", 8);
    rejects("tensors \"a\" and \"b\" overlap");
    write_raw(path, "{\"a\":" + good + ",\"b\":" + entry("U8", "[2]", 10, 12) + "}", 12);
    rejects("data bytes [8,10) belong to no tensor");
    write_raw(path, "{\"a\":" + good + "}", 12);
    rejects("data bytes [8,12) belong to no tensor");
    write_raw(path, "{\"__metadata__\":{\"epoch\":3}}", 0);
    rejects("__metadata__ value of \"epoch\" is not a string");
    write_raw(path, "{\"a\":[1]}", 0);
    rejects("tensor \"a\": is not a JSON object");
    std::remove(path.c_str());
    CHECK_THROWS_WITH_AS(
        nn::load_safetensors(path),
        ("load_safetensors: cannot open " + path + ": No such file or directory").c_str(), Error);
  }

  TEST_CASE("a failed save leaves the previous file intact and no temporary behind") {
    TempDir dir;
    const std::string path = dir.file("ckpt.safetensors");
    nn::save_safetensors(path, {{"x", Tensor::from({2}, {1, 2})}});
    const std::string before = read_bytes(path);
    CHECK_THROWS_AS(
        nn::save_safetensors(path, {{"x", Tensor::from({1}, {0.5f})}}, {}, {{"x", DType::kI8}}),
        Error);
    CHECK(read_bytes(path) == before);
    // A directory is not replaced, and a missing folder is named (atomic_file.h).
    std::filesystem::create_directory(dir.file("taken"));
    CHECK_THROWS_WITH_AS(nn::save_safetensors(dir.file("taken"), {}),
                         doctest::Contains("exists and is not a regular file"), Error);
    CHECK_THROWS_WITH_AS(nn::save_safetensors(dir.path() + "/missing/x.safetensors", {}),
                         doctest::Contains(
                             ("the folder " + dir.path() + "/missing does not exist").c_str()),
                         Error);
    CHECK(entries(dir) == std::vector<std::string>{"ckpt.safetensors", "taken"});
  }
}
