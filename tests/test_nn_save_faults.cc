// Fault injection for saving: a process killed (SIGKILL) at random points of a save, and a
// save that runs out of space (a file-size limit: writes fail with EFBIG as on a full disk).
// Either way the previous checkpoint stays loadable, and no temporary file older than the
// next run survives that run's first save.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "autograd/error.h"
#include "autograd/random.h"
#include "nn/safetensors.h"
#include "tests/dataset_files.h"

using namespace trit;
using trit::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A LeNet-5-sized state (431,080 floats, 1.7 MB) whose values all equal `value`.
nn::StateDict state_of(float value) {
  return {{"weights", Tensor::full({431080}, value)}};
}

// The value every element of the file's tensor has; throws Error if the file does not load.
float saved_value(const std::string& path) {
  const Tensor t = nn::load_safetensors(path).tensors.at("weights");
  const std::vector<float> values = t.to_vector();
  for (float v : values) check(v == values[0], "saved_value", path + " mixes two saves");
  return values[0];
}

int temporaries(const std::string& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    count += entry.path().filename().string().find(".tmp-") != std::string::npos;
  return count;
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("a save killed at random points leaves the last checkpoint loadable") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    nn::save_safetensors(path, state_of(0.0f));
    Rng rng(7);
    int killed_mid_save = 0;
    for (int round = 1; round <= 12; ++round) {
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {  // saves value 1, 2, 3, ... until killed
        try {
          for (int value = 1;; ++value) nn::save_safetensors(path, state_of(float(value)));
        } catch (...) {
          ::_exit(1);  // never unwind into the test runner's copy in the child
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng.below(30000)));
      ::kill(child, SIGKILL);
      int status = 0;
      ::waitpid(child, &status, 0);
      CHECK(WIFSIGNALED(status));
      CAPTURE(round);
      CHECK_NOTHROW(saved_value(path));  // old or new, never half-written
      killed_mid_save += temporaries(dir.path()) > 0;
    }
    MESSAGE(killed_mid_save << " of 12 kills left a temporary file behind");
    // The next run removes temporaries older than itself. The children made these after this
    // process started, so age them as a later run would see them, then save once.
    for (const auto& entry : fs::directory_iterator(dir.path()))
      if (entry.path().filename().string().find(".tmp-") != std::string::npos)
        fs::last_write_time(entry.path(),
                            fs::file_time_type::clock::now() - std::chrono::hours(1));
    nn::save_safetensors(path, state_of(99.0f));
    CHECK(saved_value(path) == 99.0f);
    CHECK(temporaries(dir.path()) == 0);
  }

  TEST_CASE("a save that runs out of space fails with a clear error, the last one intact") {
    TempDir dir;
    const std::string path = dir.file("model.safetensors");
    nn::save_safetensors(path, state_of(1.0f));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
      const rlimit limit{100000, 100000};  // 100 kB: the 1.7 MB save cannot fit
      ::setrlimit(RLIMIT_FSIZE, &limit);
      try {
        nn::save_safetensors(path, state_of(2.0f));
      } catch (const Error& e) {
        const std::string message = e.what();
        ::_exit(message.find("save_safetensors: cannot write " + path) == 0 ? 3 : 4);
      }
      ::_exit(5);  // the save succeeded: the limit did not bite
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(saved_value(path) == 1.0f);
    CHECK(temporaries(dir.path()) == 0);  // the failed save removed its own
  }
}
