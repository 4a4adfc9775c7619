#include "descent/lab/dataset.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "descent/error.hpp"

namespace descent::lab {
namespace {

struct Row {
  int line;                         // 1-based line number in the file
  std::vector<std::string> fields;  // trimmed, quotes removed
};

struct RawFile {
  std::string source;
  std::vector<Row> rows;  // non-blank lines, the header (if any) first
};

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string where(const std::string& source, int line, int column) {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

// One line into fields; a field in double quotes may hold commas and "" for a quote.
std::vector<std::string> split(std::string_view line, const std::string& source, int line_number) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && trim(field).empty()) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) throw Error(where(source, line_number, int(fields.size()) + 1) + "a quoted field is not closed");
  fields.push_back(was_quoted ? field : trim(field));
  return fields;
}

RawFile lines_of(const std::string& text, const std::string& source) {
  RawFile f{source, {}};
  // A UTF-8 byte order mark (some spreadsheets write one) is not part of the first field.
  std::size_t begin = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (int line = 1; begin <= text.size(); ++line) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + begin, end - begin);
    if (!trim(l).empty()) f.rows.push_back({line, split(l, source, line)});
    begin = end + 1;
  }
  return f;
}

std::optional<double> number(const std::string& s) {
  std::string_view v = s;
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  double x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return x;
}

std::optional<long> integer(const std::string& s) {
  long k = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), k);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return k;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A parsed file whose labels are still text.
struct Parsed {
  std::vector<std::string> feature_names;
  Table x;
  std::vector<std::string> labels;
  std::vector<int> lines, columns;
  std::string header_assumed;
};

// When the first row of a file labelled by number reads as a header although some of its
// fields are numbers (a data row with a typo?): which field made it a header. Else "".
std::string header_reason(const Row& first, int label_column) {
  std::string word;
  int numbers = 0;
  for (int c = 0; c < int(first.fields.size()); ++c) {
    if (c == label_column) continue;
    if (number(first.fields[std::size_t(c)]))
      ++numbers;
    else if (word.empty())
      word = first.fields[std::size_t(c)];
  }
  if (numbers == 0) return "";  // a header of names only: nothing to doubt
  return "line " + std::to_string(first.line) + " read as the header, since '" + word + "' is not a number; " +
         std::to_string(numbers) + " of its fields are numbers: if it is data, fix that field";
}

Parsed parse(const RawFile& f, const std::string& label) {
  if (f.rows.empty()) throw Error(where(f.source, 1, 1) + "empty file (no rows)");
  const Row& first = f.rows.front();
  const int columns = int(first.fields.size());
  if (columns < 2) throw Error(where(f.source, first.line, 1) + "one column only (need features and a label)");

  // The label column, 0-based.
  int label_column = -1;
  bool header = false;
  if (auto k = integer(label)) {
    if (*k == 0 || *k > columns || *k < -columns)
      throw OptionError("", "label",
                        " " + label + ": " + f.source + " has " + std::to_string(columns) + " columns (use 1.." +
                            std::to_string(columns) + ", a negative number from the end, or a name)");
    label_column = int(*k > 0 ? *k - 1 : columns + *k);
    for (int c = 0; c < columns; ++c)
      if (c != label_column && !number(first.fields[std::size_t(c)])) header = true;
  } else {  // a column named: the first row is the header by the user's word
    header = true;
    const auto it = std::find(first.fields.begin(), first.fields.end(), label);
    if (it == first.fields.end())
      throw OptionError(where(f.source, first.line, 1), "label",
                        " '" + label + "': no column of that name (columns: " + join(first.fields) + ")");
    label_column = int(it - first.fields.begin());
  }

  Parsed p;
  if (header && integer(label)) p.header_assumed = header_reason(first, label_column);
  for (int c = 0; c < columns; ++c) {
    if (c == label_column) continue;
    p.columns.push_back(c + 1);
    std::string name = header ? first.fields[std::size_t(c)] : std::to_string(c + 1);
    if (!header) name.insert(0, 1, 'x');  // x1, x2, ... (GCC 12 warns falsely on "x" + string)
    p.feature_names.push_back(std::move(name));
  }
  const std::size_t begin = header ? 1 : 0;
  const Eigen::Index n = Eigen::Index(f.rows.size() - begin);
  if (n == 0) throw Error(where(f.source, first.line + 1, 1) + "no data rows after the header");
  p.x.resize(n, columns - 1);
  p.labels.reserve(std::size_t(n));
  for (std::size_t r = begin; r < f.rows.size(); ++r) {
    const Row& row = f.rows[r];
    p.lines.push_back(row.line);
    const int got = int(row.fields.size());
    if (got != columns)
      throw Error(where(f.source, row.line, std::min(got, columns) + 1) + "row has " + std::to_string(got) +
                  " fields, expected " + std::to_string(columns));
    int j = 0;
    for (int c = 0; c < columns; ++c) {
      const std::string& text = row.fields[std::size_t(c)];
      if (c == label_column) {
        if (text.empty()) throw Error(where(f.source, row.line, c + 1) + "empty label");
        p.labels.push_back(text);
        continue;
      }
      const auto x = number(text);
      if (!x) throw Error(where(f.source, row.line, c + 1) + "'" + text + "' is not a number");
      if (!std::isfinite(*x)) throw Error(where(f.source, row.line, c + 1) + "'" + text + "' is not finite");
      p.x(Eigen::Index(r - begin), j++) = *x;
    }
  }
  return p;
}

// Class names from every file's labels: numeric order when all are numbers, else text order.
std::vector<std::string> classes_of(const std::vector<Parsed>& files) {
  std::vector<std::string> names;
  for (const Parsed& p : files) names.insert(names.end(), p.labels.begin(), p.labels.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) { return bool(number(s)); });
  if (numeric)
    std::stable_sort(names.begin(), names.end(),
                     [](const std::string& a, const std::string& b) { return *number(a) < *number(b); });
  return names;
}

std::vector<Dataset> finish(std::vector<Parsed> parsed, const std::vector<std::string>& sources) {
  const std::vector<std::string> classes = classes_of(parsed);
  if (classes.size() < 2)
    throw Error(sources.front() + ": the label column has one class only ('" +
                (classes.empty() ? std::string() : classes.front()) + "')");
  std::map<std::string, int> index;
  for (std::size_t k = 0; k < classes.size(); ++k) index[classes[k]] = int(k);
  std::vector<Dataset> out;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    Dataset d;
    d.name = sources[i];
    d.feature_names = std::move(parsed[i].feature_names);
    d.class_names = classes;
    d.x = std::move(parsed[i].x);
    d.lines = std::move(parsed[i].lines);
    d.columns = std::move(parsed[i].columns);
    d.header_assumed = std::move(parsed[i].header_assumed);
    for (const auto& l : parsed[i].labels) d.y.push_back(index.at(l));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Dataset parse_csv(const std::string& text, const std::string& source, const std::string& label) {
  std::vector<Parsed> p;
  p.push_back(parse(lines_of(text, source), label));
  return std::move(finish(std::move(p), {source}).front());
}

std::vector<Dataset> read_csv(const std::vector<std::string>& paths, const std::string& label) {
  std::vector<Parsed> parsed;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(path + ": cannot read");
    parsed.push_back(parse(lines_of(text.str(), path), label));
    if (parsed.size() > 1 && parsed.back().x.cols() != parsed.front().x.cols())
      throw Error(path + ": " + std::to_string(parsed.back().x.cols()) + " feature columns, but " + paths.front() +
                  " has " + std::to_string(parsed.front().x.cols()));
  }
  return finish(std::move(parsed), paths);
}

namespace {

// The samples in `order`: sample i becomes the one at order[i].
void reorder(Dataset& d, const std::vector<Eigen::Index>& order) {
  Table x(d.x.rows(), d.x.cols());
  std::vector<int> y(d.y.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    x.row(Eigen::Index(i)) = d.x.row(order[i]);
    y[i] = d.y[std::size_t(order[i])];
  }
  d.x = std::move(x);
  d.y = std::move(y);
  if (!d.lines.empty()) {
    std::vector<int> lines(d.lines.size());
    for (std::size_t i = 0; i < order.size(); ++i) lines[i] = d.lines[std::size_t(order[i])];
    d.lines = std::move(lines);
  }
}

std::vector<Eigen::Index> identity(const Dataset& d) {
  std::vector<Eigen::Index> order(std::size_t(d.size()));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = Eigen::Index(i);
  return order;
}

}  // namespace

void shuffle(Dataset& d, Rng& rng) {
  std::vector<Eigen::Index> order = identity(d);
  rng.shuffle(std::span(order));
  reorder(d, order);
}

Shuffle parse_shuffle(std::string_view name) {
  if (name == "numpy") return Shuffle::numpy;
  if (name == "descent") return Shuffle::descent;
  throw OptionError("", "shuffle", " '" + std::string(name) + "' is unknown (expected numpy or descent)");
}

std::string_view to_string(Shuffle s) { return s == Shuffle::numpy ? "numpy" : "descent"; }

std::vector<Eigen::Index> shuffle(Dataset& d, Shuffle how, std::uint64_t seed) {
  if (how == Shuffle::numpy && seed > 0xFFFFFFFFu)
    throw OptionError("", "seed",
                      " " + std::to_string(seed) + " is out of range [0, 4294967295] for the numpy shuffle");
  std::vector<Eigen::Index> order = identity(d);
  if (how == Shuffle::descent) {
    Rng rng(seed, Stream::data_order);
    rng.shuffle(std::span(order));
  } else {
    NumpyRandomState numpy(static_cast<std::uint32_t>(seed));
    numpy.shuffle(std::span(order));
  }
  reorder(d, order);
  return order;
}

std::pair<Dataset, Dataset> split_tail(const Dataset& d, Eigen::Index test_size) {
  if (test_size < 1 || test_size >= d.size())
    throw Error(d.name + ": cannot split " + std::to_string(d.size()) + " samples into " +
                std::to_string(d.size() - test_size) + " train and " + std::to_string(test_size) + " test");
  Dataset train = d, test = d;
  const Eigen::Index n = d.size() - test_size;
  train.x = d.x.topRows(n);
  train.y.assign(d.y.begin(), d.y.begin() + n);
  test.x = d.x.bottomRows(test_size);
  test.y.assign(d.y.begin() + n, d.y.end());
  if (!d.lines.empty()) {
    train.lines.assign(d.lines.begin(), d.lines.begin() + n);
    test.lines.assign(d.lines.begin() + n, d.lines.end());
  }
  return {std::move(train), std::move(test)};
}

void standardize(Dataset& train, Dataset& test) {
  const Eigen::RowVectorXd mean = train.x.colwise().mean();
  const Eigen::RowVectorXd sd =
      ((train.x.rowwise() - mean).array().square().colwise().sum() / double(train.size())).sqrt().matrix();
  const Eigen::RowVectorXd scale = sd.unaryExpr([](double v) { return v > 0 ? 1 / v : 1.0; });
  for (Dataset* d : {&train, &test}) d->x = ((d->x.rowwise() - mean).array().rowwise() * scale.array()).matrix();
}

}  // namespace descent::lab
