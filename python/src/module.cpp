// descent._core: the library's optimizers over memory that Python owns (NumPy arrays, torch
// tensors). Every parameter is a view: its values and gradient stay in the caller's arrays,
// which the Python side checks (dtype, C order, writable, CPU) and keeps alive; nanobind's
// ndarray, without conversion, is the second check, so no path here can copy a parameter.
// bfloat16 parameters come only from descent.torch, as addresses (param_at): NumPy has no
// bfloat16 dtype, and a uint16 array would be a parameter whose values NumPy misreads.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "descent/descent.hpp"
#include "descent/explain.hpp"
#include "descent/schedule_spec.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using descent::DType;
using descent::Param;
using Array = nb::ndarray<nb::device::cpu, nb::c_contig>;  // writable, C order, on the CPU

DType dtype_of(const Array& a, const std::string& name) {
  if (a.dtype() == nb::dtype<float>()) return DType::f32;
  if (a.dtype() == nb::dtype<double>()) return DType::f64;
  throw nb::type_error(("parameter '" + name + "': dtype is not float32 or float64").c_str());
}

descent::Shape shape_of(const Array& a) {
  descent::Shape s;
  for (std::size_t i = 0; i < a.ndim(); ++i) s.push_back(a.shape(i));
  return s;
}

// A view of one parameter: values and gradient of one dtype and size, in the caller's memory.
Param make_param(const std::string& name, DType dtype, void* value, const void* grad, std::size_t size,
                 descent::Shape shape) {
  if (shape.empty()) shape = {1};  // a 0-d array is one value
  switch (dtype) {
    case DType::f32:
      return Param(name, static_cast<float*>(value), static_cast<const float*>(grad), size, std::move(shape));
    case DType::bf16:
      return Param(name, static_cast<descent::bf16*>(value), static_cast<const descent::bf16*>(grad), size,
                   std::move(shape));
    case DType::f64:
      break;
  }
  return Param(name, static_cast<double*>(value), static_cast<const double*>(grad), size, std::move(shape));
}

// The dtype of a parameter's full-precision state: its own, float32 for a bfloat16 parameter
// (the library's; the master weights are float32 too).
DType state_values(DType param) { return param == DType::f64 ? DType::f64 : DType::f32; }

Param param_from_arrays(const std::string& name, Array value, Array grad) {
  const DType d = dtype_of(value, name);
  if (dtype_of(grad, name) != d || grad.size() != value.size())
    throw nb::type_error(("parameter '" + name + "': its gradient has another dtype or size").c_str());
  return make_param(name, d, value.data(), grad.data(), value.size(), shape_of(value));
}

nb::dict dict_of(std::initializer_list<std::pair<const char*, nb::object>> items) {
  nb::dict d;
  for (const auto& [k, v] : items) d[k] = v;
  return d;
}

std::string number_text(double x) {  // the shortest text that reads back as x exactly
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

// A fresh NumPy array holding a copy of `bytes`: n values of `width` bytes and NumPy dtype `dt`.
nb::object numpy_bytes(nb::dlpack::dtype dt, std::size_t width, const void* bytes, std::size_t n,
                       const descent::Shape& shape) {
  auto* data = new unsigned char[std::max<std::size_t>(n * width, 1)];
  std::memcpy(data, bytes, n * width);
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<unsigned char*>(p); });
  return nb::cast(nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, nullptr, dt));
}

// The same for n values of dtype d (f32 or f64).
nb::object numpy_copy(DType d, const void* bytes, std::size_t n, const descent::Shape& shape) {
  return d == DType::f32 ? numpy_bytes(nb::dtype<float>(), sizeof(float), bytes, n, shape)
                         : numpy_bytes(nb::dtype<double>(), sizeof(double), bytes, n, shape);
}

// A group's StateOptions as a dict, and back (an absent key keeps the default: a state_dict
// written before low-bit state had none, and meant f32).
nb::dict state_options_dict(const descent::StateOptions& o) {
  return dict_of({{"dtype", nb::cast(std::string(descent::to_string(o.dtype)))},
                  {"rounding", nb::cast(std::string(descent::to_string(o.rounding)))},
                  {"seed", nb::cast(o.seed)},
                  {"min_size", nb::cast(o.min_size)},
                  {"master_weights", nb::cast(o.master_weights)}});
}

descent::StateOptions state_options_of(nb::handle d) {
  descent::StateOptions o;
  nb::dict dict = nb::cast<nb::dict>(d);
  if (dict.contains("dtype")) o.dtype = descent::parse_state_dtype(nb::cast<std::string>(dict["dtype"]));
  if (dict.contains("rounding")) o.rounding = descent::parse_rounding(nb::cast<std::string>(dict["rounding"]));
  if (dict.contains("seed")) o.seed = nb::cast<std::uint64_t>(dict["seed"]);
  if (dict.contains("min_size")) o.min_size = nb::cast<std::uint64_t>(dict["min_size"]);
  if (dict.contains("master_weights")) o.master_weights = nb::cast<bool>(dict["master_weights"]);
  return o;
}

// The inverse of descent::to_string(DType): "float32", "float64", "bfloat16".
DType dtype_named(const std::string& name) {
  for (DType d : {DType::f32, DType::f64, DType::bf16})
    if (name == descent::to_string(d)) return d;
  throw nb::value_error(("parameter dtype '" + name + "' is not float32, float64 or bfloat16").c_str());
}

// One slot as Python holds it: f32, an array of the parameter's dtype in its shape (float32 for a
// bfloat16 parameter, and for its "master" slot); bf16, the
// uint16 bits in its shape; q8, {"codes": uint8 in its shape, "scales": float32, one per block}.
// The bytes exactly: loading them back resumes bit for bit.
nb::object slot_object(const descent::OptimizerState::Param& p, const descent::OptimizerState::Slot& slot) {
  std::size_t n = 1;
  for (std::size_t e : p.shape) n *= e;
  switch (slot.dtype) {
    case descent::StateDType::bf16:
      return numpy_bytes(nb::dtype<std::uint16_t>(), 2, slot.bytes.data(), n, p.shape);
    case descent::StateDType::q8: {
      const descent::Shape blocks{(slot.bytes.size() - n) / sizeof(float)};
      return dict_of({{"codes", numpy_bytes(nb::dtype<std::uint8_t>(), 1, slot.bytes.data(), n, p.shape)},
                      {"scales", numpy_bytes(nb::dtype<float>(), 4, slot.bytes.data() + n, blocks[0], blocks)}});
    }
    default:
      return numpy_copy(state_values(p.dtype), slot.bytes.data(), n, p.shape);
  }
}

using ReadOnly = nb::ndarray<nb::device::cpu, nb::c_contig, nb::ro>;

void append_bytes(std::vector<unsigned char>& out, const ReadOnly& a, nb::dlpack::dtype want, const std::string& where,
                  const char* what) {
  if (a.dtype() != want) throw nb::type_error((where + ": " + what).c_str());
  const auto* bytes = static_cast<const unsigned char*>(a.data());
  out.insert(out.end(), bytes, bytes + a.nbytes());
}

descent::OptimizerState::Slot slot_of(const descent::OptimizerState::Param& p, const std::string& name, nb::handle v) {
  descent::OptimizerState::Slot slot{name, {}, descent::StateDType::f32};
  const std::string where = "state of parameter '" + p.name + "', slot '" + name + "'";
  if (nb::isinstance<nb::dict>(v)) {
    slot.dtype = descent::StateDType::q8;
    nb::dict d = nb::cast<nb::dict>(v);
    if (!d.contains("codes") || !d.contains("scales"))
      throw nb::type_error((where + ": q8 state is a dict of 'codes' and 'scales'").c_str());
    append_bytes(slot.bytes, nb::cast<ReadOnly>(d["codes"]), nb::dtype<std::uint8_t>(), where, "codes are not uint8");
    append_bytes(slot.bytes, nb::cast<ReadOnly>(d["scales"]), nb::dtype<float>(), where, "scales are not float32");
    return slot;
  }
  auto a = nb::cast<ReadOnly>(v);
  if (a.dtype() == nb::dtype<std::uint16_t>()) {
    slot.dtype = descent::StateDType::bf16;
    append_bytes(slot.bytes, a, a.dtype(), where, "");
    return slot;
  }
  const DType values = state_values(p.dtype);
  const auto want = values == DType::f32 ? nb::dtype<float>() : nb::dtype<double>();
  append_bytes(slot.bytes, a, want, where,
               ("dtype is not " + std::string(descent::to_string(values)) + " (or uint16 bits of bf16 state)").c_str());
  return slot;
}

// The Python side's handle: the optimizer and the views it steps.
class PyOptimizer {
 public:
  PyOptimizer(const std::string& name, std::vector<Param> params, const std::string& convention,
              const std::vector<std::pair<std::string, std::string>>& overrides,
              const std::vector<std::string>& no_decay)
      : opt_(descent::make_optimizer(name, std::move(params), descent::parse_convention(convention), overrides,
                                     no_decay)) {}

  descent::Optimizer& get() { return *opt_; }

  // Points every parameter at the memory now holding it: a pair of addresses per parameter, in
  // params() order. The Python side checked each array; name, dtype and shape stay.
  void rebind(const std::vector<std::uintptr_t>& values, const std::vector<std::uintptr_t>& grads) {
    const auto& params = opt_->params();
    if (values.size() != params.size() || grads.size() != params.size())
      throw descent::Error("rebind: " + std::to_string(params.size()) + " parameters, " +
                           std::to_string(values.size()) + " values, " + std::to_string(grads.size()) + " gradients");
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      opt_->rebind(i, make_param(p.name(), p.dtype(), reinterpret_cast<void*>(values[i]),
                                 reinterpret_cast<const void*>(grads[i]), p.size(), p.shape()));
    }
  }

  nb::dict export_state() const {
    const descent::OptimizerState s = opt_->export_state();
    nb::list groups, params;
    for (const auto& g : s.groups) {
      nb::dict options;
      for (const auto& [k, v] : g.options) options[k.c_str()] = v;
      groups.append(dict_of({{"t", nb::cast(g.t)}, {"options", options}, {"state", state_options_dict(g.state)}}));
    }
    for (const auto& p : s.params) {
      nb::dict slots;
      for (const auto& slot : p.slots) slots[slot.name.c_str()] = slot_object(p, slot);
      params.append(dict_of({{"name", nb::cast(p.name)},
                             {"group", nb::cast(p.group)},
                             {"dtype", nb::cast(descent::to_string(p.dtype))},
                             {"shape", nb::tuple(nb::cast(p.shape))},
                             {"slots", slots}}));
    }
    return dict_of({{"optimizer", nb::cast(s.optimizer)},
                    {"skipped_steps", nb::cast(s.skipped_steps)},
                    {"groups", groups},
                    {"params", params}});
  }

  // The inverse of export_state (slots in slot_object's forms; a group without "state" is f32);
  // import_state checks everything before it changes anything.
  void import_state(nb::dict d) {
    descent::OptimizerState s;
    s.optimizer = nb::cast<std::string>(d["optimizer"]);
    s.skipped_steps = nb::cast<std::int64_t>(d["skipped_steps"]);
    for (nb::handle g : nb::cast<nb::list>(d["groups"])) {
      auto& out = s.groups.emplace_back();
      out.t = nb::cast<std::int64_t>(g["t"]);
      for (auto [k, v] : nb::cast<nb::dict>(g["options"]))
        out.options.emplace_back(nb::cast<std::string>(k), nb::cast<double>(v));
      if (nb::cast<nb::dict>(g).contains("state")) out.state = state_options_of(g["state"]);
    }
    for (nb::handle p : nb::cast<nb::list>(d["params"])) {
      auto& out = s.params.emplace_back();
      out.name = nb::cast<std::string>(p["name"]);
      out.group = nb::cast<std::size_t>(p["group"]);
      out.dtype = dtype_named(nb::cast<std::string>(p["dtype"]));
      out.shape = nb::cast<descent::Shape>(p["shape"]);
      for (auto [k, v] : nb::cast<nb::dict>(p["slots"])) out.slots.push_back(slot_of(out, nb::cast<std::string>(k), v));
    }
    opt_->import_state(s);
  }

 private:
  std::unique_ptr<descent::Optimizer> opt_;
};

nb::list option_values(descent::Optimizer& o, std::size_t group) {
  nb::list out;
  for (const auto& v : o.option_values(group))
    out.append(nb::make_tuple(std::string(v.name),
                              v.is_flag ? nb::object(nb::bool_(v.value != 0)) : nb::object(nb::float_(v.value))));
  return out;
}

// descent::explain's table as columns: NumPy arrays t, g, m, v (where the optimizer keeps
// them), eta, w, then the other slots by name; the run's options, w0 and diverged_at beside.
nb::dict explain_dict(const std::string& optimizer, const std::string& convention, const descent::Overrides& overrides,
                      const std::vector<double>& grads, double w0, nb::dict state) {
  const descent::ExplainTable table =
      descent::explain(optimizer, descent::parse_convention(convention), overrides, grads, w0, state_options_of(state));
  const std::size_t n = table.rows.size();
  const descent::Shape shape{n};
  auto column = [&](auto value_of) {
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = value_of(table.rows[i]);
    return numpy_copy(DType::f64, out.data(), n, shape);
  };
  using Row = descent::ExplainRow;
  nb::dict columns;
  columns["t"] = column([](const Row& r) { return double(r.t); });
  columns["g"] = column([](const Row& r) { return r.g; });
  if (n > 0 && table.rows[0].m) columns["m"] = column([](const Row& r) { return *r.m; });
  if (n > 0 && table.rows[0].v) columns["v"] = column([](const Row& r) { return *r.v; });
  columns["eta"] = column([](const Row& r) { return r.eta; });
  columns["w"] = column([](const Row& r) { return r.w; });
  for (std::size_t j = 0; j < table.extra_names.size(); ++j)
    columns[table.extra_names[j].c_str()] = column([j](const Row& r) { return r.extra[j]; });
  // Low-bit state: each slot in a float32-state run, its stored form (as `descent explain --format csv`)
  const bool q8 = table.state.dtype == descent::StateDType::q8;
  for (std::size_t k = 0; k < table.stored_names.size(); ++k) {
    const std::string& name = table.stored_names[k];
    columns[(name + "_f32").c_str()] = column([k](const Row& r) { return r.stored[k].f32; });
    columns[(name + (q8 ? "_code" : "_bits")).c_str()] = column([k](const Row& r) { return double(r.stored[k].code); });
    if (q8) columns[(name + "_scale").c_str()] = column([k](const Row& r) { return r.stored[k].scale; });
  }
  if (!table.stored_names.empty()) columns["w_f32"] = column([](const Row& r) { return r.w_f32; });
  nb::dict options;
  for (const auto& v : table.options)
    options[std::string(v.name).c_str()] =
        v.is_flag ? nb::object(nb::bool_(v.value != 0)) : nb::object(nb::float_(v.value));
  return dict_of({{"optimizer", nb::cast(table.optimizer)},
                  {"convention", nb::cast(std::string(descent::to_string(table.convention)))},
                  {"options", options},
                  {"w0", nb::cast(table.w0)},
                  {"diverged_at", nb::cast(table.diverged_at)},
                  {"state", state_options_dict(table.state)},
                  {"columns", columns}});
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "descent's optimizers over NumPy arrays and torch tensors, in place";
  auto error = nb::exception<descent::Error>(m, "Error", PyExc_ValueError);
  nb::exception<descent::OptionError>(m, "OptionError", error);
  nb::exception<descent::CheckpointError>(m, "CheckpointError", error);

  nb::class_<Param>(m, "Param")
      .def(nb::new_(&param_from_arrays), "name"_a, "value"_a.noconvert(), "grad"_a.noconvert())
      .def_prop_ro("name", &Param::name)
      .def_prop_ro("size", &Param::size)
      .def_prop_ro("shape", [](const Param& p) { return nb::tuple(nb::cast(p.shape())); })
      .def_prop_ro("dtype", [](const Param& p) { return std::string(descent::to_string(p.dtype())); });

  // A view at raw addresses, for descent.torch, which checked each tensor (CPU, dense, C order).
  m.def(
      "param_at",
      [](const std::string& name, DType dtype, std::uintptr_t value, std::uintptr_t grad, std::size_t size,
         descent::Shape shape) {
        return make_param(name, dtype, reinterpret_cast<void*>(value), reinterpret_cast<const void*>(grad), size,
                          std::move(shape));
      },
      "name"_a, "dtype"_a, "value"_a, "grad"_a, "size"_a, "shape"_a);

  nb::enum_<DType>(m, "DType").value("f32", DType::f32).value("f64", DType::f64).value("bf16", DType::bf16);

  // The whole registry (options, ranges, each convention's defaults, slots): descent::registry_json().
  m.def("registry_json", [] { return descent::registry_json(); });
  m.def("explain", &explain_dict, "optimizer"_a, "convention"_a, "overrides"_a, "grads"_a, "w0"_a,
        "state"_a = nb::dict());

  nb::class_<PyOptimizer>(m, "Optimizer")
      .def(nb::init<const std::string&, std::vector<Param>, const std::string&,
                    const std::vector<std::pair<std::string, std::string>>&, const std::vector<std::string>&>(),
           "name"_a, "params"_a, "convention"_a, "overrides"_a, "no_decay"_a)
      .def_prop_ro("name", [](PyOptimizer& o) { return std::string(o.get().name()); })
      .def(
          "step", [](PyOptimizer& o) { o.get().step(); }, nb::call_guard<nb::gil_scoped_release>())
      .def("group_count", [](PyOptimizer& o) { return o.get().group_count(); })
      .def("group_of", [](PyOptimizer& o, std::size_t i) { return o.get().group_of(i); })
      .def("add_group", [](PyOptimizer& o, std::vector<Param> params,
                           std::size_t like) { o.get().add_group_like(std::move(params), like); })
      .def(
          "t", [](PyOptimizer& o, std::size_t g) { return o.get().t(g); }, "group"_a = 0)
      .def(
          "lr", [](PyOptimizer& o, std::size_t g) { return o.get().lr(g); }, "group"_a = 0)
      .def(
          "set_lr", [](PyOptimizer& o, double lr, std::size_t g) { o.get().set_lr(lr, g); }, "lr"_a, "group"_a = 0)
      .def(
          "options", [](PyOptimizer& o, std::size_t g) { return option_values(o.get(), g); }, "group"_a = 0)
      .def("set_option", [](PyOptimizer& o, const std::string& name, const std::string& text,
                            std::size_t g) { o.get().set_option(name, text, g); })
      .def("set_number", [](PyOptimizer& o, const std::string& name, double x,
                            std::size_t g) { o.get().set_option(name, number_text(x), g); })
      .def("params",
           [](PyOptimizer& o) {
             nb::list out;
             for (const Param& p : o.get().params()) out.append(p);
             return out;
           })
      .def("slot_names",
           [](PyOptimizer& o) {
             std::vector<std::string> out;
             for (auto s : o.get().slot_names()) out.emplace_back(s);
             return out;
           })
      .def("state",
           [](PyOptimizer& o, std::size_t i, const std::string& slot) -> nb::object {
             const descent::SlotView v = o.get().state(i, slot);
             if (!v) return nb::none();
             return numpy_copy(v.dtype, v.data, v.size, o.get().params()[i].shape());
           })
      // The slots parameter i keeps, then "master" if it keeps master weights (as export_state).
      .def("kept_slots",
           [](PyOptimizer& o, std::size_t i) {
             std::vector<std::string> out;
             for (auto s : o.get().slot_names())
               if (o.get().state(i, s)) out.emplace_back(s);
             if (o.get().state(i, descent::master_slot)) out.emplace_back(descent::master_slot);
             return out;
           })
      .def(
          "set_state_options",
          [](PyOptimizer& o, nb::dict options, std::size_t g) {
            o.get().set_state_options(state_options_of(options), g);
          },
          "options"_a, "group"_a = 0)
      .def(
          "state_options", [](PyOptimizer& o, std::size_t g) { return state_options_dict(o.get().state_options(g)); },
          "group"_a = 0)
      .def("state_dtype",
           [](PyOptimizer& o, std::size_t i) { return std::string(descent::to_string(o.get().state_dtype(i))); })
      .def("state_bytes", [](PyOptimizer& o) { return o.get().state_bytes(); })
      .def("rebind", &PyOptimizer::rebind)
      .def("export_state", &PyOptimizer::export_state)
      .def("import_state", &PyOptimizer::import_state)
      .def("set_threads", [](PyOptimizer& o, int n) { o.get().set_threads(n); })
      .def("threads", [](PyOptimizer& o) { return o.get().threads(); })
      .def("set_nonfinite",
           [](PyOptimizer& o, const std::string& p) { o.get().set_nonfinite(descent::parse_nonfinite(p)); })
      .def("nonfinite", [](PyOptimizer& o) { return std::string(descent::to_string(o.get().nonfinite())); })
      .def("skipped_steps", [](PyOptimizer& o) { return o.get().skipped_steps(); })
      .def("set_grad_scale", [](PyOptimizer& o, double s) { o.get().set_grad_scale(s); })
      .def("clip_grad_norm",
           [](PyOptimizer& o, double max_norm, bool error_if_nonfinite) {
             return descent::clip_grad_norm(o.get(), max_norm, error_if_nonfinite);
           })
      .def("global_grad_norm", [](PyOptimizer& o) { return descent::global_grad_norm(o.get()); })
      .def("clip_grad_value", [](PyOptimizer& o, double clip) { descent::clip_grad_value(o.get().params(), clip); })
      .def("save",
           [](PyOptimizer& o, const std::string& path) {
             descent::Checkpoint c;
             c.put_training(o.get());
             c.save(path);
           })
      .def("load",
           [](PyOptimizer& o, const std::string& path) { descent::Checkpoint::load(path).restore_training(o.get()); });

  nb::class_<descent::Scheduler>(m, "Scheduler")
      .def(
          "__init__",
          [](descent::Scheduler* self, PyOptimizer& o, const std::string& spec) {
            new (self) descent::Scheduler(o.get(), descent::parse_schedule(spec).schedule);
          },
          "optimizer"_a, "spec"_a, nb::keep_alive<1, 2>())
      .def("step", [](descent::Scheduler& s) { s.step(); })
      .def("step_metric", [](descent::Scheduler& s, double metric) { s.step(metric); })
      .def("steps", &descent::Scheduler::steps)
      .def("lr", &descent::Scheduler::lr, "group"_a = 0);
}
