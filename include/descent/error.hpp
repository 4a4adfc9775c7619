#pragma once
// Every error descent raises is a descent::Error: one line that names what is wrong and where.
#include <stdexcept>
#include <string>

namespace descent {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An option outside its allowed range, or options that contradict each other.
class OptionError : public Error {
 public:
  using Error::Error;
};

}  // namespace descent
