#include "optimizer.h"

#include <algorithm>
#include <cmath>

namespace scratchnet {

const char* optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kAdamW: return "adamw";
    default: return "sgd";
  }
}

bool parse_optimizer(const std::string& name, OptimizerKind* kind) {
  if (name == "sgd") *kind = OptimizerKind::kSgd;
  else if (name == "adam") *kind = OptimizerKind::kAdam;
  else if (name == "adamw") *kind = OptimizerKind::kAdamW;
  else return false;
  return true;
}

bool parse_schedule(const std::string& name, ScheduleKind* kind) {
  if (name == "constant") *kind = ScheduleKind::kConstant;
  else if (name == "cosine") *kind = ScheduleKind::kCosine;
  else if (name == "step") *kind = ScheduleKind::kStep;
  else return false;
  return true;
}

const char* schedule_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kCosine: return "cosine";
    case ScheduleKind::kStep: return "step";
    default: return "constant";
  }
}

float scheduled_rate(const Schedule& schedule, float rate, uint64_t step) {
  const uint64_t warmup = schedule.warmup_batches > 0 ? static_cast<uint64_t>(schedule.warmup_batches) : 0;
  if (step < warmup) return static_cast<float>(static_cast<double>(rate) * static_cast<double>(step + 1) / warmup);
  const uint64_t since = step - warmup;
  switch (schedule.kind) {
    case ScheduleKind::kCosine: {
      const double span = schedule.total_batches > static_cast<int>(warmup) ? schedule.total_batches - warmup : 1;
      const double progress = std::min(1.0, static_cast<double>(since) / span);
      return static_cast<float>(rate * 0.5 * (1.0 + std::cos(M_PI * progress)));
    }
    case ScheduleKind::kStep: {
      if (schedule.step_batches <= 0) return rate;
      return static_cast<float>(rate * std::pow(static_cast<double>(schedule.step_gamma),
                                                static_cast<double>(since / schedule.step_batches)));
    }
    default: return rate;
  }
}

}  // namespace scratchnet
