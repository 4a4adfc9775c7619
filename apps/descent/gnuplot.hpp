#pragma once
// Plots through gnuplot (Debian gnuplot-nox), for any subcommand that draws curves.
// The .gp script is always written beside the data so a person can rerun or edit it
// (`cd DIR && gnuplot NAME.gp`); when gnuplot is not installed the run warns and goes on.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace descent::cli {

// How one optimizer's curve or path looks in every picture: a colour, a dash pattern and a
// marker of its own, so that curves lying on top of each other (SGD under SGDM on iris) still
// show as two.
struct SeriesStyle {
  std::string_view colour;  // "#rrggbb"
  std::string_view dash;    // gnuplot dashtype: solid or (dash, gap, ...)
  int point;                // gnuplot pointtype
};

// The styles of these optimizers' curves, all different for up to 8 optimizers: the tutorial's
// five (sgd, sgdm, adagrad, rmsprop, adam) keep theirs in every picture, the others take the
// styles left, in order.
std::vector<SeriesStyle> series_styles(const std::vector<std::string>& optimizers);

// `lc rgb "#..." dt ... lw LW pt ...`: the style as gnuplot plot-item options.
std::string style_spec(const SeriesStyle& style, double lw);

struct PlotLine {
  std::string title;    // legend entry
  std::string file;     // data file, relative to the output directory
  std::string columns;  // gnuplot `using` spec: "1:2", or from where_equals()
  SeriesStyle style;
  std::string marks;  // `using` spec of the points that get a marker (a few, spread); empty: none
};

struct Plot {
  std::string name;  // output base name: NAME.png and NAME.svg
  std::string title, xlabel, ylabel;
  bool log_y = false;
  // gnuplot `set key` position: outside the data, so that no curve runs under the legend.
  std::string key = "outside right top";
  std::string yrange;  // gnuplot range, e.g. "[0:1.02]"; empty: automatic
  std::vector<PlotLine> lines;
};

// A `using` spec that plots column y against column x only on rows whose column `key_column`
// (a text column) equals `key`: one curve per key from one long-format CSV file. With `every`,
// only the rows whose x (an integer) is `offset` modulo `every`: markers spread along the curve.
std::string where_equals(int x, int y, int key_column, std::string_view key, int every = 0, int offset = 0);

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
