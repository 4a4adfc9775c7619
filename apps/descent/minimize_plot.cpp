// Trajectory CSVs and gnuplot pictures for `descent minimize --out DIR` (minimize_plot.hpp).
#include "minimize_plot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "descent/atomic_file.hpp"
#include "descent/error.hpp"
#include "files.hpp"
#include "gnuplot.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

namespace {

std::string num(double x) { return fmt::format("{:.17g}", x); }

// One colour per optimizer, the same in every picture (the tutorial's order).
std::string colour(const std::string& optimizer, std::size_t index) {
  if (optimizer == "sgd") return "#d62728";
  if (optimizer == "sgdm") return "#ff7f0e";
  if (optimizer == "adagrad") return "#2ca02c";
  if (optimizer == "rmsprop") return "#9467bd";
  if (optimizer == "adam") return "#1f1f1f";
  static const char* more[] = {"#8c564b", "#e377c2", "#17becf", "#bcbd22"};
  return more[index % 4];
}

// A path may leave for infinity (a diverging run); past 1e12 gnuplot's clipping misbehaves and
// the picture shows nothing more anyway.
constexpr std::size_t max_drawn = 4000;  // points per path in a picture

std::size_t drawable(const PlotRun& r) {
  std::size_t n = 0;
  while (n < r.points.size() && std::abs(r.points[n][0]) < 1e12 && std::abs(r.points[n][1]) < 1e12) ++n;
  return n;
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
                                 bool animate) {
  if (f.dim() != 2) throw Error("plots need a 2-D function");
  const auto [xlo, xhi, ylo, yhi] = f.window();
  // Equal scales on both axes, so that directions (Adam's diagonal first steps) look as they are.
  // The plot area is about width − 190 pixels wide (tics, labels and the colour box); the key
  // below takes about 110 pixels.
  const int width = 820;
  const int height = std::clamp(int(std::lround(190 + (width - 190) * (yhi - ylo) / (xhi - xlo))), 420, 1100);

  std::ostringstream gp;
  // The background: log10(1 + f − f*), so that valleys and plateaus both show.
  auto grid = [&](const char* name, int n) {
    gp << "$" << name << " << EOD\n";
    std::vector<double> p(2), g(2);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        p[0] = xlo + (xhi - xlo) * (j + 0.5) / n;
        p[1] = ylo + (yhi - ylo) * (i + 0.5) / n;
        const double z = std::log10(1 + std::max(0.0, f.evaluate(p) - f.minimum()));
        gp << num(p[0]) << ' ' << num(p[1]) << ' ' << num(z) << '\n';
      }
      gp << '\n';
    }
    gp << "EOD\n";
  };
  grid("grid", 240);
  // Long runs are drawn with one point every `stride` steps (and their last point), the same
  // stride for every path so that the animation's frames stay in step; the CSVs keep them all.
  std::size_t longest = 0;
  for (const auto& r : runs) longest = std::max(longest, drawable(r));
  const std::size_t stride = std::max<std::size_t>(1, (longest + max_drawn - 1) / max_drawn);
  std::vector<std::size_t> shown(runs.size());  // points in each path's datablock
  for (std::size_t k = 0; k < runs.size(); ++k) {
    gp << "$path" << k << " << EOD\n";
    const std::size_t n = drawable(runs[k]);
    auto emit = [&](std::size_t s) {
      gp << num(runs[k].points[s][0]) << ' ' << num(runs[k].points[s][1]) << '\n';
      ++shown[k];
    };
    for (std::size_t s = 0; s < n; s += stride) emit(s);
    if (n > 0 && (n - 1) % stride != 0) emit(n - 1);
    gp << "EOD\n";
  }
  gp << "$optima << EOD\n";
  for (const auto& m : f.minimizers()) gp << num(m[0]) << ' ' << num(m[1]) << '\n';
  gp << "EOD\n";
  const auto saddles = f.saddle_points();
  gp << "$saddles << EOD\n";
  for (const auto& m : saddles) gp << num(m[0]) << ' ' << num(m[1]) << '\n';
  gp << "EOD\n";

  gp << "set contour base\nset cntrparam levels 18\nunset surface\nset table $contours\nsplot $grid with lines\n"
        "unset table\nunset contour\nset surface\n";
  gp << fmt::format("set xrange [{}:{}]\nset yrange [{}:{}]\nset size ratio -1\n", num(xlo), num(xhi), num(ylo),
                    num(yhi));
  gp << "set palette defined (0 '#fbfdff', 1 '#dcebf7', 2 '#a9cce3', 3 '#6f9fc9', 4 '#3d6fa3')\n"
        "set cblabel 'log10(1 + f - f*)'\nset key below horizontal maxcols 3 box opaque samplen 2 width 1\n"
        "set xlabel 'x'\nset ylabel 'y'\nset tics out nomirror\nset border 3\n";
  gp << "set title "
     << gp_string(fmt::format("{}: start ({:g}, {:g})", f.name(), runs.empty() ? 0.0 : runs[0].points[0][0],
                              runs.empty() ? 0.0 : runs[0].points[0][1]))
     << "\n";

  // The plot command. In the animation (frame = true) every path stops at the gnuplot variable
  // `upto`, an index into the datablocks.
  auto plot = [&](bool background, bool frame) {
    auto last = [&](std::size_t n) {  // the index of the last point drawn
      return frame ? fmt::format("(upto < {0} ? upto : {0})", n - 1) : std::to_string(n - 1);
    };
    std::string cmd = fmt::format("plot {}$contours with lines lc rgb '#8fa9c4' lw 0.6 notitle",
                                  background ? "$grid with image notitle, " : "");
    // Saddle points under the paths: the paths that stall there must stay visible.
    if (!saddles.empty()) cmd += ", $saddles with points pt 2 ps 2.5 lw 2.5 lc rgb '#e6007e' notitle";
    // The key in the optimizers' order; the paths drawn last to first, so that the slow movers
    // (SGD) stay visible on top of the paths that sweep the whole valley.
    for (std::size_t k = 0; k < runs.size(); ++k)
      cmd += fmt::format(", keyentry with linespoints lc rgb '{}' lw 1.6 pt 7 ps 0.4 title {}",
                         colour(runs[k].optimizer, k), gp_string(runs[k].label));
    for (std::size_t k = runs.size(); k-- > 0;) {
      const std::size_t n = shown[k];
      if (n == 0) continue;
      const std::size_t every = std::max<std::size_t>(1, n / 80);  // dots at most ~80 per path: steps stay visible
      cmd += fmt::format(", $path{} every ::0::{} with linespoints lc rgb '{}' lw 1.6 pt 7 ps 0.4 pi {} notitle", k,
                         last(n), colour(runs[k].optimizer, k), every);
    }
    // Each path's end point, large: where every optimizer got to is the picture's first message.
    for (std::size_t k = 0; k < runs.size(); ++k) {
      const std::size_t n = shown[k];
      if (n == 0) continue;
      cmd += fmt::format(", $path{0} every ::{1}::{1} with points pt 7 ps 1.3 lc rgb '{2}' notitle", k, last(n),
                         colour(runs[k].optimizer, k));
    }
    cmd += ", $optima with points pt 3 ps 3 lw 2.5 lc rgb '#e6007e' title 'minimum'";
    if (!saddles.empty()) cmd += ", keyentry with points pt 2 ps 2.5 lw 2.5 lc rgb '#e6007e' title 'saddle point'";
    cmd += ", $path0 every ::0::0 with points pt 6 ps 2.2 lw 2 lc rgb '#000000' title 'start'\n";
    return cmd;
  };

  const fs::path png = dir / fmt::format("{}.png", f.name()), svg = dir / fmt::format("{}.svg", f.name()),
                 gif = dir / fmt::format("{}.gif", f.name());
  std::vector<fs::path> outputs{png, svg};
  // Each picture goes to NAME.suffix first (run_gnuplot sets `suffix` and renames them).
  auto output = [](const fs::path& p) { return gp_string(p.filename().string()) + ".suffix"; };
  gp << fmt::format("set terminal pngcairo size {},{} font 'sans,10'\nset output {}\n", width, height, output(png));
  gp << plot(true, false);
  gp << fmt::format("set output\nset terminal svg size {},{} font 'sans,10'\nset output {}\n", width, height,
                    output(svg));
  gp << plot(true, false);
  if (animate && longest > 0) {
    longest = shown.empty() ? 0 : *std::max_element(shown.begin(), shown.end());
    const std::size_t frames = std::min<std::size_t>(std::max<std::size_t>(longest, 2) - 1, 60);
    // Smaller than the PNG, and contour lines only: a GIF stores every frame, and the shaded
    // background would make each one large.
    gp << fmt::format(
        "set output\nset terminal gif animate delay 8 loop 0 optimize size {},{} font 'sans,8'\nset output {}\n",
        width * 3 / 4, height * 3 / 4, output(gif));
    gp << fmt::format("do for [frame=0:{}] {{\n  upto = int(frame * {} / {})\n  {}}}\n", frames, longest - 1, frames,
                      plot(false, true));
    gp << "do for [hold=1:8] {\n  " << plot(false, false) << "}\n";
    outputs.push_back(gif);
  }
  gp << "set output\n";

  // The script is a temporary file: the pictures are the outputs.
  const fs::path script = temporary_name(dir / "plot.gp");
  write_atomically(script, gp.str());
  try {
    run_gnuplot(find_gnuplot(), dir, script.filename().string(), outputs);
  } catch (...) {
    std::error_code ec;
    fs::remove(script, ec);
    throw;
  }
  fs::remove(script);
  return outputs;
}

}  // namespace descent::cli
