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

}  // namespace descent::cli
