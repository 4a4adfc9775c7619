#pragma once
// Output directories of the CLI. Its files are written whole or not at all, through the
// library's one atomic writer (descent/atomic_file.hpp).
#include <filesystem>
#include <string>
#include <string_view>

namespace descent::cli {

// Creates `dir` if needed and proves that files can be created in it (a probe file is written
// and removed). Throws descent::Error naming `flag` and the reason, before any work starts.
void prepare_output_dir(const std::filesystem::path& dir, std::string_view flag);

// The name render() uses for a file before it is renamed into place.
std::filesystem::path temporary_name(const std::filesystem::path& path);

}  // namespace descent::cli
