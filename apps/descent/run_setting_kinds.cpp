#include "run_setting_kinds.hpp"

namespace descent::cli {
namespace setting_kinds {

std::string shortest(double x) { return fmt::format("{}", x); }

Setting row(std::string names, std::string help) {
  Setting s;
  s.flag = flag_of(names);
  s.names = std::move(names);
  s.help = std::move(help);
  return s;
}
Setting whole(std::string names, std::uint64_t LabArgs::*m, std::uint64_t dflt, std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.type = "INT";
  s.default_text = std::to_string(dflt);
  s.assign = [m, flag = s.flag](LabArgs& a, const Text& t) {
    a.*m = t ? parse_unsigned(flag, *t, std::numeric_limits<std::uint64_t>::max()) : 0;
  };
  s.text = [m](const LabArgs& a) -> Text { return std::to_string(a.*m); };
  s.json = [m](const LabArgs& a) { return json(a.*m); };
  return s;
}

// A real that is off at 0 (clipping, averaging).
Setting real(std::string names, double LabArgs::*m, double lo, double hi, bool below_hi, std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.type = "FLOAT";
  s.default_text = "0";
  s.assign = [m, lo, hi, below_hi, flag = s.flag](LabArgs& a, const Text& t) {
    a.*m = t ? parse_real(flag, *t, lo, hi, below_hi) : 0.0;
  };
  s.text = [m](const LabArgs& a) -> Text { return shortest(a.*m); };
  s.json = [m](const LabArgs& a) { return json(a.*m); };
  return s;
}

// A real that is the optimizer's own default unless given.
Setting optional_real(std::string names, std::optional<double> LabArgs::*m, std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.type = "FLOAT";
  s.unset_text = "(not given)";
  s.assign = [m, flag = s.flag](LabArgs& a, const Text& t) {
    a.*m = t ? std::optional(parse_real(flag, *t)) : std::nullopt;
  };
  s.text = [m](const LabArgs& a) -> Text { return a.*m ? Text(shortest(*(a.*m))) : std::nullopt; };
  s.json = [m](const LabArgs& a) { return a.*m ? json(*(a.*m)) : json(nullptr); };
  return s;
}

// Non-empty text; `check` (optional) refuses a value as the flag's error.
Setting word(std::string names, std::string LabArgs::*m, Text dflt, std::string help,
             std::function<void(const std::string&)> check) {
  Setting s = row(std::move(names), std::move(help));
  s.default_text = std::move(dflt);
  s.assign = [m, check, flag = s.flag](LabArgs& a, const Text& t) {
    if (t && check) check(*t);
    a.*m = t ? parse_word(flag, *t) : std::string();
  };
  s.text = [m](const LabArgs& a) -> Text { return (a.*m).empty() ? std::nullopt : Text(a.*m); };
  s.json = [m](const LabArgs& a) { return (a.*m).empty() ? json(nullptr) : json(a.*m); };
  return s;
}

// One of `names` (a choice the CLI makes, not the library).
std::function<void(const std::string&)> one_of(std::string flag, std::vector<std::string> names) {
  return [flag = std::move(flag), names = std::move(names)](const std::string& t) {
    for (const auto& n : names)
      if (t == n) return;
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i)
      list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    throw OptionError(fmt::format("{} '{}' is unknown (expected {})", flag, t, list));
  };
}

Setting list(std::string names, std::vector<std::string> LabArgs::*m, Text dflt, std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.type = "LIST";
  s.default_text = std::move(dflt);
  s.assign = [m, flag = s.flag](LabArgs& a, const Text& t) {
    a.*m = t ? parse_list(flag, *t) : std::vector<std::string>{};
  };
  s.text = [m](const LabArgs& a) -> Text { return (a.*m).empty() ? std::nullopt : Text(join(a.*m)); };
  s.json = [m](const LabArgs& a) { return json(a.*m); };
  return s;
}

Setting on_off(std::string names, bool LabArgs::*m, std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.is_switch = true;
  s.assign = [m](LabArgs& a, const Text& t) { a.*m = t && *t == "true"; };
  s.text = [m](const LabArgs& a) -> Text { return a.*m ? Text("true") : std::nullopt; };
  s.json = [m](const LabArgs& a) { return json(a.*m); };
  return s;
}

}  // namespace setting_kinds

Setting Setting::in(unsigned c) const {
  Setting s = *this;
  s.commands = c;
  return s;
}
Setting Setting::kept(Text legacy_value) const {
  Setting s = *this;
  s.fingerprint = true;
  s.legacy = std::move(legacy_value);
  return s;
}
Setting Setting::config(std::string key) const {
  Setting s = *this;
  s.config_key = std::move(key);
  return s;
}
Setting Setting::shown(Repeat r) const {
  Setting s = *this;
  s.repeat = r;
  return s;
}
Setting Setting::train(std::function<void(const LabArgs&, lab::TrainOptions&)> f) const {
  Setting s = *this;
  s.to_train = std::move(f);
  return s;
}
Setting Setting::model(std::function<void(const LabArgs&, lab::ModelSpec&)> f) const {
  Setting s = *this;
  s.to_model = std::move(f);
  return s;
}

}  // namespace descent::cli
