// Element-wise activations and the two output losses, each with its backward pass.
// B = batch size, C = classes (output width), n = element count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace scratchnet {

// y[n] = max(x, 0)   (in place allowed)
void relu_forward(size_t n, const float* x, float* y);
// dx[n] = dy where y > 0, else 0   (y is relu's output; in place on dy allowed)
void relu_backward(size_t n, const float* y, const float* dy, float* dx);

// y[n] = 1 / (1 + exp(-x))
void sigmoid_forward(size_t n, const float* x, float* y);
// dx[n] = dy · y · (1 - y)   (y is sigmoid's output)
void sigmoid_backward(size_t n, const float* y, const float* dy, float* dx);

// y[B×C] = softmax of each row of x[B×C]
void softmax_forward(int B, int C, const float* x, float* y);

// L2 loss of outputs y[B×C] against one-hot labels[B]: the mean over the C outputs of (t - y)², averaged over
// the batch. Writes dy[B×C] = dL/dy = (2/C)(y - t)/B. Returns the loss.
// With label smoothing ε, dy pulls toward softened targets instead, t' = (1 − ε)·t + ε/2 (each sigmoid output a
// yes or no of its own: 0.1 and 0.9 at ε = 0.2), while the loss returned stays the one against t.
double l2_loss_forward_backward(int B, int C, const float* y, const uint8_t* labels, float* dy,
                                float label_smoothing = 0.f);
// The loss alone (for evaluation).
double l2_loss(int B, int C, const float* y, const uint8_t* labels);

// Cross-entropy of softmax(logits[B×C]) against labels[B], averaged over the batch, computed stably from the
// logits. Writes probs[B×C] and dlogits[B×C] = (probs - t)/B. Returns the loss.
// With label smoothing ε, dlogits pulls toward t' = (1 − ε)·t + ε/C (a share of ε for every class), while the
// loss returned stays the one against t.
double softmax_cross_entropy_forward_backward(int B, int C, const float* logits, const uint8_t* labels, float* probs,
                                              float* dlogits, float label_smoothing = 0.f);
// The loss alone, from probabilities (for evaluation); probabilities are floored at 1e-30 so a wrong, certain
// answer gives a large finite loss.
double cross_entropy_loss(int B, int C, const float* probs, const uint8_t* labels);

}  // namespace scratchnet
