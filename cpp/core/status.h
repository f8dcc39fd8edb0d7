// Errors travel as values: the wasm build has no C++ exceptions, and a message is what the user needs.
#pragma once
#include <string>
#include <utility>

namespace scratchnet {

struct Status {
  std::string error;  // empty when all went well
  bool ok() const { return error.empty(); }
  static Status Ok() { return {}; }
  static Status Error(std::string message) { return Status{std::move(message)}; }
};

}  // namespace scratchnet
