// The update rules a training step can take, and the learning-rate schedules that drive them over a run.
#pragma once
#include <cstdint>
#include <string>

namespace scratchnet {

enum class OptimizerKind : uint32_t {
  kSgd = 0,    // SGD with momentum (momentum 0: the original's plain SGD)
  kAdam = 1,   // Adam, weight decay as an L2 term of the gradient
  kAdamW = 2,  // Adam with decoupled weight decay
};
const char* optimizer_name(OptimizerKind kind);  // "sgd" / "adam" / "adamw"
bool parse_optimizer(const std::string& name, OptimizerKind* kind);  // the names above

// One training step's update of every layer. Weight decay applies to weights, not biases.
struct StepRule {
  OptimizerKind optimizer = OptimizerKind::kSgd;
  float learning_rate = 0.1f;  // this step's, after the schedule
  float momentum = 0.9f;       // SGD
  float weight_decay = 0.f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // Adam
  uint32_t t = 1;  // the step's number from 1: Adam's bias corrections
};

enum class ScheduleKind : uint32_t {
  kConstant = 0,
  kCosine = 1,  // from the rate down to 0 over the run, as cos
  kStep = 2,    // × gamma every `every` batches
};
const char* schedule_name(ScheduleKind kind);  // "constant" / "cosine" / "step"
bool parse_schedule(const std::string& name, ScheduleKind* kind);  // the names above

struct Schedule {
  ScheduleKind kind = ScheduleKind::kConstant;
  int warmup_batches = 0;  // linear warm-up from rate/warmup to the rate, before any schedule
  int total_batches = 0;   // cosine: the run's length, warm-up included
  int step_batches = 0;    // step: batches between decays
  float step_gamma = 0.1f;
};

// The learning rate of the batch numbered `step` (from 0) of a run whose base rate is `rate`.
float scheduled_rate(const Schedule& schedule, float rate, uint64_t step);

}  // namespace scratchnet
