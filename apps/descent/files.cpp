#include "files.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "descent/error.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

void prepare_output_dir(const fs::path& dir, std::string_view flag) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw Error(
        fmt::format("{} {}: cannot create the directory: it exists and is not a directory", flag, dir.string()));
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("{} {}: cannot create the directory: {}", flag, dir.string(), ec.message()));
  const fs::path probe = dir / fmt::format(".descent-probe-{}", ::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) throw Error(fmt::format("{} {}: not writable: {}", flag, dir.string(), std::strerror(errno)));
  std::fclose(f);
  fs::remove(probe, ec);
}

fs::path temporary_name(const fs::path& path) {
  return path.parent_path() / fmt::format(".{}.tmp{}", path.filename().string(), ::getpid());
}

void write_atomic(const fs::path& path, std::string_view text) {
  const fs::path tmp = temporary_name(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error(fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int saved = errno;
  std::fclose(f);
  if (!written || !flushed) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: write failed: {}", path.string(), std::strerror(saved)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path.string(), std::strerror(e)));
  }
}

}  // namespace descent::cli
