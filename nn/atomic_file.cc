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

void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::string& what) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  const std::string pattern = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
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
  if (::rename(temp.data(), path.c_str()) != 0) fail("cannot rename the temporary file to");
}

}  // namespace trit::nn
