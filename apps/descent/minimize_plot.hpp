#pragma once
// Files that `descent minimize --out DIR` writes: the trajectories as CSV and, for 2-D
// functions, a contour plot with every optimizer's path (PNG, SVG, and an animated GIF on
// request) drawn by gnuplot (gnuplot.hpp runs it). Every file is written to a temporary name and
// renamed into place (files.hpp).
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
// DIR/FUNCTION.png and .svg (and .gif with animate); f must be 2-D. Returns the files written.
std::vector<std::filesystem::path> plot_paths(const std::filesystem::path& dir, const TestFunction& f,
                                              const std::vector<PlotRun>& runs, bool animate);

}  // namespace descent::cli
