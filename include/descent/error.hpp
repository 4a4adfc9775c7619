#pragma once
// Every error descent raises is a descent::Error: one line that names what is wrong and where.
#include <stdexcept>
#include <string>
#include <utility>

namespace descent {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An option outside its allowed range, or options that contradict each other.
class OptionError : public Error {
 public:
  using Error::Error;
  // An error about one option, worded before + option + after with the option under the name
  // the library gives it ("ema", "batch_size"): a front end shows its own name for it instead
  // (the CLI its flag, --batch-size), so the library never names a flag.
  OptionError(std::string before, std::string option, std::string after)
      : Error(before + option + after),
        before_(std::move(before)),
        option_(std::move(option)),
        after_(std::move(after)) {}

  const std::string& option() const noexcept { return option_; }  // empty: the message names no one option
  std::string named(const std::string& shown) const { return before_ + shown + after_; }

 private:
  std::string before_, option_, after_;
};

}  // namespace descent
