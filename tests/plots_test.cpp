// The gnuplot scripts the CLI writes (compare/train: DIR/plots.gp; minimize: DIR/FUNCTION.gp),
// read as a learner's picture would show them: every optimizer's curve drawn in a style of its
// own (curves that lie on top of each other must still show as two), the key outside the data,
// titles that name what was run. The scripts are parsed for those properties, not compared
// with a copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "lab_support.hpp"

namespace {

namespace fs = std::filesystem;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;

const std::vector<std::string> five{"sgd", "sgdm", "adagrad", "rmsprop", "adam"};

struct Style {
  std::string colour, dash, point, width;
};

// Every `keyentry with ... title "NAME"` of `text`: the legend's samples, by title.
std::multimap<std::string, Style> key_entries(const std::string& text) {
  static const std::regex entry(
      R"re(keyentry with \w+ lc rgb "(#[0-9A-Fa-f]{6})" dt (solid|\([0-9,]+\)) lw ([0-9.]+) pt (\d+) ps [0-9.]+ title "([^"]*)")re");
  std::multimap<std::string, Style> out;
  for (std::sregex_iterator m(text.begin(), text.end(), entry), end; m != end; ++m)
    out.insert({(*m)[5], {(*m)[1], (*m)[2], (*m)[4], (*m)[3]}});
  return out;
}

// The plot sections of a compare script: the text between one `set terminal pngcairo` and the
// next `set output` (one per picture; the SVG repeats it).
std::vector<std::string> png_plots(const std::string& script) {
  std::vector<std::string> out;
  for (auto at = script.find("set terminal pngcairo"); at != std::string::npos;
       at = script.find("set terminal pngcairo", at + 1))
    out.push_back(script.substr(at, script.find("\nset output\n", at) - at));
  return out;
}

void expect_all_different(const std::vector<Style>& styles, const std::string& where) {
  std::set<std::string> colours, dashes, points;
  for (const Style& s : styles) {
    colours.insert(s.colour);
    dashes.insert(s.dash);
    points.insert(s.point);
  }
  EXPECT_EQ(colours.size(), styles.size()) << where;
  EXPECT_EQ(dashes.size(), styles.size()) << where;
  EXPECT_EQ(points.size(), styles.size()) << where;
}

// The five optimizers' key entries of one picture, in the key's order; each once.
std::vector<Style> five_styles(const std::string& plot, std::vector<std::string> names = five) {
  const auto entries = key_entries(plot);
  std::vector<Style> styles;
  for (const auto& name : names) {
    EXPECT_EQ(entries.count(name), 1u) << name << " in\n" << plot;
    if (auto it = entries.find(name); it != entries.end()) styles.push_back(it->second);
  }
  return styles;
}

std::string compare_script(const Scratch& s, const std::string& epochs = "30",
                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"compare", "--epochs", epochs, "--no-plots", "--out", (s / "out").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = cli(args, s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return read(s / "out" / "plots.gp");
}

TEST(Plots, CompareDrawsEveryOptimizerInItsOwnColourDashAndMarker) {
  Scratch s;
  const std::string script = compare_script(s);
  const auto plots = png_plots(script);
  ASSERT_EQ(plots.size(), 2u) << script;  // loss and accuracy
  for (const std::string& plot : plots) {
    const auto styles = five_styles(plot);
    ASSERT_EQ(styles.size(), 5u);
    expect_all_different(styles, plot);
    // Each optimizer's curve and its markers are drawn in its key entry's style.
    for (std::size_t k = 0; k < five.size(); ++k) {
      const std::string curve = "eq \"" + five[k] + "\" ? $";
      const auto at = plot.find(curve);
      ASSERT_NE(at, std::string::npos) << five[k];
      const std::string item = plot.substr(at, plot.find('\n', at) - at);
      EXPECT_NE(item.find("with lines lc rgb \"" + styles[k].colour + "\" dt " + styles[k].dash), std::string::npos)
          << item;
      const std::regex marks("eq \"" + five[k] +
                             "\" && int\\(\\$2\\) % (\\d+) == (\\d+) \\? \\$\\d : NaN\\) with points lc rgb \"" +
                             styles[k].colour + "\" dt \\S+ lw \\S+ pt " + styles[k].point);
      EXPECT_TRUE(std::regex_search(plot, marks)) << five[k] << " has no markers in\n" << plot;
    }
  }
}

// SGD's and SGDM's curves lie on top of each other on iris: their markers must not.
TEST(Plots, CompareMarkersOfDifferentOptimizersFallOnDifferentEpochs) {
  Scratch s;
  const std::string script = compare_script(s, "500");
  const std::string loss = png_plots(script).at(0);
  static const std::regex marks(R"re(eq "(\w+)" && int\(\$2\) % (\d+) == (\d+) \?)re");
  std::set<std::string> names, offsets;
  std::size_t n = 0;
  for (std::sregex_iterator m(loss.begin(), loss.end(), marks), end; m != end; ++m, ++n) {
    names.insert((*m)[1]);
    EXPECT_EQ((*m)[2], "50") << "about ten markers on 500 epochs";
    offsets.insert((*m)[3]);
  }
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(names, std::set<std::string>(five.begin(), five.end()));
  EXPECT_EQ(offsets.size(), 5u);
}

TEST(Plots, CompareKeyIsOutsideTheData) {
  Scratch s;
  const std::string script = compare_script(s);
  std::size_t keys = 0;
  for (auto at = script.find("\nset key "); at != std::string::npos; at = script.find("\nset key ", at + 1)) {
    ++keys;
    EXPECT_EQ(script.compare(at, 17, "\nset key outside "), 0) << script.substr(at, 60);
  }
  EXPECT_EQ(keys, 2u);
}

// Optimizers outside the tutorial's five take the styles left; sgd keeps its own in every picture.
TEST(Plots, OtherOptimizersGetStylesOfTheirOwnToo) {
  Scratch s;
  const std::vector<std::string> names{"adam", "nadam", "sgd", "lion", "lamb", "adamw", "sgdm", "adagrad"};
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
  const std::string script = compare_script(s, "3", {"--optimizers", list});
  const std::string loss = png_plots(script).at(0);
  const auto styles = five_styles(loss, names);
  ASSERT_EQ(styles.size(), names.size());
  expect_all_different(styles, loss);
  Scratch t;
  const auto tutorial = five_styles(png_plots(compare_script(t)).at(0));
  ASSERT_EQ(tutorial.size(), 5u);
  EXPECT_EQ(styles[2].colour, tutorial[0].colour);  // sgd
  EXPECT_EQ(styles[2].dash, tutorial[0].dash);
  EXPECT_EQ(styles[0].point, tutorial[4].point);  // adam
}

// The titles say where the weights came from: the initializer, or the --init file.
TEST(Plots, InitRunsSayWhereTheirWeightsCameFrom) {
  Scratch s;
  const auto train = [&](std::vector<std::string> extra, const std::string& out) {
    std::vector<std::string> args{"train", "--epochs", "2", "--no-plots", "--out", (s / out).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = cli(args, s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out + read(s / out / "plots.gp");
  };
  const std::string drawn = train({"--dump-params", (s / "w.json").string()}, "a");
  EXPECT_NE(drawn.find("truncated_normal init"), std::string::npos) << drawn;
  EXPECT_NE(train({"--initializer", "glorot"}, "b").find("glorot init"), std::string::npos);

  const std::string given = train({"--init", (s / "w.json").string()}, "c");
  EXPECT_EQ(given.find("truncated_normal"), std::string::npos) << given;
  EXPECT_EQ(given.find(" init,"), std::string::npos) << given;
  const std::string from = "weights from " + (s / "w.json").string();
  // In the table's header and in both pictures' titles (PNG and SVG).
  std::size_t n = 0;
  for (auto at = given.find(from); at != std::string::npos; at = given.find(from, at + 1)) ++n;
  EXPECT_EQ(n, 3u) << given;
}

// ---- descent minimize ----------------------------------------------------------------------

struct Minimized {
  std::string script;
  fs::path dir;
};

Minimized minimize(const Scratch& s, const std::string& name, std::vector<std::string> extra) {
  std::vector<std::string> args{"minimize", "rosenbrock", "--out", (s / name).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = cli(args, s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {read(s / name / "rosenbrock.gp"), s / name};
}

std::string title(const std::string& script) {
  const auto at = script.find("\nset title \"");
  if (at == std::string::npos) return "";
  return script.substr(at + 12, script.find('\n', at + 1) - at - 13);
}

TEST(Plots, MinimizeTitleNamesTheConventionAndTheSteps) {
  Scratch s;
  EXPECT_EQ(title(minimize(s, "a", {"--steps", "40"}).script), "rosenbrock, seed convention, 40 steps from (-1.2, 1)");
  const std::string t = title(minimize(s, "b", {"--steps", "7", "--convention", "pytorch", "--lr", "0.001"}).script);
  EXPECT_NE(t.find("pytorch convention"), std::string::npos) << t;
  EXPECT_NE(t.find("7 steps"), std::string::npos) << t;
  // Without --steps, the function's picture preset: Rosenbrock's is 300.
  EXPECT_NE(title(minimize(s, "c", {}).script).find("300 steps"), std::string::npos);
}

// Four of the five walk the same valley floor on Rosenbrock: each path is drawn in a style of
// its own, each wider than the paths drawn over it, so that the ones below show at the edges.
TEST(Plots, MinimizePathsStayVisibleWhereTheyOverlap) {
  Scratch s;
  const Minimized m = minimize(s, "out", {"--steps", "60"});
  const std::string png = m.script.substr(m.script.find("set terminal pngcairo"));
  const std::string first = png.substr(0, png.find("\nset output\n", png.find("\nplot ")));
  std::vector<std::string> labels;
  for (const auto& name : five) {
    const auto at = first.find("title \"" + name + " lr ");
    ASSERT_NE(at, std::string::npos) << name;
    labels.push_back(first.substr(at + 7, first.find('"', at + 7) - at - 7));
  }
  const auto styles = five_styles(first, labels);
  ASSERT_EQ(styles.size(), 5u);
  expect_all_different(styles, first);
  double wider = 1e9;
  for (std::size_t k = 0; k < five.size(); ++k) {
    // The path itself, in its key entry's style.
    const std::regex path(
        "\\$path" + std::to_string(k) + " every ::0::(\\d+) with linespoints lc rgb \"" + styles[k].colour + "\" dt " +
        std::regex_replace(styles[k].dash, std::regex(R"([()])"), R"(\$&)") + " lw ([0-9.]+) pt " + styles[k].point);
    std::smatch match;
    ASSERT_TRUE(std::regex_search(first, match, path)) << five[k] << " in\n" << first;
    EXPECT_EQ(match[1], "60") << "every point of " << five[k] << "'s path is drawn";
    const double width = std::stod(match[2]);
    EXPECT_LT(width, wider) << five[k] << " is drawn over the paths before it, so it must be narrower";
    wider = width;
  }
  EXPECT_NE(m.script.find("set key below"), std::string::npos);  // under the picture, not over the paths
}

// The script stays beside the pictures and reruns as it is.
TEST(Plots, MinimizeScriptRerunsByItself) {
  Scratch s;
  const Minimized m = minimize(s, "out", {"--steps", "5", "--optimizers", "sgd,adam"});
  fs::remove(m.dir / "rosenbrock.png");
  const std::string command = "cd " + lab_test::shell_quote(m.dir.string()) + " && gnuplot rosenbrock.gp 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
  ASSERT_TRUE(fs::exists(m.dir / "rosenbrock.png"));
  EXPECT_EQ(read(m.dir / "rosenbrock.png").substr(1, 3), "PNG");
}

}  // namespace
