#include "files.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

#include "descent/error.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

void remove_created(const std::vector<fs::path>& dirs) {
  std::error_code ec;
  for (const fs::path& p : dirs) fs::remove(p, ec);
}

std::vector<fs::path> prepare_output_dir(const fs::path& dir, std::string_view flag) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw Error(
        fmt::format("{} {}: cannot create the directory: it exists and is not a directory", flag, dir.string()));
  // The directories this call creates, deepest first: a failed check removes them again, so a
  // refused run leaves nothing behind.
  std::vector<fs::path> created;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  auto undo = [&] { remove_created(created); };
  fs::create_directories(dir, ec);
  if (ec) {
    const std::string why = ec.message();
    undo();
    throw Error(fmt::format("{} {}: cannot create the directory: {}", flag, dir.string(), why));
  }
  const fs::path probe = dir / fmt::format(".descent-probe-{}", ::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) {
    const int e = errno;
    undo();
    throw Error(fmt::format("{} {}: not writable: {}", flag, dir.string(), std::strerror(e)));
  }
  std::fclose(f);
  fs::remove(probe, ec);
  return created;
}

fs::path temporary_name(const fs::path& path) {
  return path.parent_path() / fmt::format(".{}.tmp{}", path.filename().string(), ::getpid());
}

}  // namespace descent::cli
