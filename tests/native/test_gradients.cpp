// Finite-difference checks of every backward pass: the activations, the two losses, a dense layer,
// and the whole network's train_batch. Central differences with eps ~1e-3 on float, divided by the
// step actually taken after rounding, compared with a relative tolerance of 1e-2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "activations.h"
#include "dense_layer.h"
#include "network.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using scratchnet_test::random_floats;

constexpr float kEps = 1e-3f;

// Numerical derivative of f with respect to *param: central difference over the step as rounded.
double numerical_derivative(float* param, const std::function<double()>& f) {
  const float original = *param;
  const float plus = original + kEps, minus = original - kEps;
  *param = plus;
  const double f_plus = f();
  *param = minus;
  const double f_minus = f();
  *param = original;
  return (f_plus - f_minus) / (static_cast<double>(plus) - minus);
}

// |analytic - numerical| within 1% of the larger, plus a floor for values that are ~0 (set by the caller
// relative to the typical gradient size, so it cannot hide a wrong gradient of ordinary size).
::testing::AssertionResult gradients_agree(double analytic, double numerical, double floor) {
  const double tolerance = 1e-2 * std::max(std::fabs(analytic), std::fabs(numerical)) + floor;
  if (std::fabs(analytic - numerical) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "analytic " << analytic << " vs numerical " << numerical << " (tolerance "
                                       << tolerance << ")";
}

// Values bounded away from 0 so a central difference never straddles ReLU's kink.
std::vector<float> away_from_zero(Rng& rng, size_t n) {
  std::vector<float> v = random_floats(rng, n, -2.f, 2.f);
  for (float& x : v)
    if (std::fabs(x) < 0.05f) x = x < 0 ? -0.05f : 0.05f;
  return v;
}

TEST(Gradients, ReluBackwardMatchesFiniteDifferences) {
  Rng rng(1);
  const size_t n = 37;
  std::vector<float> x = away_from_zero(rng, n);
  const std::vector<float> dy = random_floats(rng, n, -1.f, 1.f);
  std::vector<float> y(n), dx(n);
  relu_forward(n, x.data(), y.data());
  relu_backward(n, y.data(), dy.data(), dx.data());
  for (size_t i = 0; i < n; ++i) {
    // L = Σ dy·relu(x), so dL/dx_i = dy_i·relu'(x_i).
    const double numerical = numerical_derivative(&x[i], [&] {
      std::vector<float> out(n);
      relu_forward(n, x.data(), out.data());
      double L = 0;
      for (size_t j = 0; j < n; ++j) L += static_cast<double>(dy[j]) * out[j];
      return L;
    });
    EXPECT_TRUE(gradients_agree(dx[i], numerical, 1e-5)) << "x[" << i << "] = " << x[i];
  }
  // In place on dy, as the network uses it.
  std::vector<float> in_place = dy;
  relu_backward(n, y.data(), in_place.data(), in_place.data());
  EXPECT_EQ(in_place, dx);
}

TEST(Gradients, SigmoidBackwardMatchesFiniteDifferences) {
  Rng rng(2);
  const size_t n = 37;
  std::vector<float> x = random_floats(rng, n, -4.f, 4.f);
  const std::vector<float> dy = random_floats(rng, n, -1.f, 1.f);
  std::vector<float> y(n), dx(n);
  sigmoid_forward(n, x.data(), y.data());
  for (float v : y) ASSERT_TRUE(v > 0.f && v < 1.f);
  sigmoid_backward(n, y.data(), dy.data(), dx.data());
  for (size_t i = 0; i < n; ++i) {
    const double numerical = numerical_derivative(&x[i], [&] {
      std::vector<float> out(n);
      sigmoid_forward(n, x.data(), out.data());
      double L = 0;
      for (size_t j = 0; j < n; ++j) L += static_cast<double>(dy[j]) * out[j];
      return L;
    });
    EXPECT_TRUE(gradients_agree(dx[i], numerical, 1e-5)) << "x[" << i << "] = " << x[i];
  }
}

TEST(Gradients, L2LossBackwardMatchesFiniteDifferences) {
  Rng rng(3);
  const int B = 3, C = 4;
  std::vector<float> y = random_floats(rng, B * C, 0.05f, 0.95f);
  const std::vector<uint8_t> labels = {2, 0, 3};
  std::vector<float> dy(B * C);
  const double loss = l2_loss_forward_backward(B, C, y.data(), labels.data(), dy.data());
  // The loss is the mean over B·C of (t - y)², computed here independently.
  double expected = 0;
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < C; ++c) {
      const double d = y[b * C + c] - (labels[b] == c ? 1.0 : 0.0);
      expected += d * d;
    }
  expected /= B * C;
  EXPECT_NEAR(loss, expected, 1e-7);
  EXPECT_NEAR(l2_loss(B, C, y.data(), labels.data()), expected, 1e-7);
  for (int i = 0; i < B * C; ++i) {
    const double numerical =
        numerical_derivative(&y[i], [&] { return l2_loss(B, C, y.data(), labels.data()); });
    EXPECT_TRUE(gradients_agree(dy[i], numerical, 1e-6)) << "y[" << i << "]";
  }
}

TEST(Gradients, SoftmaxCrossEntropyBackwardMatchesFiniteDifferences) {
  Rng rng(4);
  const int B = 3, C = 5;
  std::vector<float> logits = random_floats(rng, B * C, -3.f, 3.f);
  for (int c = 0; c < C; ++c) logits[2 * C + c] += 50.f;  // a shifted row: stable log-sum-exp must not care
  const std::vector<uint8_t> labels = {4, 0, 2};
  std::vector<float> probs(B * C), dlogits(B * C);
  const double loss =
      softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), probs.data(), dlogits.data());
  EXPECT_NEAR(loss, cross_entropy_loss(B, C, probs.data(), labels.data()), 1e-5);
  std::vector<float> softmax(B * C);
  softmax_forward(B, C, logits.data(), softmax.data());
  for (int b = 0; b < B; ++b) {
    double row_sum = 0;
    for (int c = 0; c < C; ++c) {
      row_sum += probs[b * C + c];
      EXPECT_NEAR(probs[b * C + c], softmax[b * C + c], 1e-6);
    }
    EXPECT_NEAR(row_sum, 1.0, 1e-5);
  }
  for (int i = 0; i < B * C; ++i) {
    const double numerical = numerical_derivative(&logits[i], [&] {
      std::vector<float> p(B * C), d(B * C);
      return softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), p.data(), d.data());
    });
    EXPECT_TRUE(gradients_agree(dlogits[i], numerical, 1e-5)) << "logit " << i;
  }
}

TEST(Gradients, SoftmaxCrossEntropyIsStableForExtremeLogits) {
  const int B = 2, C = 3;
  const std::vector<float> logits = {1000.f, 0.f, -1000.f, 1000.f, 0.f, -1000.f};
  const std::vector<uint8_t> labels = {0, 1};
  std::vector<float> probs(B * C), dlogits(B * C);
  const double loss =
      softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), probs.data(), dlogits.data());
  // Sample 0 is certain and right (loss ~0), sample 1 certain and wrong by 1000 (loss ~1000): mean ~500.
  EXPECT_NEAR(loss, 500.0, 1e-3);
  for (int i = 0; i < B * C; ++i) {
    EXPECT_TRUE(std::isfinite(probs[i]));
    EXPECT_TRUE(std::isfinite(dlogits[i]));
  }
  // The evaluation loss floors a zero probability instead of returning infinity.
  EXPECT_TRUE(std::isfinite(cross_entropy_loss(B, C, probs.data(), labels.data())));
  EXPECT_GT(cross_entropy_loss(B, C, probs.data(), labels.data()), 30.0);
}

// Label smoothing ε, against a naive reference in double: the targets t' = (1 − ε)·t + ε/2 (sigmoid) or + ε/C
// (softmax), the gradient of the loss against t', and finite differences of that loss; the loss returned stays
// the one against the labels; ε = 0 gives the plain gradient to the bit.
TEST(Gradients, LabelSmoothingPullsTheL2GradientTowardTheSoftenedTargets) {
  Rng rng(11);
  const int B = 3, C = 4;
  std::vector<float> y = random_floats(rng, B * C, 0.05f, 0.95f);
  const std::vector<uint8_t> labels = {1, 3, 0};
  for (float smoothing : {0.2f, 0.5f}) {
    auto target = [&](int i) { return (1.0 - smoothing) * (labels[i / C] == i % C) + smoothing / 2.0; };
    auto smoothed_loss = [&] {
      double total = 0;
      for (int i = 0; i < B * C; ++i) total += (y[i] - target(i)) * (y[i] - target(i));
      return total / (B * C);
    };
    std::vector<float> dy(B * C);
    const double loss = l2_loss_forward_backward(B, C, y.data(), labels.data(), dy.data(), smoothing);
    EXPECT_NEAR(loss, l2_loss(B, C, y.data(), labels.data()), 1e-7) << "the loss against the labels";
    for (int i = 0; i < B * C; ++i) {
      EXPECT_NEAR(dy[i], 2.0 * (y[i] - target(i)) / (B * C), 1e-7) << "y[" << i << "], smoothing " << smoothing;
      EXPECT_TRUE(gradients_agree(dy[i], numerical_derivative(&y[i], smoothed_loss), 1e-6)) << "y[" << i << "]";
    }
  }
  std::vector<float> dy(B * C);
  l2_loss_forward_backward(B, C, y.data(), labels.data(), dy.data(), 0.f);
  const float scale = 2.f / (static_cast<float>(C) * static_cast<float>(B));
  for (int i = 0; i < B * C; ++i) EXPECT_EQ(dy[i], scale * (y[i] - (labels[i / C] == i % C ? 1.f : 0.f)));
}

TEST(Gradients, LabelSmoothingPullsTheCrossEntropyGradientTowardTheSoftenedTargets) {
  Rng rng(12);
  const int B = 3, C = 5;
  std::vector<float> logits = random_floats(rng, B * C, -3.f, 3.f);
  const std::vector<uint8_t> labels = {2, 4, 0};
  std::vector<float> probs(B * C), dlogits(B * C), plain(B * C);
  const double loss_against_labels =
      softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), probs.data(), plain.data());
  for (float smoothing : {0.1f, 0.4f}) {
    auto target = [&](int i) { return (1.0 - smoothing) * (labels[i / C] == i % C) + smoothing / C; };
    // −Σ t'·log softmax, averaged over the batch, naively in double
    auto smoothed_loss = [&] {
      double total = 0;
      for (int b = 0; b < B; ++b) {
        double sum = 0;
        for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(logits[b * C + c]));
        for (int c = 0; c < C; ++c) total -= target(b * C + c) * std::log(std::exp(static_cast<double>(logits[b * C + c])) / sum);
      }
      return total / B;
    };
    const double loss = softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), probs.data(),
                                                               dlogits.data(), smoothing);
    EXPECT_EQ(loss, loss_against_labels);
    for (int i = 0; i < B * C; ++i) {
      EXPECT_NEAR(dlogits[i], (probs[i] - target(i)) / B, 1e-7) << "logit " << i << ", smoothing " << smoothing;
      EXPECT_TRUE(gradients_agree(dlogits[i], numerical_derivative(&logits[i], smoothed_loss), 1e-5)) << "logit " << i;
    }
  }
  softmax_cross_entropy_forward_backward(B, C, logits.data(), labels.data(), probs.data(), dlogits.data(), 0.f);
  const float inv_batch = 1.f / static_cast<float>(B);
  for (int i = 0; i < B * C; ++i) EXPECT_EQ(plain[i], (probs[i] - (labels[i / C] == i % C ? 1.f : 0.f)) * inv_batch);
}

// Through a network: compute_gradients' output-layer bias gradient is the softened targets' (the naive sum over the
// batch of dL/dlogit), and its loss is the one against the labels.
TEST(Gradients, ANetworksLabelSmoothingReachesItsOutputGradient) {
  for (OutputLoss output : {OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy}) {
    NetworkConfig config;
    config.sizes = {6, 8, 3};
    config.output = output;
    config.seed = 5;
    Network net(config);
    const float smoothing = 0.2f;
    net.set_label_smoothing(smoothing);
    Rng rng(13);
    const int B = 5, C = 3;
    const std::vector<float> x = random_floats(rng, B * 6, 0.f, 1.f);
    const std::vector<uint8_t> labels = {0, 2, 1, 1, 2};
    const std::vector<float> probs(net.forward(B, x.data()), net.forward(B, x.data()) + B * C);
    const BatchResult result = net.compute_gradients(B, x.data(), labels.data());
    EXPECT_NEAR(result.loss, net.loss(B, probs.data(), labels.data()), 1e-7);
    const double other = output == OutputLoss::kSigmoidL2 ? smoothing / 2.0 : smoothing / C;
    for (int c = 0; c < C; ++c) {
      double expected = 0;
      for (int b = 0; b < B; ++b) {
        const double p = probs[b * C + c], t = (1.0 - smoothing) * (labels[b] == c) + other;
        expected += output == OutputLoss::kSigmoidL2 ? 2.0 * (p - t) * p * (1.0 - p) / (B * C) : (p - t) / B;
      }
      EXPECT_NEAR(net.layers().back().bias_grad[c], expected, 1e-6) << output_loss_name(output) << " class " << c;
    }
  }
}

TEST(Gradients, DenseLayerBackwardMatchesFiniteDifferences) {
  Rng rng(5);
  const int B = 3, in = 5, out = 4;
  DenseLayer layer(in, out);
  layer.init_he(rng);
  const std::vector<float> initial_bias = random_floats(rng, out, -0.5f, 0.5f);
  layer.bias.assign(initial_bias.begin(), initial_bias.end());
  std::vector<float> x = random_floats(rng, B * in, 0.f, 1.f);
  for (int b = 0; b < B; ++b) x[b * in + 2] = 0.f;  // input 2 is zero in every sample: skipped by the kernels
  x[1 * in + 4] = 0.f;
  const std::vector<float> dy = random_floats(rng, B * out, -1.f, 1.f);

  std::vector<float> dx(B * in), scratch(std::max(in * B, in * out));
  layer.backward(B, x.data(), dy.data(), dx.data(), scratch.data());

  // L = Σ dy ⊙ (x·W + b): its gradients are exactly what backward should produce.
  auto loss = [&] {
    std::vector<float> y(B * out);
    layer.forward(B, x.data(), y.data());
    double L = 0;
    for (int i = 0; i < B * out; ++i) L += static_cast<double>(dy[i]) * y[i];
    return L;
  };
  for (int k = 0; k < in; ++k) {
    for (int j = 0; j < out; ++j) {
      const size_t i = static_cast<size_t>(k) * out + j;
      double exact = 0;  // (xᵀ·dy)[k][j]
      for (int b = 0; b < B; ++b) exact += static_cast<double>(x[b * in + k]) * dy[b * out + j];
      EXPECT_NEAR(layer.weight_grad[i], exact, 1e-6) << "W[" << k << "][" << j << "]";
      EXPECT_TRUE(gradients_agree(layer.weight_grad[i], numerical_derivative(&layer.weights[i], loss), 1e-4))
          << "W[" << k << "][" << j << "]";
    }
  }
  for (int j = 0; j < out; ++j) EXPECT_EQ(layer.weight_grad[2 * out + j], 0.f) << "a zero input has no weight gradient";
  for (int j = 0; j < out; ++j)
    EXPECT_TRUE(gradients_agree(layer.bias_grad[j], numerical_derivative(&layer.bias[j], loss), 1e-4)) << "b[" << j << "]";
  for (int i = 0; i < B * in; ++i)
    EXPECT_TRUE(gradients_agree(dx[i], numerical_derivative(&x[i], loss), 1e-4)) << "x[" << i << "]";

  // Without dx the parameter gradients are the same.
  const FloatBuffer weight_grad = layer.weight_grad, bias_grad = layer.bias_grad;
  std::fill(layer.weight_grad.begin(), layer.weight_grad.end(), 99.f);
  layer.backward(B, x.data(), dy.data(), nullptr, scratch.data());
  EXPECT_EQ(layer.weight_grad, weight_grad);
  EXPECT_EQ(layer.bias_grad, bias_grad);
}

TEST(Gradients, DenseLayerHeInitHasTheRightScale) {
  Rng rng(6);
  DenseLayer layer(200, 300);
  layer.weight_velocity.assign(layer.weights.size(), 1.f);
  layer.init_he(rng);
  double sum_sq = 0;
  for (float w : layer.weights) sum_sq += static_cast<double>(w) * w;
  EXPECT_NEAR(sum_sq / layer.weights.size(), 2.0 / 200, 0.1 * 2.0 / 200);  // variance 2/in
  for (float b : layer.bias) EXPECT_EQ(b, 0.f);
  for (float v : layer.weight_velocity) ASSERT_EQ(v, 0.f);
}

struct NetworkCase {
  std::vector<int> sizes;
  int batch;
  OutputLoss output;
};

std::ostream& operator<<(std::ostream& os, const NetworkCase& c) {
  os << output_loss_name(c.output) << " sizes";
  for (int s : c.sizes) os << " " << s;
  return os << ", batch " << c.batch;
}

class NetworkGradients : public ::testing::TestWithParam<NetworkCase> {};

// compute_gradients' gradients against finite differences of Network::forward + Network::loss, and
// train_batch's step (fused: it never stores the weight gradient) against exactly w - lr·g with them.
TEST_P(NetworkGradients, TrainBatchGradientsMatchFiniteDifferences) {
  const NetworkCase& c = GetParam();
  NetworkConfig config;
  config.sizes = c.sizes;
  config.output = c.output;
  config.seed = 7;
  ASSERT_TRUE(validate(config).ok());
  Network net(config);
  Rng rng(8);
  const int B = c.batch, F = c.sizes.front(), C = c.sizes.back();
  auto make_batch = [&](std::vector<float>& x, std::vector<uint8_t>& labels) {
    x = random_floats(rng, static_cast<size_t>(B) * F, 0.f, 1.f);
    for (float& v : x)
      if (rng.uniform() < 0.3f) v = 0.f;  // pixels are often exactly zero
    labels.resize(B);
    for (auto& l : labels) l = static_cast<uint8_t>(rng.below(C));
  };
  // A first step with momentum, so the checked step starts from non-zero velocities and stale gradients.
  std::vector<float> x;
  std::vector<uint8_t> labels;
  make_batch(x, labels);
  ASSERT_TRUE(net.train_batch(B, x.data(), labels.data(), 0.05f, 0.9f).finite);
  net.reset_velocities();
  make_batch(x, labels);

  const Network before = net;  // Network is copyable: the numerical loss is taken on this copy
  Network gradients = before;
  const BatchResult computed = gradients.compute_gradients(B, x.data(), labels.data());
  const float lr = 1e-3f;
  const BatchResult result = net.train_batch(B, x.data(), labels.data(), lr, 0.f);
  ASSERT_TRUE(result.finite);
  EXPECT_EQ(result.loss, computed.loss);
  EXPECT_EQ(result.correct, computed.correct);

  Network probe = before;
  auto loss = [&] { return probe.loss(B, probe.forward(B, x.data()), labels.data()); };
  EXPECT_NEAR(result.loss, loss(), 1e-5 * std::max(1.0, result.loss));
  const float* probs = probe.forward(B, x.data());
  int correct = 0;
  for (int b = 0; b < B; ++b) correct += argmax(probs + static_cast<size_t>(b) * C, C) == labels[b];
  EXPECT_EQ(result.correct, correct);

  double scale = 0;
  size_t nonzero = 0, total = 0;
  for (const auto& layer : gradients.layers()) {
    for (float g : layer.weight_grad) scale = std::max(scale, std::fabs(static_cast<double>(g))), nonzero += g != 0, ++total;
    for (float g : layer.bias_grad) scale = std::max(scale, std::fabs(static_cast<double>(g))), nonzero += g != 0, ++total;
  }
  ASSERT_GT(scale, 1e-6);
  EXPECT_GT(nonzero, total / 3) << "too few non-zero gradients for the check to mean much";
  const double floor = 1e-3 * scale;

  for (size_t l = 0; l < net.layers().size(); ++l) {
    const DenseLayer& trained = net.layers()[l];
    const DenseLayer& computed_layer = gradients.layers()[l];
    DenseLayer& probed = probe.layers()[l];
    const DenseLayer& original = before.layers()[l];
    for (size_t i = 0; i < trained.weights.size(); ++i) {
      EXPECT_TRUE(gradients_agree(computed_layer.weight_grad[i], numerical_derivative(&probed.weights[i], loss), floor))
          << "layer " << l << " weight " << i;
      // With momentum 0 and reset velocities the step is exactly w - lr·g.
      ASSERT_EQ(trained.weights[i], original.weights[i] - lr * computed_layer.weight_grad[i]) << "layer " << l << " weight " << i;
    }
    for (size_t j = 0; j < trained.bias.size(); ++j) {
      EXPECT_TRUE(gradients_agree(computed_layer.bias_grad[j], numerical_derivative(&probed.bias[j], loss), floor))
          << "layer " << l << " bias " << j;
      ASSERT_EQ(trained.bias[j], original.bias[j] - lr * computed_layer.bias_grad[j]) << "layer " << l << " bias " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, NetworkGradients,
    ::testing::Values(NetworkCase{{5, 7, 4, 3}, 4, OutputLoss::kSigmoidL2},
                      NetworkCase{{5, 7, 4, 3}, 4, OutputLoss::kSoftmaxCrossEntropy},
                      NetworkCase{{5, 7, 4, 3}, 1, OutputLoss::kSoftmaxCrossEntropy},
                      // More rows than one 64-row gemm panel, in the batch and in the transposed input.
                      NetworkCase{{70, 9, 3}, 66, OutputLoss::kSigmoidL2},
                      NetworkCase{{70, 9, 3}, 66, OutputLoss::kSoftmaxCrossEntropy}),
    [](const ::testing::TestParamInfo<NetworkCase>& param_info) {
      std::string name = param_info.param.output == OutputLoss::kSigmoidL2 ? "SigmoidL2" : "SoftmaxXent";
      for (int s : param_info.param.sizes) name += "_" + std::to_string(s);
      return name + "_B" + std::to_string(param_info.param.batch);
    });

}  // namespace
