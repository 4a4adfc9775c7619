#pragma once
// Writing a file so that it is either the old file or the complete new one, never half of
// either: a hidden temporary in the same directory, written, fsync'd, renamed over the target,
// and the directory fsync'd so the rename itself survives a power cut.
#include <filesystem>
#include <string_view>

namespace descent {

// Throws Error naming the file and the system's reason (no space, no permission, ...); the
// temporary is removed and the previous file at `path`, if any, is left as it was.
void write_atomically(const std::filesystem::path& path, std::string_view bytes);

namespace detail {
// Called after the temporary is written and fsync'd, just before the rename; tests use it to
// kill the writer at the worst moment. Null in normal runs.
extern void (*before_rename)(const std::filesystem::path& temporary);
}  // namespace detail

}  // namespace descent
