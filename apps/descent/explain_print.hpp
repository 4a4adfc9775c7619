#pragma once
// How `descent explain` shows its table: the tutorial's columns as a table, CSV or JSON (a
// contract: t,g,m,v,eta,w first, then the optimizer's other state), and its messages.
#include <string>
#include <string_view>

#include "descent/explain.hpp"

namespace descent::cli {

struct Flag {
  std::string flag;    // as the user typed it: "--beta"
  std::string option;  // the option it sets: "momentum"
  std::string text;    // the value as typed
};

void print_table(const OptimizerInfo& info, const ExplainTable& table);
void print_csv(const ExplainTable& table);
void print_json(const ExplainTable& table);

// "--beta1 does not apply to sgd (...)" for an argument that no flag of `info` took.
std::string not_applying(const OptimizerInfo& info, std::string_view argument);
// `what`, then every optimizer by name with its summary, one per line.
std::string optimizer_list(std::string_view what);

}  // namespace descent::cli
