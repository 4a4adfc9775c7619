#pragma once
// Reads the family's golden files (tests/golden/family/*.txt, written by generate_family.py):
// whitespace-separated lines, each a keyword followed by words or numbers.
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace family {

struct Line {
  std::string key;
  std::vector<std::string> words;
  std::vector<double> numbers() const {
    std::vector<double> out;
    for (const auto& w : words) out.push_back(std::stod(w));
    return out;
  }
};

inline std::vector<Line> read_golden(const std::string& file) {
  std::ifstream in(std::string(DESCENT_GOLDEN_DIR) + "/family/" + file);
  if (!in) throw std::runtime_error("cannot open golden file " + file);
  std::vector<Line> lines;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty() || text[0] == '#') continue;
    std::istringstream s(text);
    Line l;
    s >> l.key;
    for (std::string w; s >> w;) l.words.push_back(w);
    lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace family
