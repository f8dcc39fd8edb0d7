#include "activations.h"

#include <algorithm>
#include <cmath>

namespace scratchnet {

void relu_forward(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

void relu_backward(size_t n, const float* y, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

void sigmoid_forward(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + std::exp(-x[i]));
}

void sigmoid_backward(size_t n, const float* y, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
}

void softmax_forward(int B, int C, const float* x, float* y) {
  for (int b = 0; b < B; ++b) {
    const float* row = x + static_cast<size_t>(b) * C;
    float* out = y + static_cast<size_t>(b) * C;
    const float top = *std::max_element(row, row + C);
    float sum = 0.f;
    for (int c = 0; c < C; ++c) sum += out[c] = std::exp(row[c] - top);
    for (int c = 0; c < C; ++c) out[c] /= sum;
  }
}

double l2_loss_forward_backward(int B, int C, const float* y, const uint8_t* labels, float* dy,
                                float label_smoothing) {
  double total = 0.0;
  const float scale = 2.f / (static_cast<float>(C) * static_cast<float>(B));
  const float no = 0.5f * label_smoothing, yes = 1.f - no;  // the softened targets (1 and 0 when ε = 0)
  for (int b = 0; b < B; ++b) {
    for (int c = 0; c < C; ++c) {
      const size_t i = static_cast<size_t>(b) * C + c;
      const bool is_label = labels[b] == c;
      const float diff = y[i] - (is_label ? 1.f : 0.f);
      total += static_cast<double>(diff) * diff;
      dy[i] = scale * (y[i] - (is_label ? yes : no));
    }
  }
  return total / (static_cast<double>(C) * B);
}

double l2_loss(int B, int C, const float* y, const uint8_t* labels) {
  double total = 0.0;
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < C; ++c) {
      const double diff = y[static_cast<size_t>(b) * C + c] - (labels[b] == c ? 1.0 : 0.0);
      total += diff * diff;
    }
  return total / (static_cast<double>(C) * B);
}

double softmax_cross_entropy_forward_backward(int B, int C, const float* logits, const uint8_t* labels, float* probs,
                                              float* dlogits, float label_smoothing) {
  double total = 0.0;
  const float inv_batch = 1.f / static_cast<float>(B);
  // The softened targets (1 and 0 when ε = 0)
  const float other = label_smoothing / static_cast<float>(C), label = 1.f - label_smoothing + other;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + static_cast<size_t>(b) * C;
    float* p = probs + static_cast<size_t>(b) * C;
    float* dz = dlogits + static_cast<size_t>(b) * C;
    const float top = *std::max_element(z, z + C);
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[c] - top));
    const double log_sum = std::log(sum) + top;  // log Σ exp(z)
    total += log_sum - z[labels[b]];
    for (int c = 0; c < C; ++c) {
      p[c] = static_cast<float>(std::exp(z[c] - log_sum));
      dz[c] = (p[c] - (labels[b] == c ? label : other)) * inv_batch;
    }
  }
  return total / B;
}

double cross_entropy_loss(int B, int C, const float* probs, const uint8_t* labels) {
  double total = 0.0;
  for (int b = 0; b < B; ++b)
    total -= std::log(std::max(static_cast<double>(probs[static_cast<size_t>(b) * C + labels[b]]), 1e-30));
  return total / B;
}

}  // namespace scratchnet
