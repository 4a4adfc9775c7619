// What the settings table (run_settings.cpp) is used for, each derived from its rows: the
// defaults, the flags, summary.json's config, the repeat command, the fingerprint, the
// lab::TrainOptions and the model.
#include <fmt/core.h>

#include "run_settings.hpp"

namespace descent::cli {
using json = nlohmann::ordered_json;

namespace {
bool applies(const Setting& s, const LabArgs& a) { return (s.commands & command_bit(a.command)) != 0; }
}  // namespace

LabArgs lab_defaults(const std::string& command) {
  LabArgs a;
  a.command = command;
  for (const Setting& s : run_settings())
    if (applies(s, a)) s.assign(a, s.default_text);
  return a;
}

void add_lab_flags(CLI::App* cmd, LabArgs& a) {
  for (const Setting& s : run_settings()) {
    if (!applies(s, a)) continue;
    if (s.add) {
      s.add(cmd, a, s);
    } else if (s.is_switch) {
      cmd->add_flag_callback(
          s.names,
          [&a, &s] {
            a.given.insert(s.flag);
            s.assign(a, "true");
          },
          s.help);
    } else {
      CLI::Option* o = cmd->add_option_function<std::string>(
          s.names,
          [&a, &s](const std::string& t) {
            a.given.insert(s.flag);
            s.assign(a, t);
          },
          s.help);
      o->type_name(s.type);
      if (s.default_text) o->default_str(*s.default_text);
    }
  }
}

json settings_json(const LabArgs& a) {
  json j = json::object();
  for (const Setting& s : run_settings())
    if (applies(s, a) && !s.config_key.empty()) j[s.config_key] = s.json(a);
  return j;
}

namespace {
// A value as one word of a POSIX shell command line.
std::string quoted(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:=+-/@%") ==
                        std::string::npos)
    return v;
  std::string q = "'";
  for (char c : v) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

std::string repeat_command(const LabArgs& a, int ranks) {
  std::string c =
      fmt::format("{}descent {}", a.distributed.empty() ? "" : fmt::format("mpirun -np {} ", ranks), a.command);
  for (const Setting& s : run_settings()) {
    if (!applies(s, a) || s.repeat == Repeat::never) continue;
    const Text t = s.text(a);
    if (s.repeat == Repeat::if_changed && t == s.default_text) continue;
    if (s.repeat_words) {
      const std::string w = s.repeat_words(a);
      if (!w.empty()) c += " " + w;
    } else if (t) {
      c += " " + s.flag + (s.is_switch ? "" : " " + quoted(*t));
    }
  }
  return c;
}

std::string fingerprint(const LabArgs& a) {
  std::string c;
  for (const Setting& s : run_settings())
    if (applies(s, a) && s.fingerprint) c += s.flag + " " + s.text(a).value_or(s.unset_text) + "\n";
  return c;
}

lab::TrainOptions train_options(const LabArgs& a) {
  lab::TrainOptions o;
  for (const Setting& s : run_settings())
    if (applies(s, a) && s.to_train) s.to_train(a, o);
  return o;
}

lab::ModelSpec model_spec(const LabArgs& a) {
  lab::ModelSpec m;
  for (const Setting& s : run_settings())
    if (applies(s, a) && s.to_model) s.to_model(a, m);
  return m;
}

}  // namespace descent::cli
