#include "descent/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "descent/error.hpp"

namespace descent {

namespace detail {
void (*before_rename)(const std::filesystem::path& temporary) = nullptr;
}

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int err) {
  throw Error("cannot write '" + path.string() + "': " + what + ": " + std::strerror(err));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void write_atomically(const std::filesystem::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  // Hidden, and named after the target, so a leftover from a crash is not mistaken for output.
  std::string name = ".";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "." + string
  name += path.filename().string();
  name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::filesystem::path temp = dir / name;
  Fd f;
  f.fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (f.fd < 0) fail(path, "cannot create a temporary file in '" + dir.string() + "'", errno);
  auto abandon = [&](const std::string& what, int err) {
    ::close(f.fd);
    f.fd = -1;
    ::unlink(temp.c_str());
    fail(path, what, err);
  };
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      abandon("write failed after " + std::to_string(done) + " of " + std::to_string(bytes.size()) + " bytes",
              n < 0 ? errno : EIO);
    done += std::size_t(n);
  }
  if (::fsync(f.fd) != 0) abandon("fsync failed", errno);
  const int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "close failed", err);
  }
  if (detail::before_rename) detail::before_rename(temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "rename failed", err);
  }
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // Some file systems cannot fsync a directory (EINVAL); the file itself is complete by now.
  if (d.fd < 0 || (::fsync(d.fd) != 0 && errno != EINVAL)) fail(path, "fsync of '" + dir.string() + "' failed", errno);
}

}  // namespace descent
