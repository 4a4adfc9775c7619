// Trajectory CSVs and gnuplot pictures for `descent minimize --out DIR` (minimize_plot.hpp).
#include "minimize_plot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "descent/atomic_file.hpp"
#include "descent/error.hpp"
#include "files.hpp"
#include "gnuplot.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

namespace {

std::string num(double x) { return fmt::format("{:.17g}", x); }

// A path may leave for infinity (a diverging run); past 1e12 gnuplot's clipping misbehaves and
// the picture shows nothing more anyway.
constexpr std::size_t max_drawn = 4000;  // points per path in a picture
constexpr int grid_size = 240;           // the background's samples per axis

std::size_t drawable(const PlotRun& r) {
  std::size_t n = 0;
  while (n < r.points.size() && std::abs(r.points[n][0]) < 1e12 && std::abs(r.points[n][1]) < 1e12) ++n;
  return n;
}

// The background: log10(1 + f − f*), so that valleys and plateaus both show, as a matrix (a
// row per y, a column per x; gx and gy map indices to coordinates). Four digits are more than
// the shading and the contour lines resolve, and keep the kept script small.
std::string grid_block(const TestFunction& f, int n) {
  const auto [xlo, xhi, ylo, yhi] = f.window();
  std::string gp = "$grid << EOD\n";
  std::vector<double> p(2);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      p[0] = xlo + (xhi - xlo) * (j + 0.5) / n;
      p[1] = ylo + (yhi - ylo) * (i + 0.5) / n;
      gp += fmt::format("{}{:.4g}", j ? " " : "", std::log10(1 + std::max(0.0, f.evaluate(p) - f.minimum())));
    }
    gp += '\n';
  }
  gp += "EOD\n";
  gp += fmt::format("gx(j) = {} + {} * (j + 0.5) / {}\ngy(i) = {} + {} * (i + 0.5) / {}\n", num(xlo), num(xhi - xlo), n,
                    num(ylo), num(yhi - ylo), n);
  return gp;
}

// $path0, $path1, ...: long runs drawn with one point every `stride` steps (and their last
// point), the same stride for every path so that the animation's frames stay in step; the CSVs
// keep them all. `shown` gets the points in each path's datablock.
std::string path_blocks(const std::vector<PlotRun>& runs, std::size_t stride, std::vector<std::size_t>& shown) {
  std::string gp;
  shown.assign(runs.size(), 0);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    gp += fmt::format("$path{} << EOD\n", k);
    const std::size_t n = drawable(runs[k]);
    auto emit = [&](std::size_t s) {
      gp += num(runs[k].points[s][0]) + ' ' + num(runs[k].points[s][1]) + '\n';
      ++shown[k];
    };
    for (std::size_t s = 0; s < n; s += stride) emit(s);
    if (n > 0 && (n - 1) % stride != 0) emit(n - 1);
    gp += "EOD\n";
  }
  return gp;
}

std::string points_block(const char* name, const std::vector<std::vector<double>>& points) {
  std::string gp = fmt::format("${} << EOD\n", name);
  for (const auto& m : points) gp += num(m[0]) + ' ' + num(m[1]) + '\n';
  return gp + "EOD\n";
}

std::string picture_title(const TestFunction& f, const std::vector<PlotRun>& runs, const PathsPicture& picture) {
  const double x0 = runs.empty() ? 0.0 : runs[0].points[0][0], y0 = runs.empty() ? 0.0 : runs[0].points[0][1];
  return fmt::format("{}, {} convention, {} steps from ({:g}, {:g})", f.name(), picture.convention, picture.steps, x0,
                     y0);
}

// The plot command. In the animation (frame = true) every path stops at the gnuplot variable
// `upto`, an index into the datablocks.
std::string plot_command(const std::vector<PlotRun>& runs, const std::vector<std::size_t>& shown, bool saddles,
                         bool background, bool frame) {
  const auto styles = series_styles([&] {
    std::vector<std::string> names;
    for (const auto& r : runs) names.push_back(r.optimizer);
    return names;
  }());
  auto last = [&](std::size_t n) {  // the index of the last point drawn
    return frame ? fmt::format("(upto < {0} ? upto : {0})", n - 1) : std::to_string(n - 1);
  };
  std::string cmd = fmt::format("plot {}$contours with lines lc rgb '#8fa9c4' lw 0.6 notitle",
                                background ? "$grid matrix using (gx($1)):(gy($2)):3 with image notitle, " : "");
  // Saddle points under the paths: the paths that stall there must stay visible.
  if (saddles) cmd += ", $saddles with points pt 2 ps 2.5 lw 2.5 lc rgb '#e6007e' notitle";
  // The key in the optimizers' order. The paths are drawn in that order too, each with its own
  // dash pattern and marker, and each wider than the next: where several share the valley floor,
  // the ones below show at the edges and through the gaps of the ones above.
  auto width = [&](std::size_t k) { return 1.2 + 0.5 * double(runs.size() - 1 - k); };
  for (std::size_t k = 0; k < runs.size(); ++k)
    cmd += fmt::format(", keyentry with linespoints {} ps 0.9 title {}", style_spec(styles[k], width(k)),
                       gp_string(runs[k].label));
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::size_t n = shown[k];
    if (n == 0) continue;
    const std::size_t every = std::max<std::size_t>(1, n / 80);  // dots at most ~80 per path: steps stay visible
    cmd += fmt::format(", $path{} every ::0::{} with linespoints {} ps 0.5 pi {} notitle", k, last(n),
                       style_spec(styles[k], width(k)), every);
  }
  // Each path's end point, large: where every optimizer got to is the picture's first message.
  for (std::size_t k = 0; k < runs.size(); ++k)
    if (shown[k] > 0)
      cmd += fmt::format(", $path{0} every ::{1}::{1} with points {2} ps 1.6 notitle", k, last(shown[k]),
                         style_spec(styles[k], 1.6));
  cmd += ", $optima with points pt 3 ps 3 lw 2.5 lc rgb '#e6007e' title 'minimum'";
  if (saddles) cmd += ", keyentry with points pt 2 ps 2.5 lw 2.5 lc rgb '#e6007e' title 'saddle point'";
  cmd += ", $path0 every ::0::0 with points pt 6 ps 2.2 lw 2 lc rgb '#000000' title 'start'\n";
  return cmd;
}

// The animation: the paths growing over the contour lines, then held for a moment. Smaller than
// the PNG, and contour lines only: a GIF stores every frame, and the shaded background would
// make each one large.
std::string animation(const std::vector<PlotRun>& runs, const std::vector<std::size_t>& shown, bool saddles, int width,
                      int height, const std::string& output) {
  const std::size_t longest = shown.empty() ? 0 : *std::max_element(shown.begin(), shown.end());
  const std::size_t frames = std::min<std::size_t>(std::max<std::size_t>(longest, 2) - 1, 60);
  std::string gp = fmt::format(
      "set output\nset terminal gif animate delay 8 loop 0 optimize size {},{} font 'sans,8'\nset output {}\n",
      width * 3 / 4, height * 3 / 4, output);
  gp += fmt::format("do for [frame=0:{}] {{\n  upto = int(frame * {} / {})\n  {}}}\n", frames, longest - 1, frames,
                    plot_command(runs, shown, saddles, false, true));
  return gp + "do for [hold=1:8] {\n  " + plot_command(runs, shown, saddles, false, false) + "}\n";
}

// Everything but the plot commands: the data, the contours, the axes, the key and the title.
std::string setup(const TestFunction& f, const std::vector<PlotRun>& runs, const PathsPicture& picture,
                  std::vector<std::size_t>& shown) {
  const auto [xlo, xhi, ylo, yhi] = f.window();
  std::size_t longest = 0;
  for (const auto& r : runs) longest = std::max(longest, drawable(r));
  const std::size_t stride = std::max<std::size_t>(1, (longest + max_drawn - 1) / max_drawn);
  std::string gp =
      "# Written by descent minimize. Rerun with: gnuplot <this file>  (from this directory)\n"
      "# `suffix` lets descent write each image under a temporary name first.\n"
      "if (!exists(\"suffix\")) suffix = \"\"\n";
  gp += grid_block(f, grid_size) + path_blocks(runs, stride, shown) + points_block("optima", f.minimizers()) +
        points_block("saddles", f.saddle_points());
  gp +=
      "set contour base\nset cntrparam levels 18\nunset surface\nset table $contours\n"
      "splot $grid matrix using (gx($1)):(gy($2)):3 with lines\nunset table\nunset contour\nset surface\n";
  gp += fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\nset size ratio -1\n", num(xlo), num(xhi), num(ylo),
                    num(yhi));
  gp +=
      "set palette defined (0 '#fbfdff', 1 '#dcebf7', 2 '#a9cce3', 3 '#6f9fc9', 4 '#3d6fa3')\n"
      "set cblabel 'log10(1 + f - f*)'\nset key below horizontal maxcols 3 box opaque samplen 3 width 1\n"
      "set xlabel 'x'\nset ylabel 'y'\nset tics out nomirror\nset border 3\n";
  return gp + "set title " + gp_string(picture_title(f, runs, picture)) + "\n";
}

}  // namespace

void check_gnuplot() {
  if (find_gnuplot().empty())
    throw Error("--out needs gnuplot to draw 2-D functions (Debian: apt-get install gnuplot-nox)");
}

void write_trajectories(const fs::path& dir, const TestFunction& f, const std::vector<PlotRun>& runs) {
  for (const PlotRun& r : runs) {
    std::string text = "step";
    for (std::size_t i = 1; i <= f.dim(); ++i) text += fmt::format(",x{}", i);
    text += ",f\n";
    for (std::size_t s = 0; s < r.points.size(); ++s) {
      text += std::to_string(s);
      for (double xi : r.points[s]) text += fmt::format(",{:.17g}", xi);
      text += fmt::format(",{:.17g}\n", r.values[s]);
    }
    write_atomically(dir / fmt::format("{}_{}.csv", f.name(), r.optimizer), text);
  }
}

std::vector<fs::path> plot_paths(const fs::path& dir, const TestFunction& f, const std::vector<PlotRun>& runs,
                                 const PathsPicture& picture) {
  if (f.dim() != 2) throw Error("plots need a 2-D function");
  const auto [xlo, xhi, ylo, yhi] = f.window();
  // Equal scales on both axes, so that directions (Adam's diagonal first steps) look as they are.
  // The plot area is about width − 190 pixels wide (tics, labels and the colour box); the key
  // below takes about 110 pixels.
  const int width = 820;
  const int height = std::clamp(int(std::lround(190 + (width - 190) * (yhi - ylo) / (xhi - xlo))), 420, 1100);
  std::vector<std::size_t> shown;
  std::string gp = setup(f, runs, picture, shown);
  const bool saddles = !f.saddle_points().empty();
  const fs::path png = dir / fmt::format("{}.png", f.name()), svg = dir / fmt::format("{}.svg", f.name()),
                 gif = dir / fmt::format("{}.gif", f.name()), script = dir / fmt::format("{}.gp", f.name());
  std::vector<fs::path> outputs{png, svg};
  // Each picture goes to NAME.suffix first (run_gnuplot sets `suffix` and renames them).
  auto output = [](const fs::path& p) { return gp_string(p.filename().string()) + ".suffix"; };
  gp += fmt::format("set terminal pngcairo size {},{} font 'sans,10'\nset output {}\n", width, height, output(png));
  gp += plot_command(runs, shown, saddles, true, false);
  gp += fmt::format("set output\nset terminal svg size {},{} font 'sans,10'\nset output {}\n", width, height,
                    output(svg));
  gp += plot_command(runs, shown, saddles, true, false);
  const bool animate = picture.animate && !shown.empty() && *std::max_element(shown.begin(), shown.end()) > 0;
  if (animate) {
    gp += animation(runs, shown, saddles, width, height, output(gif));
    outputs.push_back(gif);
  }
  gp += "set output\n";
  write_atomically(script, gp);
  run_gnuplot(find_gnuplot(), dir, script.filename().string(), outputs);
  outputs.push_back(script);
  return outputs;
}

}  // namespace descent::cli
