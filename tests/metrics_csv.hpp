#pragma once
// metrics.csv without its seconds column (optimizer,epoch,loss,test_accuracy,seconds,lr): the
// one column two runs with the same numbers do not share.
#include <sstream>
#include <string>

inline std::string without_seconds(const std::string& csv) {
  std::istringstream in(csv);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    std::size_t fourth = 0;
    for (int k = 0; k < 4 && fourth != std::string::npos; ++k) fourth = line.find(',', fourth + (k > 0));
    const std::size_t fifth = line.find(',', fourth + 1);
    out += line.substr(0, fourth) + (fifth == std::string::npos ? "" : line.substr(fifth)) + "\n";
  }
  return out;
}
