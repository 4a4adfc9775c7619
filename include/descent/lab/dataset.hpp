#pragma once
// Classification data: samples in rows, features in columns, one class index per sample.
// The built-in sets (iris, digits) are compiled into the program; a user's CSV file is read
// with errors that name the file, line and column.
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "descent/lab/random.hpp"

namespace descent::lab {

using Table = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Dataset {
  std::string name;                        // "iris", "digits" or the file's path
  std::vector<std::string> feature_names;  // one per column of x
  std::vector<std::string> class_names;    // class k is class_names[k]
  Table x;                                 // samples × features
  std::vector<int> y;                      // class index of each sample
  // From a CSV file (empty otherwise): each sample's line and each feature's column, from 1,
  // so that a value can be named FILE:LINE:COLUMN after shuffling and splitting.
  std::vector<int> lines, columns;
  // Set when the first row was read as a header (a label given by number) although some of its
  // fields are numbers: a data row with a typo looks the same. Says which field, for the CLI.
  std::string header_assumed;

  Eigen::Index size() const { return x.rows(); }
  Eigen::Index features() const { return x.cols(); }
  int classes() const { return int(class_names.size()); }
};

Dataset iris();    // 150 × 4, 3 classes (src/lab/iris.cpp)
Dataset digits();  // 1797 × 64, 10 classes (data/digits.csv, embedded at build time)

// CSV: comma-separated, an optional header line (taken as one when --label names a column or
// when a field outside the label column is not a number), blank lines skipped, fields may be
// double-quoted. `label` is a header name, a column number counted from 1, or a negative
// number counted from the end (-1, the default, is the last column). Every other column must
// be numeric. Class names are the label texts, ordered numerically when all are numbers, else
// as text. With several files (train, test) the classes are those of all files together and
// every file must have the same columns. Throws descent::Error "FILE:LINE:COLUMN: ...".
std::vector<Dataset> read_csv(const std::vector<std::string>& paths, const std::string& label = "-1");
// The same reader on text in memory; `source` names it in errors.
Dataset parse_csv(const std::string& text, const std::string& source, const std::string& label = "-1");

// Reorders the samples by one Fisher–Yates shuffle.
void shuffle(Dataset& d, Rng& rng);

// How an experiment orders its samples before the split.
//   numpy:   the course's `np.random.seed(seed); np.random.shuffle(x)` (NumpyRandomState),
//            so a learner's split is the course's; seed in [0, 2^32 − 1], as NumPy requires.
//   descent: Rng(seed, Stream::data_order), the order of descent 0.1.0 (any 64-bit seed).
enum class Shuffle { numpy, descent };
Shuffle parse_shuffle(std::string_view name);  // throws OptionError naming the choices
std::string_view to_string(Shuffle s);
// Returns the order: sample i is now the one that was at order[i]. Throws OptionError
// "seed S is out of range [0, 4294967295] for the numpy shuffle".
std::vector<Eigen::Index> shuffle(Dataset& d, Shuffle how, std::uint64_t seed);

// The first size − test_size samples, and the last test_size (the tutorial's 120 / 30 split).
std::pair<Dataset, Dataset> split_tail(const Dataset& d, Eigen::Index test_size);

// Rescales every feature to mean 0 and standard deviation 1 on the training set, and the test
// set by the same numbers (a feature constant on the training set is only centered).
void standardize(Dataset& train, Dataset& test);

}  // namespace descent::lab
