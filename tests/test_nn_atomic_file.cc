// Saving a file atomically: through symbolic links to their target, never over a device, FIFO
// or folder, and without the temporary files a killed save leaves behind.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "autograd/error.h"
#include "nn/atomic_file.h"
#include "tests/dataset_files.h"

using namespace trit;
using trit::testing::TempDir;
namespace fs = std::filesystem;

namespace {

int count_temporaries(const std::string& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    count += entry.path().filename().string().find(".tmp-") != std::string::npos;
  return count;
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("a save through a symbolic link updates its target and keeps the link") {
    TempDir dir;
    const std::string target = dir.file("runs/model.safetensors");
    const std::string link = dir.file("latest.safetensors");
    nn::write_file_atomically(target, "old", "test");
    fs::create_symlink("runs/model.safetensors", link);  // relative: resolved beside the link
    CHECK(nn::resolve_save_target(link, "test") == dir.path() + "/runs/model.safetensors");
    nn::write_file_atomically(link, "new", "test");
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    CHECK(testing::read_bytes(target) == "new");
    CHECK(count_temporaries(dir.path()) + count_temporaries(dir.path() + "/runs") == 0);

    // a dangling link: the save creates its target
    const std::string dangling = dir.file("next.safetensors");
    fs::create_symlink(dir.path() + "/runs/next.safetensors", dangling);
    nn::write_file_atomically(dangling, "made", "test");
    CHECK(fs::is_symlink(fs::symlink_status(dangling)));
    CHECK(testing::read_bytes(dir.path() + "/runs/next.safetensors") == "made");

    // links in a loop
    fs::create_symlink("b", dir.file("a"));
    fs::create_symlink("a", dir.file("b"));
    CHECK_THROWS_WITH_AS(nn::write_file_atomically(dir.file("a"), "x", "test"),
                         doctest::Contains("too many levels of symbolic links"), Error);
  }

  TEST_CASE("a path that is not a regular file is refused, and left as it was") {
    TempDir dir;
    const std::string fifo = dir.file("pipe");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK_THROWS_WITH_AS(nn::write_file_atomically(fifo, "x", "save"),
                         doctest::Contains("exists and is not a regular file"), Error);
    CHECK(fs::is_fifo(fifo));
    dir.file("folder/inner");  // creates the folder
    CHECK_THROWS_WITH_AS(nn::write_file_atomically(dir.path() + "/folder", "x", "save"),
                         doctest::Contains("is not a regular file"), Error);
    CHECK(fs::is_directory(dir.path() + "/folder"));
    // a link to a device: named with the link's target
    const std::string device_link = dir.file("null-link");
    fs::create_symlink("/dev/null", device_link);
    CHECK_THROWS_WITH_AS(nn::resolve_save_target(device_link, "--save"),
                         doctest::Contains("(the link's target /dev/null)"), Error);
    CHECK(fs::is_character_file("/dev/null"));
    CHECK_THROWS_WITH_AS(nn::resolve_save_target(dir.path() + "/no/such/folder/x", "--save"),
                         doctest::Contains("does not exist"), Error);
    CHECK_THROWS_AS(nn::resolve_save_target("", "--save"), Error);
    CHECK(count_temporaries(dir.path()) == 0);
  }

  TEST_CASE("temporary files of a killed save are removed by the next save, fresh ones kept") {
    TempDir dir;
    const std::string target = dir.file("model.safetensors");
    const std::string stale = dir.file(".model.safetensors.tmp-Ab12Cd");
    const std::string fresh = dir.file(".model.safetensors.tmp-Ef34Gh");  // another live save
    const std::string other = dir.file(".other.safetensors.tmp-Ij56Kl");  // another target
    for (const std::string& path : {stale, fresh, other}) testing::write_bytes(path, {1, 2, 3});
    const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
    fs::last_write_time(stale, hour_ago);
    fs::last_write_time(other, hour_ago);
    nn::write_file_atomically(target, "saved", "test");
    CHECK(testing::read_bytes(target) == "saved");
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(fresh));
    CHECK(fs::exists(other));
  }
}
