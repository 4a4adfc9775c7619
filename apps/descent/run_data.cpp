// The data of a lab run: the data set and its split (--dataset, --label, --test, --normalize,
// --shuffle, --seed), the float32 check of its values, and the --init / --dump-params files.
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "descent/error.hpp"
#include "run_parts.hpp"

namespace descent::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

std::optional<double> fraction(const std::string& s) {
  double x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return x;
}

}  // namespace

Experiment load(const LabArgs& a) {
  Experiment e;
  e.dataset = a.dataset;
  const bool builtin = a.dataset == "iris" || a.dataset == "digits";
  const std::optional<double> test_fraction = fraction(a.test);
  if (test_fraction && !(*test_fraction > 0 && *test_fraction < 1))
    throw OptionError(fmt::format("--test {}: a fraction must be in (0, 1)", a.test));
  e.normalize = a.normalize != "auto" ? a.normalize : a.dataset == "iris" ? "none" : "standard";
  if (builtin && a.label) throw OptionError("--label applies to a CSV --dataset, not to " + a.dataset);
  if (builtin && !test_fraction) throw OptionError("--test FILE applies to a CSV --dataset, not to " + a.dataset);
  if (!builtin && !fs::is_regular_file(a.dataset))
    throw OptionError(fmt::format("--dataset '{}': not iris, digits or a readable file", a.dataset));
  if (!test_fraction && !fs::is_regular_file(a.test))
    throw OptionError(fmt::format("--test '{}': neither a fraction in (0, 1) nor a readable file", a.test));

  const lab::Shuffle order = lab::parse_shuffle(a.shuffle);
  if (!test_fraction) {  // a separate test file: only the training set is shuffled
    auto sets = lab::read_csv({a.dataset, a.test}, a.label.value_or("-1"));
    e.train = std::move(sets[0]);
    e.test = std::move(sets[1]);
    lab::shuffle(e.train, order, a.seed);
    e.samples = e.train.size() + e.test.size();
    if (e.normalize == "standard") lab::standardize(e.train, e.test);
    return e;
  }
  lab::Dataset all = a.dataset == "iris"     ? lab::iris()
                     : a.dataset == "digits" ? lab::digits()
                                             : std::move(lab::read_csv({a.dataset}, a.label.value_or("-1")).front());
  // The tutorial: shuffle everything with the seed, the last 30 of 150 (a fifth) test.
  const std::vector<Eigen::Index> rows = lab::shuffle(all, order, a.seed);
  e.samples = all.size();
  const auto test_size = Eigen::Index(std::llround(double(all.size()) * *test_fraction));
  if (test_size >= 1 && test_size < all.size()) e.test_rows.assign(rows.end() - test_size, rows.end());
  auto [train, test] = lab::split_tail(all, test_size);
  e.train = std::move(train);
  e.test = std::move(test);
  if (e.normalize == "standard") lab::standardize(e.train, e.test);
  return e;
}

// A value float32 cannot hold would reach the model as inf and come back as a NaN gradient:
// under --nonfinite error, name the cell instead (FILE:LINE:COLUMN for a CSV file). skip and
// zero are the user's choice to train through such values, so they see them as gradients.
void check_fits(const lab::Dataset& d, const LabArgs& a) {
  if (a.dtype == "f64" || a.nonfinite != "error") return;  // bf16 weights: the data is float32
  for (Eigen::Index i = 0; i < d.x.rows(); ++i)
    for (Eigen::Index j = 0; j < d.x.cols(); ++j) {
      const double x = d.x(i, j);
      if (std::abs(x) <= double(std::numeric_limits<float>::max())) continue;
      const std::string where =
          d.lines.empty() ? fmt::format("{}: sample {}, feature {}", d.name, i + 1, j + 1)
                          : fmt::format("{}:{}:{}", d.name, d.lines[std::size_t(i)], d.columns[std::size_t(j)]);
      throw Error(
          fmt::format("{}: {} does not fit in float32 (--dtype {}, largest {}): use --dtype f64 or "
                      "--normalize standard",
                      where, format_number(x), a.dtype, format_number(double(std::numeric_limits<float>::max()))));
    }
}

// ---- --init and --dump-params -------------------------------------------------------------

namespace {

json nested(std::span<const double> values, const Shape& shape, std::size_t dim = 0) {
  json a = json::array();
  std::size_t stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (std::size_t i = 0; i < shape[dim]; ++i) {
    if (dim + 1 == shape.size())
      a.push_back(values[i]);
    else
      a.push_back(nested(values.subspan(i * stride, stride), shape, dim + 1));
  }
  return a;
}

std::string shape_text(const Shape& s) {
  std::string t;
  for (auto d : s) t += (t.empty() ? "" : "x") + std::to_string(d);
  return t;
}

void flatten(const json& j, const Shape& shape, std::size_t dim, std::vector<double>& out, const std::string& where) {
  if (!j.is_array() || j.size() != shape[dim])
    throw Error(fmt::format("{}: expected shape {} (nested arrays, {} at depth {})", where, shape_text(shape),
                            shape[dim], dim + 1));
  for (const json& v : j) {
    if (dim + 1 < shape.size()) {
      flatten(v, shape, dim + 1, out, where);
    } else {
      if (!v.is_number()) throw Error(fmt::format("{}: '{}' is not a number", where, v.dump()));
      out.push_back(v.get<double>());
    }
  }
}

}  // namespace

std::map<std::string, std::vector<double>> read_init(const std::string& path, const std::vector<Param>& params) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("--init {}: cannot open", path));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("--init {}: not JSON ({})", path, e.what()));
  }
  if (!j.is_object())
    throw Error(fmt::format("--init {}: expected an object of parameter name -> nested arrays", path));
  std::map<std::string, std::vector<double>> values;
  for (const Param& p : params) {
    if (!j.contains(p.name()))
      throw Error(fmt::format("--init {}: parameter '{}' ({}) is missing", path, p.name(), shape_text(p.shape())));
    flatten(j[p.name()], p.shape(), 0, values[p.name()], fmt::format("--init {}: parameter '{}'", path, p.name()));
  }
  for (const auto& [name, value] : j.items())
    if (!values.count(name)) throw Error(fmt::format("--init {}: the model has no parameter '{}'", path, name));
  return values;
}

template <class T>
json dump(const std::vector<Param>& params) {
  json j = json::object();
  for (const Param& p : params) {
    const auto v = p.value<T>();
    const std::vector<double> values(v.begin(), v.end());
    j[p.name()] = nested(values, p.shape());
  }
  return j;
}

template json dump<float>(const std::vector<Param>&);
template json dump<double>(const std::vector<Param>&);

}  // namespace descent::cli
