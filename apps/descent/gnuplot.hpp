#pragma once
// Plots through gnuplot (Debian gnuplot-nox), for any subcommand that draws curves.
// The .gp script is always written beside the data so a person can rerun or edit it
// (`cd DIR && gnuplot NAME.gp`); when gnuplot is not installed the run warns and goes on.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace descent::cli {

struct PlotLine {
  std::string title;    // legend entry
  std::string file;     // data file, relative to the output directory
  std::string columns;  // gnuplot `using` spec: "1:2", or from where_equals()
};

struct Plot {
  std::string name;  // output base name: NAME.png and NAME.svg
  std::string title, xlabel, ylabel;
  bool log_y = false;
  std::string key = "top right";  // gnuplot `set key` position
  std::string yrange;             // gnuplot range, e.g. "[0:1.02]"; empty: automatic
  std::vector<PlotLine> lines;
};

// A `using` spec that plots column y against column x only on rows whose column `key_column`
// (a text column) equals `key`: one curve per key from one long-format CSV file.
std::string where_equals(int x, int y, int key_column, std::string_view key);

// Writes DIR/SCRIPT (atomically), then runs gnuplot in DIR to make NAME.png and NAME.svg for
// every plot; each image is written under a temporary name and renamed when complete.
// CSV data files are read with ',' as separator and their first line skipped (a header).
// Returns false, after one warning line on stderr, when gnuplot is not installed, and false
// without a word when `draw` is off (only the script is written).
// Throws descent::Error when gnuplot is there but fails.
bool render_plots(const std::filesystem::path& dir, std::string_view script, const std::vector<Plot>& plots,
                  bool draw = true);

// The path of the gnuplot executable from PATH, or empty.
std::filesystem::path find_gnuplot();

// A gnuplot double-quoted string: the quote and the backslash escaped, a newline as \n.
std::string gp_string(std::string_view s);

// Runs gnuplot (which must be there: find_gnuplot) on DIR/SCRIPT from DIR, with the gnuplot
// variable `suffix` set to a temporary suffix: the script writes each of `outputs` as
// OUTPUT.suffix, and those are renamed into place once gnuplot succeeds. On failure the
// temporaries are removed and descent::Error names the script and gnuplot's last message line.
void run_gnuplot(const std::filesystem::path& gnuplot, const std::filesystem::path& dir, std::string_view script,
                 const std::vector<std::filesystem::path>& outputs);

}  // namespace descent::cli
