#include "resident.hpp"

#include <fstream>
#include <string>

namespace descent::cli {
namespace {

// A "Name:   1234 kB" line of /proc/self/status (proc(5)), in bytes.
std::optional<std::size_t> status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, field.size() + 1, field + ":") == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  return std::nullopt;
}

}  // namespace

bool reset_peak_resident() {
  std::ofstream out("/proc/self/clear_refs");  // "5" resets VmHWM to VmRSS (Linux 4.0 and later)
  out << "5";
  out.flush();
  return bool(out);
}

std::optional<std::size_t> resident_bytes() { return status_bytes("VmRSS"); }
std::optional<std::size_t> peak_resident_bytes() { return status_bytes("VmHWM"); }

}  // namespace descent::cli
