#pragma once
// Output files of the CLI. Every file is written whole or not at all: the text goes to a
// temporary file beside the target, then one rename() puts it in place, so a crash or an
// error never leaves a half-written output behind.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace descent::cli {

// Creates `dir` if needed and proves that files can be created in it (a probe file is written
// and removed). Throws descent::Error naming `flag` and the reason, before any work starts.
// Returns the directories it created, deepest first, for remove_created() when a later check
// of the same run fails.
std::vector<std::filesystem::path> prepare_output_dir(const std::filesystem::path& dir, std::string_view flag);
// Removes directories prepare_output_dir() created (each only if still empty).
void remove_created(const std::vector<std::filesystem::path>& dirs);

// Writes `text` to `path` through a temporary file and a rename. Throws descent::Error.
void write_atomic(const std::filesystem::path& path, std::string_view text);

// The name write_atomic and render() use for a file before it is renamed into place.
std::filesystem::path temporary_name(const std::filesystem::path& path);

}  // namespace descent::cli
