#include "gnuplot.hpp"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "descent/atomic_file.hpp"
#include "descent/error.hpp"
#include "files.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

std::string gp_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

namespace {

// Colours that stay apart on white, on the playground's blues and for most colour-blind readers
// (Okabe & Ito, 2008), each with its own dash pattern and marker; the tutorial's five first
// (sgd red, sgdm orange, adagrad green, rmsprop purple, adam black, as docs/playground.md says).
constexpr std::array<SeriesStyle, 8> styles{{
    {"#D55E00", "solid", 7},           // filled circle
    {"#E69F00", "(8,4)", 5},           // filled square
    {"#009E73", "(2,3)", 9},           // filled triangle
    {"#CC79A7", "(12,4,2,4)", 13},     // filled diamond
    {"#000000", "(5,3,1,3,1,3)", 11},  // filled inverted triangle
    {"#0072B2", "(16,5)", 4},          // open square
    {"#56B4E9", "(6,2,6,2,1,2)", 12},  // open diamond
    {"#7F7F7F", "(1,3)", 15},          // filled pentagon
}};
constexpr std::array<std::string_view, 5> tutorial{"sgd", "sgdm", "adagrad", "rmsprop", "adam"};

constexpr double lw = 2;  // every curve's line width
constexpr double mark_size = 1.3;
constexpr int marks_per_curve = 10;

std::string plot_items(const Plot& p) {
  // All curves first, then all markers (so that no curve hides another's markers), then the key.
  std::vector<std::string> items;
  for (const PlotLine& l : p.lines)
    items.push_back(
        fmt::format("{} skip 1 using {} with lines {} notitle", gp_string(l.file), l.columns, style_spec(l.style, lw)));
  for (const PlotLine& l : p.lines)
    if (!l.marks.empty())
      items.push_back(fmt::format("{} skip 1 using {} with points {} ps {} notitle", gp_string(l.file), l.marks,
                                  style_spec(l.style, lw), mark_size));
  for (const PlotLine& l : p.lines)
    items.push_back(fmt::format("keyentry with {} {} ps {} title {}", l.marks.empty() ? "lines" : "linespoints",
                                style_spec(l.style, lw), mark_size, gp_string(l.title)));
  std::string out = "plot ";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", \\\n     ";
    out += items[i];
  }
  return out + "\n";
}

std::string script_text(const std::vector<Plot>& plots) {
  std::ostringstream s;
  s << "# Written by descent. Rerun with: gnuplot "
    << "<this file>  (from this directory)\n"
    << "# `suffix` lets descent write each image under a temporary name first.\n"
    << "if (!exists(\"suffix\")) suffix = \"\"\n"
    << "set datafile separator \",\"\n"
    << "set grid lc rgb \"#d0d0d0\"\n"
    << "set border lw 1.2\n"
    << "set style data lines\n";
  const std::array<std::pair<const char*, const char*>, 2> terminals{{
      {"png", "pngcairo size 960,600 noenhanced font \"Sans,12\""},
      {"svg", "svg size 960,600 dynamic noenhanced font \"Sans,12\""},
  }};
  for (const Plot& p : plots) {
    s << "\n# " << p.name << "\n";
    s << "set title " << gp_string(p.title) << "\n";
    s << "set xlabel " << gp_string(p.xlabel) << "\n";
    s << "set ylabel " << gp_string(p.ylabel) << "\n";
    // On a log scale, 1e-05 rather than gnuplot's 0.000010.
    s << (p.log_y ? "set logscale y\nset format y \"%g\"\n" : "unset logscale y\nset format y \"% h\"\n");
    s << "set key " << p.key << " Left reverse box width 1 spacing 1.2\n";
    s << (p.yrange.empty() ? "set autoscale y\n" : "set yrange " + p.yrange + "\n");
    for (const auto& [ext, terminal] : terminals) {
      s << "set terminal " << terminal << "\n";
      s << "set output " << gp_string(p.name + "." + ext) << ".suffix\n";
      s << plot_items(p);
      s << "set output\n";
    }
  }
  return s.str();
}

}  // namespace

std::string where_equals(int x, int y, int key_column, std::string_view key, int every, int offset) {
  const std::string spread = every > 0 ? fmt::format(" && int(${}) % {} == {}", x, every, offset) : "";
  return fmt::format("{}:(strcol({}) eq {}{} ? ${} : NaN)", x, key_column, gp_string(key), spread, y);
}

std::vector<SeriesStyle> series_styles(const std::vector<std::string>& optimizers) {
  std::vector<bool> taken(styles.size());
  std::vector<int> slot(optimizers.size(), -1);
  for (std::size_t k = 0; k < optimizers.size(); ++k)
    for (std::size_t t = 0; t < tutorial.size(); ++t)
      if (optimizers[k] == tutorial[t] && !taken[t]) {
        slot[k] = int(t);
        taken[t] = true;
      }
  std::size_t next = 0;  // the others, in order, take the styles left (and cycle past 8)
  for (std::size_t k = 0; k < optimizers.size(); ++k) {
    if (slot[k] >= 0) continue;
    while (next < styles.size() && taken[next]) ++next;
    slot[k] = next < styles.size() ? int(next++) : int(k % styles.size());
  }
  std::vector<SeriesStyle> out;
  for (int s : slot) out.push_back(styles[std::size_t(s)]);
  return out;
}

std::string style_spec(const SeriesStyle& style, double width) {
  return fmt::format("lc rgb \"{}\" dt {} lw {:g} pt {}", style.colour, style.dash, width, style.point);
}

fs::path find_gnuplot() {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / "gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

bool render_plots(const fs::path& dir, std::string_view script, const std::vector<Plot>& plots, bool draw) {
  write_atomically(dir / script, script_text(plots));
  if (!draw) return false;
  const fs::path gnuplot = find_gnuplot();
  if (gnuplot.empty()) {
    fmt::print(stderr,
               "descent: warning: gnuplot not found on PATH; no plots drawn (install gnuplot-nox, then: cd {} && "
               "gnuplot {})\n",
               dir.string(), script);
    return false;
  }
  std::vector<fs::path> outputs;
  for (const Plot& p : plots)
    for (const char* ext : {"png", "svg"}) outputs.push_back(dir / (p.name + "." + ext));
  run_gnuplot(gnuplot, dir, script, outputs);
  return true;
}

void run_gnuplot(const fs::path& gnuplot, const fs::path& dir, std::string_view script,
                 const std::vector<fs::path>& outputs) {
  const std::string suffix = fmt::format(".tmp{}", ::getpid());
  auto remove_temporaries = [&] {
    std::error_code ec;
    for (const fs::path& o : outputs) fs::remove(o.string() + suffix, ec);
  };

  int err[2];
  if (::pipe(err) != 0) throw Error("cannot run gnuplot: pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot run gnuplot: fork failed");
  if (pid == 0) {
    ::dup2(err[1], 2);
    ::dup2(err[1], 1);
    ::close(err[0]);
    ::close(err[1]);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    const std::string setting = "suffix=" + gp_string(suffix);
    const std::string script_name(script);
    ::execl(gnuplot.c_str(), "gnuplot", "-e", setting.c_str(), script_name.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(err[1]);
  std::string messages;
  std::array<char, 4096> buf;
  for (ssize_t n; (n = ::read(err[0], buf.data(), buf.size())) > 0;) messages.append(buf.data(), std::size_t(n));
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    remove_temporaries();
    while (!messages.empty() && (messages.back() == '\n' || messages.back() == '\r')) messages.pop_back();
    const auto last = messages.rfind('\n');
    throw Error(fmt::format("gnuplot failed on {}: {}", (dir / script).string(),
                            last == std::string::npos ? messages : messages.substr(last + 1)));
  }
  for (const fs::path& o : outputs) {
    std::error_code ec;
    fs::rename(o.string() + suffix, o, ec);
    if (ec) {
      remove_temporaries();
      throw Error(fmt::format("{}: gnuplot did not write it ({})", o.string(), ec.message()));
    }
  }
}

}  // namespace descent::cli
