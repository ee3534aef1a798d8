#include "nn/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "autograd/error.h"

namespace trit::nn {
namespace fs = std::filesystem;
namespace {

// When this process started (to the file system clock's precision): temporary files older
// than this were left by an earlier process.
const fs::file_time_type kProcessStart = fs::file_time_type::clock::now();

constexpr int kMaxLinks = 40;  // as the kernel's ELOOP limit
constexpr char kTempSuffix[] = ".tmp-";
constexpr size_t kTempRandomChars = 6;  // mkstemp's XXXXXX

std::string temp_prefix(const fs::path& target) {
  return "." + target.filename().string() + kTempSuffix;
}

// Removes ".NAME.tmp-XXXXXX" files beside `target` that predate this process: the leftovers
// of a save that was killed between mkstemp and rename. Failures are ignored (best effort).
void remove_stale_temporaries(const fs::path& target) {
  const std::string prefix = temp_prefix(target);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() != prefix.size() + kTempRandomChars || name.compare(0, prefix.size(), prefix))
      continue;
    std::error_code ignored;
    if (it->is_regular_file(ignored) && it->last_write_time(ignored) < kProcessStart)
      fs::remove(it->path(), ignored);
  }
}

}  // namespace

std::string resolve_save_target(const std::string& path, const std::string& what) {
  const std::string where = what + ": " + path;
  check(!path.empty(), what, "the path is empty");
  fs::path target(path);
  std::error_code error;
  for (int links = 0; fs::is_symlink(fs::symlink_status(target, error)); ++links) {
    check(links < kMaxLinks, where, "too many levels of symbolic links");
    const fs::path next = fs::read_symlink(target, error);
    check(!error, where, "cannot read the symbolic link " + target.string());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  const fs::file_status status = fs::status(target, error);
  const std::string shown = target.string() == path ? "" : " (the link's target " +
                                                                target.string() + ")";
  check(!fs::exists(status) || fs::is_regular_file(status), where,
        "exists and is not a regular file" + shown +
            " (a device, FIFO or directory); refusing to replace it");
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  check(fs::is_directory(dir, error), where, "the folder " + dir.string() + " does not exist");
  check(::access(dir.c_str(), W_OK) == 0, where,
        "cannot write in the folder " + dir.string() + ": " + std::strerror(errno));
  return target.string();
}

void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::string& what) {
  const fs::path target(resolve_save_target(path, what));
  remove_stale_temporaries(target);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string pattern =
      (dir / (temp_prefix(target) + std::string(kTempRandomChars, 'X'))).string();
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  const int fd = ::mkstemp(temp.data());
  check(fd >= 0, what,
        "cannot create a temporary file in " + dir.string() + " to write " + path + ": " +
            std::strerror(errno));
  bool open = true;
  const auto fail = [&](const std::string& step) {
    const std::string reason = std::strerror(errno);
    if (open) ::close(fd);
    ::unlink(temp.data());
    throw Error(what + ": " + step + " " + path + ": " + reason);
  };
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) fail("cannot flush");
  open = false;
  if (::close(fd) != 0) fail("cannot close");
  if (::rename(temp.data(), target.c_str()) != 0) fail("cannot rename the temporary file to");
}

}  // namespace trit::nn
