#pragma once
// Files that `descent minimize --out DIR` writes: the trajectories as CSV and, for 2-D
// functions, a contour plot with every optimizer's path (PNG, SVG, and an animated GIF on
// request) drawn by gnuplot (gnuplot.hpp runs it) from FUNCTION.gp, which stays beside them so
// that a reader can edit and rerun it. Every file is written to a temporary name and renamed
// into place (files.hpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "descent/functions.hpp"

namespace descent::cli {

struct PlotRun {
  std::string optimizer;
  std::string label;                        // legend text, e.g. "adam  lr 0.1"
  std::vector<std::vector<double>> points;  // the start point first
  std::vector<double> values;
};

// Throws descent::Error when gnuplot cannot be run (with the package to install).
void check_gnuplot();

// DIR/FUNCTION_OPTIMIZER.csv: step, x1..xn, f.
void write_trajectories(const std::filesystem::path& dir, const TestFunction& f, const std::vector<PlotRun>& runs);
// What the picture's title says about the runs, and whether to animate them.
struct PathsPicture {
  std::string convention;  // the runs' convention
  std::int64_t steps = 0;  // the steps each run was given (a run that diverged says so in the key)
  bool animate = false;    // also FUNCTION.gif
};

// DIR/FUNCTION.gp, and from it FUNCTION.png and .svg (and .gif); f must be 2-D. Returns the files
// written.
std::vector<std::filesystem::path> plot_paths(const std::filesystem::path& dir, const TestFunction& f,
                                              const std::vector<PlotRun>& runs, const PathsPicture& picture);

}  // namespace descent::cli
