#pragma once
// Checkpoints: descent's own versioned binary format (docs/checkpoints.md). A checkpoint is a
// list of named, typed sections; an optimizer's state is one section, and a training run adds
// its own (model parameters, schedule position, RNG state, epoch/batch cursor) beside it.
// Files are written atomically and checked in full (magic, version, CRC-32C) before anything is
// taken from them; every loading error is one line naming the source and the problem.
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "descent/optimizer.hpp"
#include "descent/state.hpp"

namespace descent {

// A checkpoint that cannot be read or does not fit: "checkpoint 'run.ckpt': <problem>".
class CheckpointError : public Error {
 public:
  using Error::Error;
};

class Checkpoint {
 public:
  // 2: low-bit state (each group's state options, each slot's storage). Version 1 files load.
  static constexpr std::uint32_t format_version = 2;

  enum class Type : std::uint8_t { bytes = 1, text = 2, i64 = 3, f64 = 4, tensor = 5, optimizer = 6 };

  // A parameter's values, as stored: dtype, shape and the values in native byte order.
  struct Tensor {
    DType dtype = DType::f64;
    Shape shape;
    std::vector<unsigned char> data;
  };

  // put_*: adds a section, or replaces the one of the same name.
  void put_bytes(const std::string& name, std::vector<unsigned char> bytes);
  void put_text(const std::string& name, std::string_view text);
  void put_i64(const std::string& name, const std::vector<std::int64_t>& values);
  void put_f64(const std::string& name, const std::vector<double>& values);
  void put_tensor(const std::string& name, const Tensor& tensor);
  void put_values(const std::string& name, const Param& param);  // the parameter's values as a tensor
  // Every parameter's values, as sections prefix + name ("model/" + "layer1.weight").
  void put_params(const std::string& prefix, const std::vector<Param>& params);
  void put_optimizer(const std::string& name, const OptimizerState& state);
  void put_optimizer(const Optimizer& optimizer, const std::string& name = "optimizer") {
    put_optimizer(name, optimizer.export_state());
  }

  bool has(std::string_view name) const;
  std::vector<std::string> names() const;  // in the order they were added
  Type type(std::string_view name) const;  // throws CheckpointError for a missing section
  // Typed reads: throw CheckpointError when the section is missing or of another type.
  std::vector<unsigned char> bytes(std::string_view name) const;
  std::string text(std::string_view name) const;
  std::vector<std::int64_t> i64(std::string_view name) const;
  std::vector<double> f64(std::string_view name) const;
  Tensor tensor(std::string_view name) const;
  OptimizerState optimizer_state(std::string_view name = "optimizer") const;

  // Copies sections prefix + name into every parameter's values. All are checked (present,
  // dtype, shape) before any is written, so on error no parameter has changed.
  void restore_params(const std::string& prefix, const std::vector<Param>& params) const;
  // Loads the optimizer's state from a section (import_state: all or nothing).
  void restore_optimizer(Optimizer& optimizer, std::string_view name = "optimizer") const;

  // A training run's model and optimizer together: the values of optimizer.params() (which
  // view the model's memory) as sections prefix + name, and the state as section "optimizer".
  void put_training(const Optimizer& optimizer, const std::string& prefix = "model/") {
    put_params(prefix, optimizer.params());
    put_optimizer(optimizer);
  }
  // All or nothing: every value section and the state are checked before anything is written.
  void restore_training(Optimizer& optimizer, const std::string& prefix = "model/") const;

  // The whole checkpoint: header, sections, checksums.
  std::string serialize() const;
  void write(std::ostream& out) const;                 // throws Error if the stream fails
  void save(const std::filesystem::path& path) const;  // atomic (write_atomically)
  // `source` names the stream in error messages.
  static Checkpoint parse(std::string_view bytes, const std::string& source);
  static Checkpoint read(std::istream& in, const std::string& source = "<stream>");
  static Checkpoint load(const std::filesystem::path& path);

  const std::string& source() const { return source_; }  // where it was read from

 private:
  struct Section {
    std::string name;
    Type type;
    std::string body;  // encoded
  };
  const Section& find(std::string_view name, Type type) const;
  std::vector<Tensor> checked_values(const std::string& prefix, const std::vector<Param>& params) const;
  void put(const std::string& name, Type type, std::string body);
  [[noreturn]] void fail(const std::string& problem) const;

  std::vector<Section> sections_;
  std::string source_ = "<memory>";
};

// An optimizer's state alone, in a checkpoint with the one section "optimizer".
void save_optimizer(const Optimizer& optimizer, std::ostream& out);
void save_optimizer(const Optimizer& optimizer, const std::filesystem::path& path);
// On any error (unreadable, corrupt, another optimizer, other parameters) throws
// CheckpointError and leaves the optimizer exactly as it was.
void load_optimizer(Optimizer& optimizer, std::istream& in, const std::string& source = "<stream>");
void load_optimizer(Optimizer& optimizer, const std::filesystem::path& path);

}  // namespace descent
