#pragma once
// Output directories of the CLI. Its files are written whole or not at all, through the
// library's one atomic writer (descent/atomic_file.hpp).
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

// The name render() uses for a file before it is renamed into place.
std::filesystem::path temporary_name(const std::filesystem::path& path);

}  // namespace descent::cli
