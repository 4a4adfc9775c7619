// The --schedule text: kind:key=value,... parts joined by '*' (product) and '+' (one after
// another). Every fault names the spec and the 1-based position where it starts.
#include "descent/schedule_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "descent/detail/parse.hpp"
#include "descent/error.hpp"

namespace descent {
namespace {

struct Piece {  // a run of the spec and where it starts (0-based)
  std::string_view text;
  std::size_t at;
};

std::vector<Piece> split(Piece p, char sep) {
  std::vector<Piece> out;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= p.text.size(); ++i)
    if (i == p.text.size() || p.text[i] == sep) {
      out.push_back({p.text.substr(begin, i - begin), p.at + begin});
      begin = i + 1;
    }
  return out;
}

// Each kind's keys, in the order docs/lab.md lists them; the first is the part's length where
// the kind has one (what a part before '+' lasts).
struct Kind {
  std::string_view name;
  std::vector<std::string_view> keys;
  std::string_view length;  // "" if the kind has no length
};
const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k{
      {"constant", {"factor", "steps"}, "steps"},
      {"step", {"size", "gamma"}, ""},
      {"multistep", {"milestones", "gamma"}, ""},
      {"exp", {"decay", "decay_steps", "staircase"}, ""},
      {"cosine", {"t_max", "eta_min"}, "t_max"},
      {"restarts", {"t0", "t_mult", "eta_min"}, ""},
      {"warmup", {"steps", "start"}, "steps"},
      {"linear", {"start", "end", "steps"}, "steps"},
      {"poly", {"steps", "power"}, "steps"},
      {"onecycle", {"steps", "pct_start", "anneal", "div", "final_div", "three_phase"}, "steps"},
      {"plateau", {"factor", "patience", "threshold", "threshold_mode", "mode", "cooldown", "min_lr"}, ""},
  };
  return k;
}

std::string join(const std::vector<std::string_view>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ", ") + std::string(x);
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view spec) : spec_(spec) {}

  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw OptionError("", "schedule",
                      " '" + std::string(spec_) + "': at position " + std::to_string(at + 1) + ": " + what);
  }

  ParsedSchedule parse() {
    if (spec_.empty()) fail(0, "empty (expected e.g. cosine:t_max=500)");
    const auto chain = split({spec_, 0}, '+');
    std::vector<std::unique_ptr<Schedule>> parts;
    std::vector<std::int64_t> milestones;
    std::int64_t at = 0;
    for (std::size_t i = 0; i < chain.size(); ++i) {
      std::int64_t length = 0;
      parts.push_back(product(chain[i], i + 1 < chain.size() ? &length : nullptr));
      if (i + 1 < chain.size()) milestones.push_back(at += length);
    }
    ParsedSchedule r;
    r.uses_metric = uses_metric_;
    r.schedule = parts.size() == 1 ? std::move(parts[0]) : schedules::sequential(std::move(parts), milestones);
    return r;
  }

 private:
  // A '*' product; `length` (when a '+' follows) receives how long it lasts.
  std::unique_ptr<Schedule> product(Piece p, std::int64_t* length) {
    const auto factors = split(p, '*');
    if (length && factors.size() > 1)
      fail(p.at, "a product cannot come before '+' (it has no single length); put it last");
    std::vector<std::unique_ptr<Schedule>> parts;
    for (const Piece& f : factors) parts.push_back(part(f, length));
    return parts.size() == 1 ? std::move(parts[0]) : schedules::product(std::move(parts));
  }

  std::unique_ptr<Schedule> part(Piece p, std::int64_t* length) {
    const std::size_t colon = p.text.find(':');
    const std::string name(p.text.substr(0, colon));
    const auto kind = std::find_if(kinds().begin(), kinds().end(), [&](const Kind& k) { return k.name == name; });
    if (kind == kinds().end()) {
      std::vector<std::string_view> names;
      for (const Kind& k : kinds()) names.push_back(k.name);
      fail(p.at, "unknown schedule '" + name + "' (expected one of: " + join(names) + ")");
    }
    kind_ = &*kind;
    part_at_ = p.at;
    values_.clear();
    if (colon != std::string_view::npos)
      for (const Piece& kv : split({p.text.substr(colon + 1), p.at + colon + 1}, ',')) {
        const std::size_t eq = kv.text.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == kv.text.size())
          fail(kv.at, "expected key=value, got '" + std::string(kv.text) + "'");
        const std::string key(kv.text.substr(0, eq));
        if (std::find(kind->keys.begin(), kind->keys.end(), key) == kind->keys.end())
          fail(kv.at, "unknown key '" + key + "' for " + name + " (keys: " + join(kind->keys) + ")");
        if (values_.count(key)) fail(kv.at, "key '" + key + "' given twice");
        values_[key] = {kv.text.substr(eq + 1), kv.at + eq + 1};
      }
    if (length) {
      if (kind->length.empty())
        fail(p.at, name +
                       " has no length, so it cannot come before '+' (only constant, cosine, warmup, linear, "
                       "poly and onecycle can)");
      *length = integer(std::string(kind->length));
    }
    try {
      return build(name);
    } catch (const OptionError& e) {  // a value the schedule itself rejects ("schedule: ...")
      const std::string what = e.what(), prefix = "schedule: ";
      if (what.rfind(prefix, 0) != 0) throw;
      fail(p.at, what.substr(prefix.size()));
    }
  }

  std::unique_ptr<Schedule> build(const std::string& n) {
    namespace s = schedules;
    if (n == "constant") return s::constant(number("factor", 1), integer("steps", 0));
    if (n == "step") return s::step(integer("size"), number("gamma", 0.1));
    if (n == "multistep") return s::multi_step(list("milestones"), number("gamma", 0.1));
    if (n == "exp") return s::exponential(number("decay"), number("decay_steps", 1), flag("staircase", false));
    if (n == "cosine") return s::cosine(integer("t_max"), number("eta_min", 0));
    if (n == "restarts") return s::warm_restarts(integer("t0"), integer("t_mult", 1), number("eta_min", 0));
    if (n == "warmup") return s::linear(number("start", 0.1), 1.0, integer("steps"));
    if (n == "linear") return s::linear(number("start", 1.0 / 3), number("end", 1), integer("steps"));
    if (n == "poly") return s::polynomial(integer("steps"), number("power", 1));
    if (n == "onecycle") {
      s::OneCycle o;
      o.total = integer("steps");
      o.pct_start = number("pct_start", o.pct_start);
      o.cosine = choice("anneal", "cos", "linear");
      o.div_factor = number("div", o.div_factor);
      o.final_div_factor = number("final_div", o.final_div_factor);
      o.three_phase = flag("three_phase", false);
      return s::one_cycle(o);
    }
    s::Plateau o;  // plateau
    o.factor = number("factor", o.factor);
    o.patience = integer("patience", o.patience);
    o.threshold = number("threshold", o.threshold);
    o.relative = choice("threshold_mode", "rel", "abs");
    o.maximize = !choice("mode", "min", "max");
    o.cooldown = integer("cooldown", o.cooldown);
    o.min_lr = number("min_lr", o.min_lr);
    uses_metric_ = true;
    return s::plateau(o);
  }

  // The value of `key`, or null; a missing required key names the part.
  const Piece* find(const std::string& key, bool required) const {
    auto it = values_.find(key);
    if (it != values_.end()) return &it->second;
    if (required) fail(part_at_, std::string(kind_->name) + " needs " + key + "=...");
    return nullptr;
  }
  double number(const std::string& key, double fallback = NAN) {
    const Piece* v = find(key, std::isnan(fallback));
    if (!v) return fallback;
    double x = 0;
    if (!detail::parse_double(v->text, x) || !std::isfinite(x))
      fail(v->at, key + "=" + std::string(v->text) + " is not a finite number");
    return x;
  }
  // Without a fallback (-1), the key is required; likewise NAN for number().
  std::int64_t integer(const std::string& key, std::int64_t fallback = -1) {
    const Piece* v = find(key, fallback < 0);
    if (!v) return fallback;
    return parse_integer(key, *v);
  }
  std::int64_t parse_integer(const std::string& key, Piece v) const {
    std::int64_t x = 0;
    const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), x);
    if (ec != std::errc() || end != v.text.data() + v.text.size() || x < 0)
      fail(v.at, key + "=" + std::string(v.text) + " is not a whole number >= 0");
    return x;
  }
  std::vector<std::int64_t> list(const std::string& key) {
    const Piece* v = find(key, true);
    std::vector<std::int64_t> out;
    for (const Piece& item : split(*v, '/')) out.push_back(parse_integer(key, item));
    return out;
  }
  bool flag(const std::string& key, bool fallback) {
    const Piece* v = find(key, false);
    if (!v) return fallback;
    if (v->text == "true") return true;
    if (v->text == "false") return false;
    fail(v->at, key + "=" + std::string(v->text) + " is not true or false");
  }
  bool choice(const std::string& key, std::string_view yes, std::string_view no) {  // true for `yes`
    const Piece* v = find(key, false);
    if (!v || v->text == yes) return true;
    if (v->text == no) return false;
    fail(v->at, key + "=" + std::string(v->text) + " is not " + std::string(yes) + " or " + std::string(no));
  }

  std::string_view spec_;
  const Kind* kind_ = nullptr;
  std::size_t part_at_ = 0;
  std::map<std::string, Piece> values_;
  bool uses_metric_ = false;
};

}  // namespace

ParsedSchedule parse_schedule(std::string_view spec) { return Parser(spec).parse(); }

}  // namespace descent
