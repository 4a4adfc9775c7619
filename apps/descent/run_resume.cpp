// train --resume: the checkpoint's fingerprint (section "cli/config", one "FLAG TEXT" line per
// fingerprint setting of run_settings.cpp's table) against this run's settings. A setting the
// user did not give takes the checkpoint's value; one given must be the checkpoint's. Only
// --epochs, --threads and the output flags may change.
#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "descent/error.hpp"
#include "run_parts.hpp"

namespace descent::cli {
namespace fs = std::filesystem;

namespace {

// A "FLAG TEXT" config as (flag, text) pairs, in order.
std::vector<std::pair<std::string, std::string>> config_lines(const std::string& config) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (std::size_t at = 0; at < config.size();) {
    const std::size_t end = std::min(config.find('\n', at), config.size());
    const std::string line = config.substr(at, end - at);
    const std::size_t space = line.find(' ');
    lines.emplace_back(line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1));
    at = end + 1;
  }
  return lines;
}

// Checkpoints before the table (descent 0.1.0's, and those of this format until 0.2) wrote
// three lines that each held several settings; they read as the settings' own lines.
void split_grouped_lines(std::map<std::string, std::string>& saved) {
  if (const auto it = saved.find("--schedule"); it != saved.end() && saved.count("--clip")) {
    const std::string line = it->second;  // "SPEC per UNIT", SPEC empty without a schedule
    const std::size_t per = line.rfind(" per ");
    it->second = per == std::string::npos ? line : line.substr(0, per);
    saved["--schedule-unit"] = per == std::string::npos ? "epoch" : line.substr(per + 5);
  }
  if (const auto it = saved.find("--clip"); it != saved.end()) {  // "NORM PER_TENSOR VALUE"
    std::istringstream words(it->second);
    for (const char* flag : {"--clip-norm", "--clip-norm-per-tensor", "--clip-value"}) words >> saved[flag];
    saved.erase(it);
  }
  if (const auto it = saved.find("--average"); it != saved.end()) {  // "ema DECAY[ swa]"
    std::istringstream words(it->second);
    std::string ema, swa;
    words >> ema >> saved["--ema"] >> swa;
    saved["--swa"] = swa == "swa" ? "true" : "";
    saved.erase(it);
  }
}

// Restores or checks one setting against the checkpoint's text of it.
void settle(LabArgs& a, const Setting& s, const std::string& saved) {
  const std::string now = s.text(a).value_or(s.unset_text);
  if (now == saved) return;
  if (a.given.count(s.flag))
    throw CheckpointError(
        fmt::format("--resume {}: the run was started with '{} {}', not '{} {}' (only --epochs, --threads and "
                    "the output flags may change)",
                    a.resume, s.flag, saved, s.flag, now));
  const Text value = saved == s.unset_text ? std::nullopt : Text(saved);
  try {
    (s.restore ? s.restore : s.assign)(a, value);
  } catch (const Error& e) {
    throw CheckpointError(fmt::format("checkpoint '{}': its {} is damaged ({})", a.resume, s.flag, e.what()));
  }
}

}  // namespace

Checkpoint load_resume(LabArgs& a) {
  if (fs::is_directory(a.resume)) throw Error("--resume " + a.resume + ": is a directory, not a checkpoint file");
  Checkpoint c = Checkpoint::load(a.resume);
  if (!c.has("cli/config")) throw CheckpointError("checkpoint '" + a.resume + "': not written by descent train --save");
  std::map<std::string, std::string> saved;
  for (const auto& [flag, value] : config_lines(c.text("cli/config"))) saved[flag] = value;
  split_grouped_lines(saved);
  std::size_t known = 0;
  for (const Setting& s : run_settings()) {
    if (!s.fingerprint || !(s.commands & command_bit(a.command))) continue;
    const auto was = saved.find(s.flag);
    if (was == saved.end() && !s.legacy) throw CheckpointError("checkpoint '" + a.resume + "': its flags are damaged");
    known += was != saved.end();
    settle(a, s, was != saved.end() ? was->second : *s.legacy);
  }
  if (known != saved.size()) throw CheckpointError("checkpoint '" + a.resume + "': its flags are damaged");
  const auto cursor = c.i64("run/cursor");
  if (cursor.size() != 2) throw CheckpointError("checkpoint '" + a.resume + "': malformed run/cursor");
  if (cursor[0] > a.epochs || (cursor[0] == a.epochs && cursor[1] > 0))
    throw CheckpointError(fmt::format("--resume {}: the run is at epoch {}{}, past --epochs {}", a.resume, cursor[0],
                                      cursor[1] > 0 ? " (mid-epoch)" : "", a.epochs));
  const auto state = c.optimizer_state();
  fmt::print(stderr, "descent: resuming {} after epoch {}{} (step {})\n", a.resume, cursor[0],
             cursor[1] > 0 ? fmt::format(" and {} steps", cursor[1]) : "",
             state.groups.empty() ? 0 : state.groups[0].t);
  return c;
}

}  // namespace descent::cli
