#pragma once
// Schedules from one line of text, for the command line (descent train/compare --schedule):
//   step:size=100,gamma=0.5           cosine:t_max=500,eta_min=0.001
//   exp:decay=0.96,decay_steps=100    warmup:steps=50+cosine:t_max=450
//   warmup:steps=50*cosine:t_max=500  plateau:factor=0.5,patience=20
// '+' runs parts one after another, each part before a '+' lasting its own length (warmup's
// steps, cosine's t_max, ...); '*' multiplies parts. '*' binds tighter than '+'. The kinds and
// their keys are listed in docs/lab.md. Bad text throws OptionError naming the spec and the
// 1-based position of the fault.
#include <memory>
#include <string_view>

#include "descent/schedule.hpp"

namespace descent {

struct ParsedSchedule {
  std::unique_ptr<Schedule> schedule;
  bool uses_metric = false;  // it has a plateau part, which must be fed a metric
};

ParsedSchedule parse_schedule(std::string_view spec);

}  // namespace descent
