// A fully connected layer, y = x · W + b, with its gradients and momentum buffers.
// W is stored input-major, W[in×out]: row k holds the weights leaving input k, so a zero input
// skips a whole contiguous row in every product (see kernels.h).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "aligned_buffer.h"
#include "kernels.h"
#include "optimizer.h"
#include "rng.h"

namespace scratchnet {

// The next batch's forward through a layer, y[batch×out] = max(x · W + b, 0), which its step may run as it writes
// W (DenseLayer::backward_and_step).
struct NextForward {
  int batch;
  const float* x;  // [batch×in]
  float* y;        // [batch×out]
  // x·W as it is, without the bias or the ReLU: the rows [x − c; c] of a forward around an input background.
  bool around_background = false;
};

// Adam's steps wait only with β2 at least this: the catch-up's ε then stays near each owed step's (kernels.h).
constexpr float kMinDeferringBeta2 = 0.99f;

struct DenseLayer {
  int in = 0, out = 0;
  // The inputs and units the network uses: the first used_in rows and used_out columns. The rest are padding (a
  // network's dead units, network.h: computed_size), whose weights, bias and state stay zero: never read by the
  // next layer and so never trained. The kernels run on the whole [in×out].
  int used_in = 0, used_out = 0;
  FloatBuffer weights, bias;                   // [in×out], [out]
  // Training state, allocated when first needed: a model only used for inference does not carry it, and
  // training (backward_and_step) never needs weight_grad.
  FloatBuffer weight_grad, bias_grad;          // dL/dW, dL/db of the last backward pass
  FloatBuffer weight_velocity, bias_velocity;  // SGD's momentum buffers, or Adam's first moments
  FloatBuffer weight_second, bias_second;      // Adam's second moments
  OptimizerKind state_kind = OptimizerKind::kSgd;  // whose state the buffers hold
  std::vector<uint32_t> deferred_steps;        // per input: momentum steps its row of W still owes
  // The inputs' background c (input_background.h), or empty: forward() and backward_and_step() then take x as
  // (x − c) + c, whose zeros the sparse kernels skip, with the same results up to float rounding. Change it through
  // set_input_background().
  FloatBuffer input_background;

  // A layer of in_size × out_size weights, of which the first used_in_size × used_out_size are used (0: all).
  DenseLayer(int in_size, int out_size, int used_in_size = 0, int used_out_size = 0);
  // The parameters used (the padding left out).
  size_t parameter_count() const { return static_cast<size_t>(used_in) * used_out + used_out; }

  // He initialisation (suited to ReLU) of the used weights: W ~ N(0, 2/used_in), drawn row by row; b = 0, the
  // padding 0. Velocities reset.
  void init_he(Rng& rng);

  // y[B×out] = x[B×in] · W + b, then ReLU when `relu` (fused into the product's stores)
  void forward(int B, const float* x, float* y, bool relu = false) const;

  // Given x[B×in] (this layer's input) and dy[B×out] = dL/dy, sets weight_grad = xᵀ·dy, bias_grad = Σ_b dy,
  // and, when dx is not null, dx[B×in] = dy · Wᵀ. scratch must hold in×B floats, and at least in×out when dx is wanted.
  // With x_through_relu, x is the output of a ReLU and dx is taken through it (zero where x is not positive).
  void backward(int B, const float* x, const float* dy, float* dx, float* scratch, bool x_through_relu = false);

  // backward() and an SGD-with-momentum step (v = momentum·v + grad; param -= lr·v) in one: dx (when not null)
  // from the weights before the step, and the weight gradient applied block by block as it is computed, never
  // stored (f32_gemm_momentum_step). Bit-identical to backward() followed by f32_momentum_step on its
  // gradients. Returns false if any parameter became non-finite.
  //
  // With inputs_read_next (per input, non-zero if the next batch's input is non-zero there), the rows of W
  // whose input is zero in x and in the next batch defer their step (kernels.h: DeferredSteps). A step
  // without it brings every row up to date: take one before the weights are read other than by the next
  // batch (has_deferred_steps() says whether one is owed; catch_up_deferred_steps() also settles them).
  //
  // With next_forward, the step also runs that forward through the stepped parameters, as forward(…, relu=true)
  // after it would, up to the order of the sums (f32_gemm_momentum_step_then_forward_relu).
  //
  // The rule's optimizer decides the step (StepRule): SGD with momentum as above (a weight decay, or a rate
  // that changes from step to step, still exact: see DeferredSteps), or Adam / AdamW, whose rows defer as SGD's
  // (kernels.h: Adam's deferred steps) unless an L2 weight decay gives them a gradient or β2 < kMinDeferringBeta2.
  // A change of optimizer starts its state afresh.
  bool backward_and_step(int B, const float* x, const float* dy, float* dx, float* scratch, const StepRule& rule,
                         bool x_through_relu = false, const uint8_t* inputs_read_next = nullptr,
                         const NextForward* next_forward = nullptr);
  // SGD with momentum at this rate (the rule's other fields at their defaults).
  bool backward_and_step(int B, const float* x, const float* dy, float* dx, float* scratch, float learning_rate,
                         float momentum, bool x_through_relu = false, const uint8_t* inputs_read_next = nullptr,
                         const NextForward* next_forward = nullptr);
  bool has_deferred_steps() const { return has_deferred_; }
  // Sets input_background (empty: none), the deferred steps taken first: c·W reads every row c is not zero in.
  void set_input_background(const std::vector<float>& background);
  // Takes the deferred steps now (with the learning rate and momentum they were deferred under).
  void catch_up_deferred_steps();

  // Zeroes the optimizer's state (if allocated).
  void reset_velocity();
  // The optimizer's state buffers in a fixed order (SGD: velocities; Adam: first then second moments), for the
  // model file; allocated (zeroed) for `kind` first.
  std::vector<FloatBuffer*> optimizer_state(OptimizerKind kind);
  // The same buffers to read, or nulls where this layer holds no such state (none for `kind`, or not allocated).
  std::vector<const FloatBuffer*> optimizer_state_if_any(OptimizerKind kind) const;
  // Frees the gradients and momentum buffers; the next training step allocates them afresh.
  void release_training_buffers();

 private:
  void ensure_gradients();
  void ensure_state(OptimizerKind kind);
  bool sgd_step(int B, const float* x, const float* dy, const StepRule& rule, const uint8_t* inputs_read_next,
                const NextForward* next_forward);
  // The deferral of a step: the rows' owed counts when a row may wait now or owes steps from before (the step then
  // catches them up), and which rows the next batch reads when `may_defer`.
  DeferredSteps start_deferral(bool may_defer, const uint8_t* inputs_read_next);
  bool adam_step(int B, const float* x, const float* dy, const StepRule& rule, const uint8_t* inputs_read_next,
                 const NextForward* next_forward);
  // Adam's catch-up coefficients for the steps in adam_history_, into the tables (kernels.h: Adam's deferred steps).
  void fill_adam_deferred_tables(float beta1, float beta2);
  // The coefficients of owed steps taken at the rates of the last steps (lr_history_), into the tables.
  void fill_deferred_tables(float momentum);
  bool rates_changed_while_deferring(float learning_rate) const;
  // forward() around input_background: y = (x − c)·W + (b + c·W).
  void forward_around_background(int B, const float* x, float* y, bool relu) const;
  // dx[B×in] = dy[B×out] · Wᵀ (zero where relu_output ≤ 0, when given), through scratch.
  void input_gradient(int B, const float* dy, float* dx, float* scratch, const float* relu_output) const;

  // Around input_background: [x − c; c] [(B+1)×in], its product with W [(B+1)×out], b + c·W [out], and
  // [dy; Σ dy] [(B+1)×out]; the next batch's [x − c; c], which a step runs forward as it writes W.
  mutable FloatBuffer around_background_, background_outputs_, background_output_;
  FloatBuffer background_gradients_, next_around_background_;
  // y[B×out] = max(the rows of background_outputs_ + b + c·W, 0) (its row B holding c·W) when `relu`.
  void finish_forward_around_background(int B, float* y, bool relu) const;
  // The bias a step's fused next forward starts from: none around a background (finished after).
  const float* next_bias(const NextForward* next) const { return next->around_background ? nullptr : bias.data(); }
  bool has_deferred_ = false;
  float deferred_lr_ = 0.f, deferred_momentum_ = 0.f;  // the last step's, which the deferred ones owe
  // The rates of the steps since the last one that brought every row up to date, the latest first: owed steps
  // are caught up at the rates they were owed under. At most kMaxPendingSteps (a full step comes then).
  std::vector<float> lr_history_;
  std::array<float, kMaxPendingSteps + 1> decay_table_{}, catch_up_table_{};
  // Adam's: the owed steps' step sizes and AdamW shrinks (AdamConstants), the latest first, as lr_history_;
  // the betas and the latest epsilon they were taken with; the moments' decays by pending count.
  struct OwedAdamStep {
    float step_size, shrink;
  };
  std::vector<OwedAdamStep> adam_history_;
  float deferred_beta1_ = 0.f, deferred_beta2_ = 0.f, deferred_epsilon_ = 0.f;
  std::array<float, kMaxPendingSteps + 1> first_moment_decay_table_{}, second_moment_decay_table_{};
};

}  // namespace scratchnet
