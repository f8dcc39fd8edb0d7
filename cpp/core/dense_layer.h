// A fully connected layer, y = x · W + b, with its gradients and momentum buffers.
// W is stored input-major, W[in×out]: row k holds the weights leaving input k, so a zero input
// skips a whole contiguous row in every product (see kernels.h).
#pragma once
#include <vector>

#include "rng.h"

namespace scratchnet {

struct DenseLayer {
  int in = 0, out = 0;
  std::vector<float> weights, bias;                  // [in×out], [out]
  // Training state, allocated at the first backward pass: a model only used for inference does not carry it.
  std::vector<float> weight_grad, bias_grad;          // dL/dW, dL/db of the last backward pass
  std::vector<float> weight_velocity, bias_velocity;  // momentum buffers

  DenseLayer(int in_size, int out_size);
  size_t parameter_count() const { return weights.size() + bias.size(); }

  // He initialisation (suited to ReLU): W ~ N(0, 2/in), b = 0. Velocities reset.
  void init_he(Rng& rng);

  // y[B×out] = x[B×in] · W + b
  void forward(int B, const float* x, float* y) const;

  // Given x[B×in] (this layer's input) and dy[B×out] = dL/dy, sets weight_grad = xᵀ·dy, bias_grad = Σ_b dy,
  // and, when dx is not null, dx[B×in] = dy · Wᵀ. scratch must hold in×B floats, and at least in×out when dx is wanted.
  void backward(int B, const float* x, const float* dy, float* dx, float* scratch);

  // v = momentum·v + grad; param -= lr·v. Returns false if any parameter became non-finite.
  bool momentum_step(float learning_rate, float momentum);

  // Zeroes the momentum buffers (if allocated).
  void reset_velocity();
  // Frees the gradients and momentum buffers; the next training step allocates them afresh.
  void release_training_buffers();

 private:
  void ensure_training_buffers();
};

}  // namespace scratchnet
