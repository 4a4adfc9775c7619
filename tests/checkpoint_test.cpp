// Checkpoints: the CRC against published check values, exact resume for every optimizer and
// convention, every rejection (message and "nothing changed"), and crashes mid-write.
#include "descent/checkpoint.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "descent/atomic_file.hpp"
#include "descent/crc32c.hpp"
#include "descent/descent.hpp"

namespace fs = std::filesystem;
using namespace descent;

namespace {

// ---- CRC-32C -------------------------------------------------------------------------------

TEST(Crc32c, StandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(detail::crc32c_bytewise("123456789", 9, 0), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32c, Rfc3720Vectors) {  // RFC 3720 (iSCSI), appendix B.4
  unsigned char buf[32];
  std::memset(buf, 0, 32);
  EXPECT_EQ(crc32c(buf, 32), 0x8A9136AAu);
  std::memset(buf, 0xff, 32);
  EXPECT_EQ(crc32c(buf, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c(buf, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<unsigned char>(31 - i);
  EXPECT_EQ(crc32c(buf, 32), 0x113FDB5Cu);
}

TEST(Crc32c, SlicedEqualsBytewiseAndContinues) {
  std::mt19937_64 rng(7);
  std::vector<unsigned char> data(1000);
  for (auto& b : data) b = static_cast<unsigned char>(rng());
  for (std::size_t n : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 999, 1000})
    for (std::size_t offset : {0, 1, 3})
      if (offset <= n) {
        const std::uint32_t whole = crc32c(data.data() + offset, n - offset);
        EXPECT_EQ(whole, detail::crc32c_bytewise(data.data() + offset, n - offset, 0)) << n << " " << offset;
        const std::size_t cut = offset + (n - offset) / 3;
        EXPECT_EQ(crc32c(data.data() + cut, n - cut, crc32c(data.data() + offset, cut - offset)), whole);
      }
}

// ---- a small model: two parameters of different dtype and shape ----------------------------

struct Model {
  std::vector<double> w = std::vector<double>(15), gw = std::vector<double>(15);
  std::vector<float> b = std::vector<float>(7), gb = std::vector<float>(7);

  Model() {
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5 - 0.1 * double(i);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.25f * float(i) - 0.5f;
  }
  std::vector<Param> params() {
    return {Param("layer.w", std::span(w), std::span(gw), {3, 5}), Param("layer.b", std::span(b), std::span(gb))};
  }
  // The gradient of step s: a fixed pseudo-random function of s, as a training loop would give.
  void gradients(int s) {
    std::mt19937_64 rng(1000 + std::uint64_t(s));
    auto u = [&] { return double(rng() >> 11) * 0x1.0p-53 * 2 - 1; };
    for (auto& g : gw) g = u();
    for (auto& g : gb) g = float(u());
    if (s % 3 == 2) gw[4] = 0;  // exact zeros reach the 0/0 guards
  }
};

bool same_bits(const Model& a, const Model& b) {
  return std::memcmp(a.w.data(), b.w.data(), a.w.size() * sizeof(double)) == 0 &&
         std::memcmp(a.b.data(), b.b.data(), a.b.size() * sizeof(float)) == 0;
}

std::string state_bytes(const Optimizer& opt) {
  Checkpoint c;
  c.put_optimizer(opt);
  return c.serialize();
}

struct Config {
  std::string optimizer;
  Convention convention;
  std::vector<std::pair<std::string, std::string>> overrides;
};

std::vector<Config> every_config() {
  std::vector<Config> out;
  for (const auto& info : optimizers())
    for (Convention c : {Convention::seed, Convention::pytorch, Convention::keras})
      out.push_back({std::string(info.name), c, {}});
  // The optional slots, which only some options keep.
  out.push_back({"adam", Convention::pytorch, {{"amsgrad", "true"}}});
  out.push_back({"rmsprop", Convention::pytorch, {{"centered", "true"}, {"momentum", "0.5"}}});
  out.push_back({"sgdm", Convention::pytorch, {{"nesterov", "true"}}});
  out.push_back({"adagrad", Convention::pytorch, {{"lr_decay", "0.01"}, {"weight_decay", "0.1"}}});
  return out;
}

TEST(Checkpoint, ResumeIsBitIdenticalForEveryOptimizerAndConvention) {
  constexpr int total = 9;
  for (const Config& cfg : every_config()) {
    for (int k : {0, 1, 4, total}) {
      SCOPED_TRACE(cfg.optimizer + " " + to_string(cfg.convention) + " interrupted after step " + std::to_string(k));
      Model whole;
      auto a = make_optimizer(cfg.optimizer, whole.params(), cfg.convention, cfg.overrides);
      for (int s = 0; s < total; ++s) {
        whole.gradients(s);
        a->step();
      }

      std::stringstream file;
      {
        Model first;
        auto b = make_optimizer(cfg.optimizer, first.params(), cfg.convention, cfg.overrides);
        for (int s = 0; s < k; ++s) {
          first.gradients(s);
          b->step();
        }
        Checkpoint c;
        c.put_training(*b);
        c.write(file);
      }  // the first process is gone
      Model resumed;
      std::fill(resumed.w.begin(), resumed.w.end(), 99.0);
      auto c = make_optimizer(cfg.optimizer, resumed.params(), cfg.convention, cfg.overrides);
      const Checkpoint ck = Checkpoint::read(file, "resume");
      ck.restore_training(*c);
      EXPECT_EQ(c->t(), k);
      for (int s = k; s < total; ++s) {
        resumed.gradients(s);
        c->step();
      }
      EXPECT_TRUE(same_bits(whole, resumed));
      EXPECT_EQ(state_bytes(*a), state_bytes(*c));
    }
  }
}

// A checkpoint from a release before an option existed does not name it: the resumed
// optimizer, built in the file's convention, keeps that convention's value, and the run goes on
// as if never interrupted. Every option of every optimizer in every convention, dropped in turn.
TEST(Checkpoint, AnOptionTheFileDoesNotNameTakesTheConventionsValue) {
  constexpr int total = 6, k = 3;
  for (const auto& info : optimizers())
    for (Convention c : {Convention::seed, Convention::pytorch, Convention::keras}) {
      const std::string name(info.name);
      Model whole;
      auto a = make_optimizer(name, whole.params(), c);
      for (int s = 0; s < total; ++s) whole.gradients(s), a->step();

      const std::size_t options = a->export_state().groups[0].options.size();
      for (std::size_t drop = 0; drop < options; ++drop) {
        Model first;
        auto b = make_optimizer(name, first.params(), c);
        for (int s = 0; s < k; ++s) first.gradients(s), b->step();
        OptimizerState older = b->export_state();
        auto& list = older.groups[0].options;
        const std::string dropped = list[drop].first;
        SCOPED_TRACE(name + " " + to_string(c) + " without option " + dropped);
        list.erase(list.begin() + std::ptrdiff_t(drop));
        Checkpoint ck;
        ck.put_params("model/", b->params());
        ck.put_optimizer("optimizer", older);
        std::stringstream file;
        ck.write(file);

        Model resumed;
        auto r = make_optimizer(name, resumed.params(), c);
        Checkpoint::read(file, "older").restore_training(*r);
        for (int s = k; s < total; ++s) resumed.gradients(s), r->step();
        EXPECT_TRUE(same_bits(whole, resumed));
        EXPECT_EQ(state_bytes(*a), state_bytes(*r));
      }
    }
}

TEST(Checkpoint, ResumeKeepsGroupsAndTheirOptions) {
  std::vector<double> w1{1, 2, 3}, g1(3), w2{-1, 0.5}, g2(2);
  auto make = [&](std::vector<double>& a, std::vector<double>& b) {
    Adam opt({Param("first", std::span(a), std::span(g1))}, AdamOptions{});
    AdamOptions second;
    second.lr = 0.05;
    second.amsgrad = true;
    opt.add_group({Param("second", std::span(b), std::span(g2))}, second);
    return opt;
  };
  auto grads = [&](int s) {
    for (std::size_t i = 0; i < 3; ++i) g1[i] = std::sin(double(s + 1) * double(i + 1));
    for (std::size_t i = 0; i < 2; ++i) g2[i] = std::cos(double(s + 2) * double(i + 1));
  };
  Adam a = make(w1, w2);
  for (int s = 0; s < 3; ++s) grads(s), a.step();
  a.set_lr(0.002, 0);  // a schedule moved the rate: the checkpoint must carry it
  for (int s = 3; s < 5; ++s) grads(s), a.step();

  std::vector<double> v1{1, 2, 3}, v2{-1, 0.5};
  Adam b = make(v1, v2);
  for (int s = 0; s < 3; ++s) grads(s), b.step();
  b.set_lr(0.002, 0);
  std::stringstream file;
  save_optimizer(b, file);
  const std::vector<double> at_save1 = v1, at_save2 = v2;

  std::vector<double> u1 = at_save1, u2 = at_save2;
  Adam c = make(u1, u2);
  load_optimizer(c, file);
  EXPECT_EQ(c.lr(0), 0.002);
  EXPECT_EQ(c.lr(1), 0.05);
  EXPECT_TRUE(c.options(1).amsgrad);
  for (int s = 3; s < 5; ++s) grads(s), c.step();
  EXPECT_EQ(std::memcmp(w1.data(), u1.data(), 3 * sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(w2.data(), u2.data(), 2 * sizeof(double)), 0);
}

// ---- the byte layout of docs/checkpoints.md, written out by hand ---------------------------

void le(std::string& s, std::uint64_t x, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(char((x >> (8 * i)) & 0xff));
}

TEST(Checkpoint, ByteLayoutIsTheDocumentedOne) {
  Checkpoint c;
  c.put_i64("cursor", {3, -1});
  c.put_text("note", "hi");
  std::string payload;
  le(payload, 2, 4);  // two sections
  le(payload, 6, 4), payload += "cursor", le(payload, 3, 1), le(payload, 16, 8);
  le(payload, 3, 8), le(payload, std::uint64_t(-1), 8);
  le(payload, 4, 4), payload += "note", le(payload, 2, 1), le(payload, 2, 8), payload += "hi";
  std::string expected =
      "\x89"
      "DSC\r\n\x1a\n";
  le(expected, 2, 4);  // version
  le(expected, 0, 4);  // flags
  le(expected, payload.size(), 8);
  le(expected, crc32c(payload.data(), payload.size()), 4);
  le(expected, crc32c(expected.data(), 28), 4);
  expected += payload;
  EXPECT_EQ(c.serialize(), expected);
}

// The fuzzer's seeds are real checkpoints: they must stay readable as the code changes
// (`make fuzz-seeds` rewrites them after a format change).
TEST(Checkpoint, FuzzSeedsAreValidCheckpoints) {
  const fs::path dir = fs::path(DESCENT_GOLDEN_DIR).parent_path().parent_path() / "fuzz" / "corpus" / "fuzz_checkpoint";
  int seen = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    const Checkpoint c = Checkpoint::parse(bytes, e.path().string());
    EXPECT_EQ(c.serialize(), bytes) << e.path();
    if (c.has("optimizer")) {
      const OptimizerState s = c.optimizer_state();
      EXPECT_EQ(s.groups.at(0).t, 2) << e.path();
      EXPECT_EQ(s.params.size(), 2u) << e.path();
    }
    ++seen;
  }
  EXPECT_GE(seen, 6);
}

TEST(Checkpoint, SectionsRoundTrip) {
  Checkpoint c;
  c.put_bytes("rng", {0, 1, 255});
  c.put_text("run", "{\"optimizer\": \"adam\"}");
  c.put_i64("cursor", {2, 17, -5});
  c.put_f64("schedule", {0.5, -0.0, 1e300});
  c.put_tensor("t", {DType::f32, {2}, {0, 0, 128, 63, 0, 0, 0, 64}});  // 1.0f, 2.0f little-endian
  c.put_text("run", "replaced");
  const Checkpoint r = Checkpoint::parse(c.serialize(), "mem");
  EXPECT_EQ(r.names(), (std::vector<std::string>{"rng", "run", "cursor", "schedule", "t"}));
  EXPECT_EQ(r.bytes("rng"), (std::vector<unsigned char>{0, 1, 255}));
  EXPECT_EQ(r.text("run"), "replaced");
  EXPECT_EQ(r.i64("cursor"), (std::vector<std::int64_t>{2, 17, -5}));
  EXPECT_EQ(r.f64("schedule"), (std::vector<double>{0.5, -0.0, 1e300}));
  const Checkpoint::Tensor t = r.tensor("t");
  float v[2];
  std::memcpy(v, t.data.data(), 8);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], 2.0f);
  EXPECT_EQ(t.shape, Shape{2});
  EXPECT_FALSE(r.has("missing"));
  try {
    r.text("cursor");
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_STREQ(e.what(), "checkpoint 'mem': section 'cursor' holds i64, not text");
  }
  EXPECT_THROW(r.f64("missing"), CheckpointError);
}

TEST(Checkpoint, RestoreParamsChecksAllBeforeWritingAny) {
  Model m;
  Checkpoint c;
  c.put_params("model/", m.params());
  Model other;
  std::fill(other.w.begin(), other.w.end(), 7.0);
  std::fill(other.b.begin(), other.b.end(), 7.0f);
  std::vector<float> wide(8, 7.0f), gwide(8);
  auto params = other.params();
  params[1] = Param("layer.b", std::span(wide), std::span(gwide));  // 8 values where the checkpoint has 7
  try {
    c.restore_params("model/", params);
    FAIL();
  } catch (const CheckpointError& e) {
    EXPECT_STREQ(e.what(), "checkpoint '<memory>': parameter 'layer.b' has shape [7] in the checkpoint, [8] here");
  }
  for (double x : other.w) EXPECT_EQ(x, 7.0);  // layer.w came first and still did not change
}

TEST(Checkpoint, RestoreTrainingIsAllOrNothing) {
  Model saved;
  auto a = make_optimizer("rmsprop", saved.params(), Convention::keras);
  saved.gradients(0);
  a->step();
  Checkpoint c;
  c.put_training(*a);
  // The optimizer fits but a value section does not: neither the values nor the state change.
  Model m;
  auto b = make_optimizer("rmsprop", m.params(), Convention::keras);
  c.put_tensor("model/layer.b", {DType::f32, {1}, {0, 0, 0, 0}});
  const std::string before = state_bytes(*b);
  const Model values_before = m;
  EXPECT_THROW(c.restore_training(*b), CheckpointError);
  EXPECT_EQ(state_bytes(*b), before);
  EXPECT_TRUE(same_bits(m, values_before));
  // The values fit but the state does not (another rule): neither changes either.
  Checkpoint d;
  d.put_training(*a);
  auto other = make_optimizer("adam", m.params());
  EXPECT_THROW(d.restore_training(*other), CheckpointError);
  EXPECT_TRUE(same_bits(m, values_before));
  d.restore_training(*b);
  EXPECT_TRUE(same_bits(m, saved));
  EXPECT_EQ(state_bytes(*b), state_bytes(*a));
}

// ---- rejections: the message, and nothing changed ------------------------------------------

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("descent-ckpt-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// An Adam over the Model after two steps: the optimizer a bad checkpoint is loaded into.
struct Target {
  Model model;
  std::unique_ptr<Optimizer> opt = make_optimizer("adam", model.params(), Convention::pytorch);
  Target() {
    for (int s = 0; s < 2; ++s) model.gradients(s), opt->step();
  }
};

// Loads `path` into a fresh Target; expects a CheckpointError whose message is exactly
// "checkpoint '<path>': " + problem, and an optimizer and model that did not change.
void expect_rejected(const fs::path& path, const std::string& problem) {
  Target t;
  const std::string before = state_bytes(*t.opt);
  const Model model_before = t.model;
  try {
    load_optimizer(*t.opt, path);
    ADD_FAILURE() << "loaded " << path;
  } catch (const CheckpointError& e) {
    EXPECT_EQ(std::string(e.what()), "checkpoint '" + path.string() + "': " + problem);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  EXPECT_EQ(state_bytes(*t.opt), before);
  EXPECT_EQ(t.opt->t(), 2);
  EXPECT_TRUE(same_bits(t.model, model_before));
}

// A valid checkpoint of an optimizer over other parameters than Target's.
std::string checkpoint_of(std::string_view name, std::vector<Param> params, int steps = 3,
                          std::vector<std::pair<std::string, std::string>> overrides = {}) {
  auto opt = make_optimizer(name, std::move(params), Convention::pytorch, overrides);
  for (int s = 0; s < steps; ++s) opt->step();
  return state_bytes(*opt);
}

TEST(CheckpointRejects, EveryDamageToTheFile) {
  TempDir dir;
  Model m;
  const std::string good = checkpoint_of("adam", m.params());
  const fs::path p = dir.path / "run.ckpt";
  auto with = [&](const std::string& bytes) {
    write_all(p, bytes);
    return p;
  };
  const std::size_t payload = good.size() - 32;
  expect_rejected(with(""), "empty (0 bytes), not a checkpoint");
  expect_rejected(with(good.substr(0, 20)), "truncated: header has 20 of 32 bytes");
  for (std::size_t keep : {std::size_t(32), std::size_t(33), good.size() / 2, good.size() - 1})
    expect_rejected(with(good.substr(0, keep)), "truncated: payload has " + std::to_string(keep - 32) + " of " +
                                                    std::to_string(payload) + " bytes");
  expect_rejected(with(good + "x"), "bytes after the end of the checkpoint (a damaged or concatenated file)");
  expect_rejected(with("PK\x03\x04" + good.substr(4)), "not a descent checkpoint (wrong magic bytes)");
  expect_rejected(with("hello"), "not a descent checkpoint (wrong magic bytes)");

  std::string newer = good;
  newer[8] = 3;
  expect_rejected(with(newer),
                  "unknown format version 3 (this build reads versions 1 to 2; a newer descent, or a corrupt file)");
  std::string zero = good;
  zero[8] = 0;
  expect_rejected(with(zero),
                  "unknown format version 0 (this build reads versions 1 to 2; a newer descent, or a corrupt file)");
  std::string header = good;
  header[17] ^= 0x10;  // payload length
  expect_rejected(with(header), "header checksum mismatch: the file is corrupt");

  std::string flipped = good;
  flipped[good.size() - 5] ^= 0x01;  // one bit of a state value
  const std::uint32_t stored = crc32c(good.data() + 32, payload);
  const std::uint32_t computed = crc32c(flipped.data() + 32, payload);
  char expect[128];
  std::snprintf(expect, sizeof expect, "checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt",
                stored, computed);
  expect_rejected(with(flipped), expect);

  const fs::path missing = dir.path / "nope.ckpt";
  expect_rejected(missing, "cannot open: No such file or directory");
}

TEST(CheckpointRejects, AnotherOptimizerOrOtherParameters) {
  TempDir dir;
  const fs::path p = dir.path / "run.ckpt";
  auto with = [&](const std::string& bytes) {
    write_all(p, bytes);
    return p;
  };
  const std::string prefix = "does not fit this optimizer: ";
  {
    Model m;
    expect_rejected(with(checkpoint_of("sgdm", m.params())), prefix + "state is for optimizer 'sgd', not 'adam'");
  }
  {  // layer.b missing
    Model m;
    expect_rejected(with(checkpoint_of("adam", {m.params()[0]})), prefix + "adam: state has no parameter 'layer.b'");
  }
  {  // an extra parameter
    Model m;
    std::vector<double> x(2), gx(2);
    auto params = m.params();
    params.push_back(Param("extra", std::span(x), std::span(gx)));
    expect_rejected(with(checkpoint_of("adam", params)),
                    prefix + "adam: state has parameter 'extra', which the optimizer does not have");
  }
  {  // renamed
    Model m;
    auto params = m.params();
    params[1] = Param("layer.bias", std::span(m.b), std::span(m.gb));
    expect_rejected(with(checkpoint_of("adam", params)), prefix + "adam: state has no parameter 'layer.b'");
  }
  {  // same size, other shape
    Model m;
    auto params = m.params();
    params[0] = Param("layer.w", std::span(m.w), std::span(m.gw), {5, 3});
    expect_rejected(with(checkpoint_of("adam", params)),
                    prefix + "adam: parameter 'layer.w' has shape [5, 3] in the state, [3, 5] here");
  }
  {  // other dtype
    Model m;
    std::vector<double> b(7), gb(7);
    auto params = m.params();
    params[1] = Param("layer.b", std::span(b), std::span(gb));
    expect_rejected(with(checkpoint_of("adam", params)),
                    prefix + "adam: parameter 'layer.b' is float64 in the state, float32 here");
  }
  {  // AMSGrad keeps a slot plain Adam does not
    Model m;
    expect_rejected(with(checkpoint_of("adam", m.params(), 3, {{"amsgrad", "true"}})),
                    prefix +
                        "adam: group 0 options keep other state slots than this optimizer's (e.g. momentum, "
                        "amsgrad, centered)");
  }
}

TEST(CheckpointRejects, ImportStateIsAllOrNothing) {
  Target t;
  const std::string before = state_bytes(*t.opt);
  OptimizerState s = t.opt->export_state();
  s.groups[0].t = 40;
  s.params[1].slots[1].bytes.pop_back();  // the last parameter's last slot is short: found after the first
  EXPECT_THROW(t.opt->import_state(s), Error);
  EXPECT_EQ(state_bytes(*t.opt), before);
  s = t.opt->export_state();
  s.groups[0].options[0].second = -1;  // lr out of range
  try {
    t.opt->import_state(s);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "adam: option lr = -1 is out of range [0, inf)");
  }
  s = t.opt->export_state();
  s.groups[0].options.push_back(s.groups[0].options.front());  // lr twice
  try {
    t.opt->import_state(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "adam: option 'lr' appears twice in group 0");
  }
  s = t.opt->export_state();
  s.params[0].slots[0].name = "w_max";
  EXPECT_THROW(t.opt->import_state(s), Error);
  EXPECT_EQ(state_bytes(*t.opt), before);
  // And a good one is taken whole.
  s = t.opt->export_state();
  s.groups[0].t = 40;
  t.opt->import_state(s);
  EXPECT_EQ(t.opt->t(), 40);
}

// ---- crashes while writing -----------------------------------------------------------------

// A stream whose device fails after `room` bytes, like a disk that fills up.
class FullBuf : public std::streambuf {
 public:
  explicit FullBuf(std::size_t room) : room_(room) {}
  std::string written;

 protected:
  int_type overflow(int_type c) override {
    if (written.size() >= room_ || c == traits_type::eof()) return traits_type::eof();
    written.push_back(char(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const std::size_t k = std::min<std::size_t>(std::size_t(n), room_ - std::min(room_, written.size()));
    written.append(s, k);
    return std::streamsize(k);
  }

 private:
  std::size_t room_;
};

TEST(CheckpointCrash, FailingStreamThrowsAndItsBytesDoNotLoad) {
  Target t;
  FullBuf buf(100);
  std::ostream out(&buf);
  try {
    save_optimizer(*t.opt, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("to the stream failed"), std::string::npos) << e.what();
  }
  std::istringstream partial(buf.written);
  Target u;
  EXPECT_THROW(load_optimizer(*u.opt, partial, "partial"), CheckpointError);
}

// Runs `child` in a forked process and returns its wait status.
template <class F>
int in_child(F child) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    child();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(CheckpointCrash, KilledBetweenWriteAndRenameLeavesThePreviousCheckpoint) {
  TempDir dir;
  const fs::path p = dir.path / "run.ckpt";
  Target t;
  save_optimizer(*t.opt, p);
  const std::string previous = read_all(p);
  const int status = in_child([&] {
    t.model.gradients(5);
    t.opt->step();
    detail::before_rename = [](const fs::path&) { ::raise(SIGKILL); };
    save_optimizer(*t.opt, p);
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(read_all(p), previous);
  Target u;
  load_optimizer(*u.opt, p);
  EXPECT_EQ(state_bytes(*u.opt), state_bytes(*t.opt));
  // The crash left its complete but unrenamed temporary: hidden, and never the checkpoint's name.
  int leftovers = 0;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path() != p) {
      ++leftovers;
      EXPECT_EQ(e.path().filename().string().rfind(".run.ckpt.tmp-", 0), 0u) << e.path();
    }
  EXPECT_EQ(leftovers, 1);
}

TEST(CheckpointCrash, FullDiskLeavesThePreviousCheckpointAndNoTemporary) {
  TempDir dir;
  const fs::path p = dir.path / "run.ckpt";
  std::vector<double> w(20000, 1.0), g(20000, 0.5);
  Adam opt({Param("w", std::span(w), std::span(g))});
  save_optimizer(opt, p);  // ~320 kB
  const std::string previous = read_all(p);
  // A file size limit makes write() fail part-way with EFBIG, as a full disk fails with ENOSPC.
  const int status = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    opt.step();
    try {
      save_optimizer(opt, p);
    } catch (const Error& e) {
      const std::string m = e.what();
      const bool ok = m.rfind("cannot write '" + p.string() + "': write failed after 65536 of ", 0) == 0 &&
                      m.find("File too large") != std::string::npos;
      ::_exit(ok ? 0 : 3);
    }
    ::_exit(4);  // the save succeeded: the limit did not bite
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_all(p), previous);
  std::vector<double> w2(20000, 1.0);
  Adam back({Param("w", std::span(w2), std::span(g))});
  load_optimizer(back, p);
  EXPECT_EQ(state_bytes(back), state_bytes(Adam({Param("w", std::span(w2), std::span(g))})));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
}

// A real full disk: a 256 kB tmpfs, mounted in a private mount namespace of a child process
// (so it vanishes with the child). Needs the right to mount; skipped without it.
TEST(CheckpointCrash, FullTmpfsLeavesThePreviousCheckpointAndNoTemporary) {
  TempDir dir;
  const fs::path p = dir.path / "run.ckpt";
  const int status = in_child([&] {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=256k") != 0)
      ::_exit(77);
    std::vector<double> small(1000, 1.0), gs(1000, 0.5);
    Adam a({Param("w", std::span(small), std::span(gs))});
    a.step();
    save_optimizer(a, p);  // ~16 kB: fits
    const std::string previous = read_all(p);
    std::vector<double> big(40000, 1.0), gb(40000, 0.5);
    Adam b({Param("w", std::span(big), std::span(gb))});  // ~640 kB: does not
    try {
      save_optimizer(b, p);
      ::_exit(4);
    } catch (const Error& e) {
      if (std::string(e.what()).find("No space left on device") == std::string::npos) ::_exit(3);
    }
    if (read_all(p) != previous) ::_exit(5);
    std::vector<double> again(1000, 1.0);
    Adam c({Param("w", std::span(again), std::span(gs))});
    load_optimizer(c, p);
    if (c.t() != 1) ::_exit(6);
    if (std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) != 1) ::_exit(7);
    ::_exit(0);
  });
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "3: other error, 4: no error, 5: previous changed, 6: not loadable, 7: leftovers";
}

TEST(CheckpointCrash, UnwritableDirectoryIsOneLineAndNoFile) {
  const fs::path p = "/proc/descent-cannot-write-here/run.ckpt";
  Target t;
  try {
    save_optimizer(*t.opt, p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot write '" + p.string() + "': cannot create a temporary file in", 0),
              0u)
        << e.what();
  }
}

}  // namespace
