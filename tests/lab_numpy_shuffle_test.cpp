// The course's data order: `np.random.seed(seed); np.random.shuffle(x)` reproduced by
// lab::NumpyRandomState and lab::shuffle(..., Shuffle::numpy), against Debian's NumPy itself
// (golden/lab/generate_numpy_shuffle.py → numpy_shuffle.json) over many seeds and lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "descent/error.hpp"
#include "descent/lab/dataset.hpp"
#include "descent/lab/random.hpp"
#include "lab_support.hpp"

namespace {

using descent::lab::NumpyRandomState;

std::vector<long> shuffled(std::uint32_t seed, std::size_t n) {
  std::vector<long> x(n);
  std::iota(x.begin(), x.end(), 0L);
  NumpyRandomState r(seed);
  r.shuffle(std::span(x));
  return x;
}

TEST(LabNumpyShuffle, EveryOrderIsNumpys) {
  const auto g = lab_test::golden("numpy_shuffle.json");
  std::size_t checked = 0;
  for (const auto& c : g["cases"]) {
    const auto seed = c["seed"].get<std::uint32_t>();
    const auto n = c["n"].get<std::size_t>();
    EXPECT_EQ(shuffled(seed, n), c["order"].get<std::vector<long>>()) << "seed " << seed << ", n " << n;
    ++checked;
  }
  EXPECT_GE(checked, 19u * 24u);  // the generator's seeds × lengths: none skipped
}

TEST(LabNumpyShuffle, LongArraysToo) {
  const auto g = lab_test::golden("numpy_shuffle.json");
  for (const auto& c : g["long_cases"]) {
    const auto n = c["n"].get<std::size_t>();
    const auto x = shuffled(c["seed"].get<std::uint32_t>(), n);
    const auto head = c["head"].get<std::vector<long>>(), tail = c["tail"].get<std::vector<long>>();
    EXPECT_EQ(std::vector<long>(x.begin(), x.begin() + 50), head) << "n " << n;
    EXPECT_EQ(std::vector<long>(x.end() - 50, x.end()), tail) << "n " << n;
    long long sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<long long>(i) * x[i];
    EXPECT_EQ(sum, c["weighted_sum"].get<long long>()) << "n " << n;
  }
}

TEST(LabNumpyShuffle, SixtyFourBitIntervalsMatchTheCheckedModel) {
  // NumPy cannot be asked for these (it would need an array of 2^32 items): the generator's
  // MT19937 model, checked against NumPy on every order above, gives them.
  const auto g = lab_test::golden("numpy_shuffle.json")["interval_64bit"];
  NumpyRandomState r(g["seed"].get<std::uint32_t>());
  for (std::size_t i = 0; i < g["tops"].size(); ++i) {
    const std::uint64_t top = std::stoull(g["tops"][i].get<std::string>());
    EXPECT_EQ(r.interval(top), std::stoull(g["values"][i].get<std::string>())) << "max " << top;
  }
}

TEST(LabNumpyShuffle, DatasetRowsMoveAsNumpysRows) {
  const auto g = lab_test::golden("numpy_shuffle.json");
  descent::lab::Dataset d;
  d.name = "rows";
  d.x.resize(8, 3);
  for (int i = 0; i < 24; ++i) d.x(i / 3, i % 3) = i;
  d.y = {0, 1, 2, 3, 4, 5, 6, 7};
  d.class_names = {"0", "1", "2", "3", "4", "5", "6", "7"};
  descent::lab::shuffle(d, descent::lab::Shuffle::numpy, 116);
  const auto rows = g["rows_seed116_8x3"];
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 3; ++j) EXPECT_EQ(d.x(i, j), rows[i][j].get<double>());
    EXPECT_EQ(d.y[std::size_t(i)], rows[i][0].get<int>() / 3);  // the labels went with their rows
  }
}

TEST(LabNumpyShuffle, TheCoursesIrisSplit) {
  // The tutorial: scikit-learn's iris, np.random.seed(116) before shuffling x_data and again
  // before y_data; the last 30 samples test.
  const auto g = lab_test::golden("numpy_shuffle.json");
  descent::lab::Dataset d = descent::lab::iris();
  descent::lab::shuffle(d, descent::lab::Shuffle::numpy, 116);
  const auto x = g["iris_seed116_x"];
  const auto y = g["iris_seed116_y"].get<std::vector<int>>();
  ASSERT_EQ(d.size(), 150);
  for (int i = 0; i < 150; ++i)
    for (int j = 0; j < 4; ++j) ASSERT_EQ(d.x(i, j), x[i][j].get<double>()) << "sample " << i << ", feature " << j;
  EXPECT_EQ(d.y, y);
  auto [train, test] = descent::lab::split_tail(d, 30);
  EXPECT_EQ(test.y, std::vector<int>(y.end() - 30, y.end()));
}

TEST(LabNumpyShuffle, SeedsBeyondNumpysRangeAreRefused) {
  descent::lab::Dataset d = descent::lab::iris();
  try {
    descent::lab::shuffle(d, descent::lab::Shuffle::numpy, 4294967296ull);
    FAIL() << "accepted seed 2^32";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(), "seed 4294967296 is out of range [0, 4294967295] for the numpy shuffle");
  }
  EXPECT_NO_THROW(descent::lab::shuffle(d, descent::lab::Shuffle::descent, 4294967296ull));
  EXPECT_EQ(descent::lab::parse_shuffle("numpy"), descent::lab::Shuffle::numpy);
  EXPECT_EQ(descent::lab::parse_shuffle("descent"), descent::lab::Shuffle::descent);
  EXPECT_THROW(descent::lab::parse_shuffle("Numpy"), descent::OptionError);
  EXPECT_THROW(descent::lab::parse_shuffle(""), descent::OptionError);
}

// The order NumPy gives `n` items for `seed`, from the golden cases.
std::vector<long> numpy_order(const nlohmann::json& g, std::uint32_t seed, std::size_t n) {
  for (const auto& c : g["cases"])
    if (c["seed"].get<std::uint32_t>() == seed && c["n"].get<std::size_t>() == n) return c["order"];
  throw std::runtime_error("no golden case for seed " + std::to_string(seed) + ", n " + std::to_string(n));
}

// `descent compare` with these flags for one epoch; summary.json's test_rows.
std::vector<long> test_rows(const lab_test::Scratch& s, std::vector<std::string> flags) {
  std::vector<std::string> args = {"compare",    "--epochs", "1",     "--optimizers",      "sgd",
                                   "--no-plots", "-q",       "--out", (s / "out").string()};
  args.insert(args.end(), flags.begin(), flags.end());
  const auto r = lab_test::cli(args, s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(lab_test::read(s / "out" / "summary.json"));
  return summary["config"]["test_rows"].get<std::vector<long>>();
}

TEST(LabNumpyShuffleCli, CompareTestsOnTheCoursesThirtyFlowers) {
  const auto g = lab_test::golden("numpy_shuffle.json");
  lab_test::Scratch s;
  const auto order = numpy_order(g, 116, 150);
  EXPECT_EQ(test_rows(s, {}), std::vector<long>(order.end() - 30, order.end()));  // no flags: the course
  for (const auto& c : g["cases"]) {  // other seeds of NumPy's range, the same length
    const auto seed = c["seed"].get<std::uint32_t>();
    if (c["n"] != 150 || seed == 116 || seed % 3 != 0) continue;  // a third of them is plenty
    const auto o = c["order"].get<std::vector<long>>();
    EXPECT_EQ(test_rows(s, {"--seed", std::to_string(seed)}), std::vector<long>(o.end() - 30, o.end()))
        << "seed " << seed;
  }
}

TEST(LabNumpyShuffleCli, CsvFilesOfOtherLengthsSplitAsNumpy) {
  const auto g = lab_test::golden("numpy_shuffle.json");
  lab_test::Scratch s;
  for (const std::size_t n : {33u, 100u, 257u}) {
    std::string csv = "a,b,label\n";
    for (std::size_t i = 0; i < n; ++i)
      csv += std::to_string(i) + "," + std::to_string(i % 7) + "," + std::to_string(i % 2) + "\n";
    lab_test::write(s / "data.csv", csv);
    const auto order = numpy_order(g, 4294967295u, n);
    const auto test_size = std::size_t(std::llround(double(n) * 0.25));
    EXPECT_EQ(test_rows(s, {"--dataset", (s / "data.csv").string(), "--test", "0.25", "--seed", "4294967295"}),
              std::vector<long>(order.end() - long(test_size), order.end()))
        << "n " << n;
  }
}

}  // namespace
