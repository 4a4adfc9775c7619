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

std::string script_text(const std::vector<Plot>& plots) {
  std::ostringstream s;
  s << "# Written by descent. Rerun with: gnuplot "
    << "<this file>  (from this directory)\n"
    << "# `suffix` lets descent write each image under a temporary name first.\n"
    << "if (!exists(\"suffix\")) suffix = \"\"\n"
    << "set datafile separator \",\"\n"
    << "set grid lc rgb \"#d0d0d0\"\n"
    << "set border lw 1.2\n"
    << "set style data lines\n"
    // Colours that stay apart on white and for most colour-blind readers (Okabe & Ito, 2008).
    << "set linetype 1 lc rgb \"#0072B2\" lw 2\n"
    << "set linetype 2 lc rgb \"#E69F00\" lw 2\n"
    << "set linetype 3 lc rgb \"#009E73\" lw 2\n"
    << "set linetype 4 lc rgb \"#CC79A7\" lw 2\n"
    << "set linetype 5 lc rgb \"#000000\" lw 2\n"
    << "set linetype 6 lc rgb \"#D55E00\" lw 2\n"
    << "set linetype 7 lc rgb \"#56B4E9\" lw 2\n"
    << "set linetype 8 lc rgb \"#F0E442\" lw 2\n"
    << "set linetype cycle 8\n";
  const std::array<std::pair<const char*, const char*>, 2> terminals{{
      {"png", "pngcairo size 960,600 noenhanced font \"Sans,12\""},
      {"svg", "svg size 960,600 dynamic noenhanced font \"Sans,12\""},
  }};
  for (const Plot& p : plots) {
    s << "\n# " << p.name << "\n";
    s << "set title " << gp_string(p.title) << "\n";
    s << "set xlabel " << gp_string(p.xlabel) << "\n";
    s << "set ylabel " << gp_string(p.ylabel) << "\n";
    s << (p.log_y ? "set logscale y\n" : "unset logscale y\n");
    s << "set key " << p.key << " box opaque width 1 spacing 1.2\n";
    s << (p.yrange.empty() ? "set autoscale y\n" : "set yrange " + p.yrange + "\n");
    for (const auto& [ext, terminal] : terminals) {
      s << "set terminal " << terminal << "\n";
      s << "set output " << gp_string(p.name + "." + ext) << ".suffix\n";
      s << "plot ";
      for (std::size_t i = 0; i < p.lines.size(); ++i) {
        const PlotLine& l = p.lines[i];
        s << (i ? ", \\\n     " : "") << gp_string(l.file) << " skip 1 using " << l.columns << " with lines lw 2 title "
          << gp_string(l.title);
      }
      s << "\nset output\n";
    }
  }
  return s.str();
}

}  // namespace

std::string where_equals(int x, int y, int key_column, std::string_view key) {
  return fmt::format("{}:(strcol({}) eq {} ? ${} : NaN)", x, key_column, gp_string(key), y);
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
