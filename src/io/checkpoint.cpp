// The checkpoint format (docs/checkpoints.md has the byte layout). All integers and values are
// little-endian whatever the machine; every length is checked against the bytes that are
// really there before anything is allocated or copied, so no file can make the reader crash.
#include "descent/checkpoint.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>

#include "descent/atomic_file.hpp"
#include "descent/crc32c.hpp"
#include "descent/detail/param_bytes.hpp"

namespace descent {
namespace {

// std::bit_cast, which emscripten's libc++ (web/) does not have yet.
template <class To, class From>
To bits_as(const From& x) {
  static_assert(sizeof(To) == sizeof(From));
  To y;
  std::memcpy(&y, &x, sizeof y);
  return y;
}

constexpr std::array<unsigned char, 8> magic{0x89, 'D', 'S', 'C', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t header_size = 32;
constexpr std::size_t max_name = 65535;
constexpr std::uint32_t max_rank = 64;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// The fuzzers (fuzz/) reach the section parser only if a mutated file need not carry a
// matching checksum; the checks themselves are covered by tests/checkpoint_test.cpp.
constexpr bool verify_checksums = false;
#else
constexpr bool verify_checksums = true;
#endif

// Full-precision state is float32 for float32 and bfloat16 parameters.
std::size_t state_width(DType d) { return d == DType::f64 ? sizeof(double) : sizeof(float); }

// Appends little-endian encodings to a string.
struct Writer {
  std::string out;

  template <class U>
  void uint(U x) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(char((x >> (8 * i)) & 0xff));
  }
  void u8(std::uint8_t x) { uint(x); }
  void u32(std::uint32_t x) { uint(x); }
  void u64(std::uint64_t x) { uint(x); }
  void i64(std::int64_t x) { uint(std::uint64_t(x)); }
  void f64(double x) { uint(bits_as<std::uint64_t>(x)); }
  void str(std::string_view s) {
    u32(std::uint32_t(s.size()));
    out.append(s);
  }
  // count values of `w` bytes each, from native byte order.
  void values(const unsigned char* data, std::size_t count, std::size_t w) {
    if constexpr (std::endian::native == std::endian::little) {
      out.append(reinterpret_cast<const char*>(data), count * w);
    } else {
      for (std::size_t i = 0; i < count; ++i)
        for (std::size_t b = w; b-- > 0;) out.push_back(char(data[i * w + b]));
    }
  }
  void dtype(DType d) { u8(d == DType::f32 ? 1 : d == DType::f64 ? 2 : 3); }  // 3: bfloat16
  void shape(const Shape& s) {
    u32(std::uint32_t(s.size()));
    for (std::size_t d : s) u64(d);
  }
};

// Reads what Writer wrote; every read checks that the bytes are there.
struct Reader {
  std::string_view in;
  std::size_t pos = 0;
  const Checkpoint* owner;
  std::string what;  // the part being read, for errors

  [[noreturn]] void fail(const std::string& problem) const;

  const unsigned char* take(std::size_t n) {
    if (n > in.size() - pos)
      fail("needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos) + ", has " +
           std::to_string(in.size() - pos));
    const auto* p = reinterpret_cast<const unsigned char*>(in.data() + pos);
    pos += n;
    return p;
  }
  template <class U>
  U uint() {
    const unsigned char* p = take(sizeof(U));
    U x = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) x |= U(p[i]) << (8 * i);
    return x;
  }
  std::uint8_t u8() { return uint<std::uint8_t>(); }
  std::uint32_t u32() { return uint<std::uint32_t>(); }
  std::uint64_t u64() { return uint<std::uint64_t>(); }
  std::int64_t i64() { return std::int64_t(u64()); }
  double f64() { return bits_as<double>(u64()); }
  std::string str() {
    const std::uint32_t n = u32();
    if (n > max_name) fail("a name of " + std::to_string(n) + " bytes (at most " + std::to_string(max_name) + ")");
    return std::string(reinterpret_cast<const char*>(take(n)), n);
  }
  std::vector<unsigned char> values(std::size_t count, std::size_t w) {
    if (count > (in.size() - pos) / w)
      fail(std::to_string(count) + " values of " + std::to_string(w) + " bytes, but only " +
           std::to_string(in.size() - pos) + " bytes remain");
    const unsigned char* p = take(count * w);
    std::vector<unsigned char> out(p, p + count * w);
    if constexpr (std::endian::native != std::endian::little)
      for (std::size_t i = 0; i < count; ++i) std::reverse(out.begin() + i * w, out.begin() + (i + 1) * w);
    return out;
  }
  StateDType state_dtype() {
    const std::uint8_t d = u8();
    if (d < 1 || d > 3) fail("unknown state dtype code " + std::to_string(d));
    return StateDType(d);
  }
  DType dtype() {
    const std::uint8_t d = u8();
    if (d < 1 || d > 3) fail("unknown dtype code " + std::to_string(d));
    return d == 1 ? DType::f32 : d == 2 ? DType::f64 : DType::bf16;
  }
  Shape shape() {
    const std::uint32_t rank = u32();
    if (rank > max_rank)
      fail("a shape of rank " + std::to_string(rank) + " (at most " + std::to_string(max_rank) + ")");
    Shape s(rank);
    for (auto& d : s) d = std::size_t(u64());
    return s;
  }
  std::size_t numel(const Shape& s) {
    std::size_t n = 1;
    for (std::size_t d : s)
      if (__builtin_mul_overflow(n, d, &n)) fail("a shape whose size overflows");
    return n;
  }
  void end() {
    if (pos != in.size()) fail(std::to_string(in.size() - pos) + " bytes left over");
  }
};

std::string encode(const Checkpoint::Tensor& t) {
  Writer w;
  w.dtype(t.dtype);
  w.shape(t.shape);
  w.values(t.data.data(), t.data.size() / detail::dtype_bytes(t.dtype), detail::dtype_bytes(t.dtype));
  return std::move(w.out);
}

Checkpoint::Tensor decode_tensor(Reader& r) {
  Checkpoint::Tensor t;
  t.dtype = r.dtype();
  t.shape = r.shape();
  t.data = r.values(r.numel(t.shape), detail::dtype_bytes(t.dtype));
  return t;
}

// A slot's bytes as values of their own width: q8's codes are bytes and its scales float32.
struct SlotLayout {
  std::size_t count, width, tail;  // count values of width bytes, then tail float32 values
};
SlotLayout layout(StateDType d, DType param, std::size_t n) {
  switch (d) {
    case StateDType::bf16:
      return {n, 2, 0};
    case StateDType::q8:
      return {n, 1, (n + 255) / 256};
    case StateDType::f32:
      break;
  }
  return {n, state_width(param), 0};
}

// Version 2 adds each group's state options and each slot's storage (docs/checkpoints.md).
std::string encode(const OptimizerState& s) {
  Writer w;
  w.str(s.optimizer);
  w.i64(s.skipped_steps);
  w.u32(std::uint32_t(s.groups.size()));
  for (const auto& g : s.groups) {
    w.i64(g.t);
    w.u32(std::uint32_t(g.options.size()));
    for (const auto& [name, value] : g.options) {
      w.str(name);
      w.f64(value);
    }
    w.u8(std::uint8_t(g.state.dtype));
    w.u8(std::uint8_t(g.state.rounding));
    w.u64(g.state.seed);
    w.u64(g.state.min_size);
  }
  w.u32(std::uint32_t(s.params.size()));
  for (const auto& p : s.params) {
    w.str(p.name);
    w.u32(std::uint32_t(p.group));
    w.dtype(p.dtype);
    w.shape(p.shape);
    w.u32(std::uint32_t(p.slots.size()));
    std::size_t n = 1;
    for (std::size_t d : p.shape) n *= d;
    for (const auto& slot : p.slots) {
      w.str(slot.name);
      w.u8(std::uint8_t(slot.dtype));
      const SlotLayout l = layout(slot.dtype, p.dtype, n);
      if (slot.bytes.size() != l.count * l.width + l.tail * 4)
        throw Error("checkpoint: state slot '" + slot.name + "' of parameter '" + p.name + "' has " +
                    std::to_string(slot.bytes.size()) + " bytes, its shape and storage need " +
                    std::to_string(l.count * l.width + l.tail * 4));
      w.values(slot.bytes.data(), l.count, l.width);
      w.values(slot.bytes.data() + l.count * l.width, l.tail, 4);
    }
  }
  return std::move(w.out);
}

// Reads version 2, or version 1 (no state options, every slot in the parameter's dtype).
OptimizerState decode_state(Reader& r, std::uint32_t version) {
  OptimizerState s;
  s.optimizer = r.str();
  s.skipped_steps = r.i64();
  for (std::uint32_t g = r.u32(); g > 0; --g) {
    OptimizerState::Group& group = s.groups.emplace_back();
    group.t = r.i64();
    for (std::uint32_t k = r.u32(); k > 0; --k) {
      std::string name = r.str();
      group.options.emplace_back(std::move(name), r.f64());
    }
    if (version >= 2) {
      group.state.dtype = r.state_dtype();
      const std::uint8_t rounding = r.u8();
      if (rounding != 1 && rounding != 2) r.fail("unknown state rounding code " + std::to_string(rounding));
      group.state.rounding = Rounding(rounding);
      group.state.seed = r.u64();
      group.state.min_size = r.u64();
    }
  }
  for (std::uint32_t n = r.u32(); n > 0; --n) {
    OptimizerState::Param& p = s.params.emplace_back();
    p.name = r.str();
    p.group = r.u32();
    p.dtype = r.dtype();
    p.shape = r.shape();
    const std::size_t count = r.numel(p.shape);
    for (std::uint32_t k = r.u32(); k > 0; --k) {
      OptimizerState::Slot& slot = p.slots.emplace_back();
      slot.name = r.str();
      if (version >= 2) slot.dtype = r.state_dtype();
      const SlotLayout l = layout(slot.dtype, p.dtype, count);
      slot.bytes = r.values(l.count, l.width);
      const std::vector<unsigned char> tail = r.values(l.tail, 4);
      slot.bytes.insert(slot.bytes.end(), tail.begin(), tail.end());
      // The master weights are a slot of their own, so the file says master_weights by holding one.
      if (slot.name == master_slot && p.group < s.groups.size()) s.groups[p.group].state.master_weights = true;
    }
  }
  return s;
}

const char* type_name(Checkpoint::Type t) {
  switch (t) {
    case Checkpoint::Type::bytes:
      return "bytes";
    case Checkpoint::Type::text:
      return "text";
    case Checkpoint::Type::i64:
      return "i64";
    case Checkpoint::Type::f64:
      return "f64";
    case Checkpoint::Type::tensor:
      return "tensor";
    case Checkpoint::Type::optimizer:
      return "optimizer";
  }
  return "?";
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string hex(std::uint32_t x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", x);
  return buf;
}

std::uint32_t load32(const unsigned char* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

struct Header {
  std::uint64_t payload_size;
  std::uint32_t payload_crc;
  std::uint32_t version;
};

}  // namespace

void Reader::fail(const std::string& problem) const {
  throw CheckpointError("checkpoint '" + owner->source() + "': " + what + ": " + problem);
}

void Checkpoint::fail(const std::string& problem) const {
  throw CheckpointError("checkpoint '" + source_ + "': " + problem);
}

void Checkpoint::put(const std::string& name, Type type, std::string body) {
  if (name.empty() || name.size() > max_name)
    throw Error("checkpoint section name must have 1 to " + std::to_string(max_name) + " bytes");
  for (Section& s : sections_)
    if (s.name == name) {
      s.type = type;
      s.body = std::move(body);
      return;
    }
  sections_.push_back({name, type, std::move(body)});
}

void Checkpoint::put_bytes(const std::string& name, std::vector<unsigned char> bytes) {
  put(name, Type::bytes, std::string(bytes.begin(), bytes.end()));
}
void Checkpoint::put_text(const std::string& name, std::string_view text) { put(name, Type::text, std::string(text)); }
void Checkpoint::put_i64(const std::string& name, const std::vector<std::int64_t>& values) {
  Writer w;
  for (std::int64_t x : values) w.i64(x);
  put(name, Type::i64, std::move(w.out));
}
void Checkpoint::put_f64(const std::string& name, const std::vector<double>& values) {
  Writer w;
  for (double x : values) w.f64(x);
  put(name, Type::f64, std::move(w.out));
}
void Checkpoint::put_tensor(const std::string& name, const Tensor& t) {
  std::size_t n = 1;
  for (std::size_t d : t.shape) n *= d;
  if (t.data.size() != n * detail::dtype_bytes(t.dtype))
    throw Error("checkpoint tensor '" + name + "': " + std::to_string(t.data.size()) + " bytes for shape " +
                shape_text(t.shape));
  put(name, Type::tensor, encode(t));
}
void Checkpoint::put_values(const std::string& name, const Param& p) {
  Tensor t{p.dtype(), p.shape(), {}};
  const unsigned char* data = detail::value_bytes(p);
  t.data.assign(data, data + p.size() * detail::dtype_bytes(p.dtype()));
  put(name, Type::tensor, encode(t));
}
void Checkpoint::put_params(const std::string& prefix, const std::vector<Param>& params) {
  for (const Param& p : params) put_values(prefix + p.name(), p);
}
void Checkpoint::put_optimizer(const std::string& name, const OptimizerState& state) {
  put(name, Type::optimizer, encode(state));
}

bool Checkpoint::has(std::string_view name) const {
  return std::any_of(sections_.begin(), sections_.end(), [&](const Section& s) { return s.name == name; });
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const Section& s : sections_) out.push_back(s.name);
  return out;
}

Checkpoint::Type Checkpoint::type(std::string_view name) const {
  for (const Section& s : sections_)
    if (s.name == name) return s.type;
  fail("no section '" + std::string(name) + "'");
}

const Checkpoint::Section& Checkpoint::find(std::string_view name, Type type) const {
  for (const Section& s : sections_) {
    if (s.name != name) continue;
    if (s.type != type) fail("section '" + s.name + "' holds " + type_name(s.type) + ", not " + type_name(type));
    return s;
  }
  fail("no section '" + std::string(name) + "'");
}

std::vector<unsigned char> Checkpoint::bytes(std::string_view name) const {
  const std::string& b = find(name, Type::bytes).body;
  return {b.begin(), b.end()};
}
std::string Checkpoint::text(std::string_view name) const { return find(name, Type::text).body; }
std::vector<std::int64_t> Checkpoint::i64(std::string_view name) const {
  Reader r{find(name, Type::i64).body, 0, this, "section '" + std::string(name) + "'"};
  std::vector<std::int64_t> out(r.in.size() / 8);
  for (auto& x : out) x = r.i64();
  r.end();
  return out;
}
std::vector<double> Checkpoint::f64(std::string_view name) const {
  Reader r{find(name, Type::f64).body, 0, this, "section '" + std::string(name) + "'"};
  std::vector<double> out(r.in.size() / 8);
  for (auto& x : out) x = r.f64();
  r.end();
  return out;
}
Checkpoint::Tensor Checkpoint::tensor(std::string_view name) const {
  Reader r{find(name, Type::tensor).body, 0, this, "section '" + std::string(name) + "'"};
  Tensor t = decode_tensor(r);
  r.end();
  return t;
}
OptimizerState Checkpoint::optimizer_state(std::string_view name) const {
  Reader r{find(name, Type::optimizer).body, 0, this, "section '" + std::string(name) + "'"};
  OptimizerState s = decode_state(r, format_version);
  r.end();
  return s;
}

std::vector<Checkpoint::Tensor> Checkpoint::checked_values(const std::string& prefix,
                                                           const std::vector<Param>& params) const {
  std::vector<Tensor> found;
  for (const Param& p : params) {
    Tensor t = tensor(prefix + p.name());
    if (t.dtype != p.dtype())
      fail("parameter '" + p.name() + "' is " + to_string(t.dtype) + " in the checkpoint, " + to_string(p.dtype()) +
           " here");
    if (t.shape != p.shape())
      fail("parameter '" + p.name() + "' has shape " + shape_text(t.shape) + " in the checkpoint, " +
           shape_text(p.shape()) + " here");
    found.push_back(std::move(t));
  }
  return found;
}

namespace {
void copy_values(const std::vector<Param>& params, const std::vector<Checkpoint::Tensor>& values) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    std::memcpy(detail::value_bytes(p), values[i].data.data(), values[i].data.size());
  }
}
}  // namespace

void Checkpoint::restore_params(const std::string& prefix, const std::vector<Param>& params) const {
  copy_values(params, checked_values(prefix, params));
}

void Checkpoint::restore_training(Optimizer& optimizer, const std::string& prefix) const {
  const std::vector<Tensor> values = checked_values(prefix, optimizer.params());
  restore_optimizer(optimizer);  // the last step that can fail
  copy_values(optimizer.params(), values);
}

void Checkpoint::restore_optimizer(Optimizer& optimizer, std::string_view name) const {
  const OptimizerState s = optimizer_state(name);
  try {
    optimizer.import_state(s);
  } catch (const Error& e) {
    fail(std::string("does not fit this optimizer: ") + e.what());
  }
}

std::string Checkpoint::serialize() const {
  Writer payload;
  payload.u32(std::uint32_t(sections_.size()));
  for (const Section& s : sections_) {
    payload.str(s.name);
    payload.u8(std::uint8_t(s.type));
    payload.u64(s.body.size());
    payload.out.append(s.body);
  }
  Writer w;
  w.out.assign(magic.begin(), magic.end());
  w.u32(format_version);
  w.u32(0);  // flags: none defined in versions 1 and 2
  w.u64(payload.out.size());
  w.u32(crc32c(payload.out.data(), payload.out.size()));
  w.u32(crc32c(w.out.data(), w.out.size()));
  w.out.append(payload.out);
  return std::move(w.out);
}

void Checkpoint::write(std::ostream& out) const {
  const std::string bytes = serialize();
  out.write(bytes.data(), std::streamsize(bytes.size()));
  out.flush();
  if (!out) throw Error("checkpoint: writing " + std::to_string(bytes.size()) + " bytes to the stream failed");
}

void Checkpoint::save(const std::filesystem::path& path) const { write_atomically(path, serialize()); }

namespace {

// Checks the fixed 32-byte header. Magic and version come first and are the same in every
// version, so a newer file is told apart from a corrupt one.
Header check_header(const Checkpoint& c, const unsigned char* h, std::size_t got) {
  auto fail = [&](const std::string& problem) { throw CheckpointError("checkpoint '" + c.source() + "': " + problem); };
  if (got == 0) fail("empty (0 bytes), not a checkpoint");
  if (got < magic.size() || !std::equal(magic.begin(), magic.end(), h))
    fail("not a descent checkpoint (wrong magic bytes)");
  if (got < 12) fail("truncated: header has " + std::to_string(got) + " of " + std::to_string(header_size) + " bytes");
  const std::uint32_t version = load32(h + 8);
  if (version < 1 || version > Checkpoint::format_version)
    fail("unknown format version " + std::to_string(version) + " (this build reads versions 1 to " +
         std::to_string(Checkpoint::format_version) + "; a newer descent, or a corrupt file)");
  if (got < header_size)
    fail("truncated: header has " + std::to_string(got) + " of " + std::to_string(header_size) + " bytes");
  if (crc32c(h, 28) != load32(h + 28) && verify_checksums) fail("header checksum mismatch: the file is corrupt");
  if (load32(h + 12) != 0) fail("unknown flags " + hex(load32(h + 12)) + " (a newer descent?)");
  Header out{std::uint64_t(load32(h + 16)) | std::uint64_t(load32(h + 20)) << 32, load32(h + 24), version};
  return out;
}

void parse_payload(Checkpoint& c, std::string_view payload, const Header& header,
                   void (*add)(Checkpoint&, std::string, Checkpoint::Type, std::string)) {
  const std::uint32_t crc = crc32c(payload.data(), payload.size());
  if (crc != header.payload_crc && verify_checksums)
    throw CheckpointError("checkpoint '" + c.source() + "': checksum mismatch (stored " + hex(header.payload_crc) +
                          ", computed " + hex(crc) + "): the file is corrupt");
  Reader r{payload, 0, &c, "payload"};
  for (std::uint32_t n = r.u32(); n > 0; --n) {
    std::string name = r.str();
    r.what = "section '" + name + "'";
    const std::uint8_t type = r.u8();
    if (type < 1 || type > 6) r.fail("unknown section type " + std::to_string(type));
    const std::uint64_t size = r.u64();
    if (size > payload.size() - r.pos) r.fail("length " + std::to_string(size) + " runs past the end of the payload");
    std::string body(payload.substr(r.pos, std::size_t(size)));
    r.pos += std::size_t(size);
    if (c.has(name)) r.fail("appears twice");
    if (name.empty()) r.fail("has an empty name");
    if (type == std::uint8_t(Checkpoint::Type::optimizer) && header.version < Checkpoint::format_version) {
      // An older file's state, read by its version's reader and kept in the current encoding,
      // so every section of a Checkpoint is in the version it is written with.
      Reader old{body, 0, &c, r.what};
      const OptimizerState s = decode_state(old, header.version);
      old.end();
      body = encode(s);
    }
    add(c, std::move(name), Checkpoint::Type(type), std::move(body));
  }
  r.what = "payload";
  r.end();
}

}  // namespace

Checkpoint Checkpoint::parse(std::string_view bytes, const std::string& source) {
  Checkpoint c;
  c.source_ = source;
  const Header h =
      check_header(c, reinterpret_cast<const unsigned char*>(bytes.data()), std::min(bytes.size(), header_size));
  const std::string_view rest = bytes.substr(header_size);
  if (rest.size() < h.payload_size)
    c.fail("truncated: payload has " + std::to_string(rest.size()) + " of " + std::to_string(h.payload_size) +
           " bytes");
  if (rest.size() > h.payload_size)
    c.fail(std::to_string(rest.size() - h.payload_size) + " bytes after the end of the checkpoint");
  parse_payload(c, rest, h, [](Checkpoint& c, std::string name, Type type, std::string body) {
    c.sections_.push_back({std::move(name), type, std::move(body)});
  });
  return c;
}

Checkpoint Checkpoint::read(std::istream& in, const std::string& source) {
  Checkpoint c;
  c.source_ = source;
  std::array<unsigned char, header_size> head{};
  in.read(reinterpret_cast<char*>(head.data()), header_size);
  const Header h = check_header(c, head.data(), std::size_t(in.gcount()));
  // In chunks, so a header that claims a huge payload costs only the bytes really there.
  std::string payload;
  constexpr std::size_t chunk = std::size_t(1) << 20;
  while (payload.size() < h.payload_size && in) {
    const std::size_t want = std::size_t(std::min<std::uint64_t>(chunk, h.payload_size - payload.size()));
    const std::size_t had = payload.size();
    payload.resize(had + want);
    in.read(payload.data() + had, std::streamsize(want));
    payload.resize(had + std::size_t(in.gcount()));
  }
  if (payload.size() < h.payload_size)
    c.fail("truncated: payload has " + std::to_string(payload.size()) + " of " + std::to_string(h.payload_size) +
           " bytes");
  parse_payload(c, payload, h, [](Checkpoint& c, std::string name, Type type, std::string body) {
    c.sections_.push_back({std::move(name), type, std::move(body)});
  });
  return c;
}

Checkpoint Checkpoint::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError("checkpoint '" + path.string() + "': cannot open: " + std::strerror(errno));
  Checkpoint c = read(in, path.string());
  if (in.peek() != std::char_traits<char>::eof())
    c.fail("bytes after the end of the checkpoint (a damaged or concatenated file)");
  return c;
}

void save_optimizer(const Optimizer& optimizer, std::ostream& out) {
  Checkpoint c;
  c.put_optimizer(optimizer);
  c.write(out);
}

void save_optimizer(const Optimizer& optimizer, const std::filesystem::path& path) {
  Checkpoint c;
  c.put_optimizer(optimizer);
  c.save(path);
}

void load_optimizer(Optimizer& optimizer, std::istream& in, const std::string& source) {
  Checkpoint::read(in, source).restore_optimizer(optimizer);
}

void load_optimizer(Optimizer& optimizer, const std::filesystem::path& path) {
  Checkpoint::load(path).restore_optimizer(optimizer);
}

}  // namespace descent
