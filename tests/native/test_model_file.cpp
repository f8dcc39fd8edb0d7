// The model file: a saved model loads back bit for bit, and a damaged or foreign file is refused with
// a message, never half-loaded (Trainer::load keeps the current model).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model_file.h"
#include "network.h"
#include "trainer.h"
#include "test_helpers.h"

namespace {

using namespace scratchnet;
using namespace scratchnet_test;

// A network whose parameters are all set, including the awkward floats a round trip must keep exactly
// (negative zero, subnormals, the largest finite value), and non-zero biases (He init leaves them 0).
Network make_network(std::vector<int> sizes, OutputLoss output, uint64_t seed) {
  NetworkConfig config;
  config.sizes = std::move(sizes);
  config.output = output;
  EXPECT_TRUE(validate(config).ok());
  Network net(config);
  Rng rng(seed);
  std::vector<float> params = random_floats(rng, net.parameter_count(), -2.f, 2.f);
  params[0] = -0.f;
  params[1] = 1e-40f;                                  // subnormal
  params[2] = -std::numeric_limits<float>::denorm_min();
  params[3] = std::numeric_limits<float>::max();
  params.back() = -0.f;                                // the last bias
  net.copy_parameters_from(params);
  return net;
}

// Through the sizes, the input shape and scaling kind (12 bytes), and the scale and offset per input.
size_t header_bytes(const Network& net) {
  return 20 + 4 * (net.layers().size() + 1) + 12 + 8 * static_cast<size_t>(net.input_size());
}

void put_u32(std::vector<uint8_t>& bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const std::vector<uint8_t>& bytes, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{bytes[at + i]} << (8 * i);
  return v;
}
void put_f32(std::vector<uint8_t>& bytes, size_t at, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  put_u32(bytes, at, bits);
}

// Recomputes the trailing CRC after an edit, so the test reaches the check behind the checksum.
void reseal(std::vector<uint8_t>& bytes) { put_u32(bytes, bytes.size() - 4, crc32(bytes.data(), bytes.size() - 4)); }

Status load(const std::vector<uint8_t>& bytes, std::unique_ptr<Network>* out) {
  return load_model(bytes.data(), bytes.size(), out);
}

void expect_bit_identical(const Network& a, const Network& b) {
  ASSERT_EQ(a.layers().size(), b.layers().size());
  for (size_t l = 0; l < a.layers().size(); ++l) {
    const DenseLayer &x = a.layers()[l], &y = b.layers()[l];
    ASSERT_EQ(x.in, y.in);
    ASSERT_EQ(x.out, y.out);
    ASSERT_EQ(x.weights.size(), y.weights.size());
    ASSERT_EQ(x.bias.size(), y.bias.size());
    EXPECT_EQ(std::memcmp(x.weights.data(), y.weights.data(), 4 * x.weights.size()), 0) << "layer " << l << " weights";
    EXPECT_EQ(std::memcmp(x.bias.data(), y.bias.data(), 4 * x.bias.size()), 0) << "layer " << l << " bias";
  }
}

TEST(Crc32, MatchesTheStandardCheckValues) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(check.data()), check.size()), 0xCBF43926u);
  EXPECT_EQ(crc32(nullptr, 0), 0u);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(fox.data()), fox.size()), 0x414FA339u);
}

class ModelRoundTrip : public ::testing::TestWithParam<OutputLoss> {};

TEST_P(ModelRoundTrip, LoadGivesBitIdenticalWeightsAndOutputs) {
  for (const std::vector<int>& sizes : {std::vector<int>{6, 5, 3}, std::vector<int>{4, 6, 5, 3}, std::vector<int>{7, 2}}) {
    Network original = make_network(sizes, GetParam(), 1);
    const std::vector<uint8_t> bytes = save_model(original);
    std::unique_ptr<Network> loaded;
    const Status s = load(bytes, &loaded);
    ASSERT_TRUE(s.ok()) << s.error;
    ASSERT_NE(loaded, nullptr);
    EXPECT_EQ(loaded->config().sizes, sizes);
    EXPECT_EQ(loaded->config().output, GetParam());
    expect_bit_identical(original, *loaded);

    // Same weights, same outputs: compared exactly, on inputs with zeros as pixels have.
    // (The awkward test values make some outputs saturate; avoid FLT_MAX overflowing to NaN in both.)
    Network tame_original = make_network(sizes, GetParam(), 2);
    for (auto& layer : tame_original.layers())
      for (float& w : layer.weights) w = std::fmod(w, 2.f);
    std::unique_ptr<Network> tame_loaded;
    ASSERT_TRUE(load(save_model(tame_original), &tame_loaded).ok());
    Rng rng(3);
    std::vector<float> x = random_floats(rng, 5 * sizes.front(), 0.f, 1.f);
    for (size_t i = 0; i < x.size(); i += 3) x[i] = 0.f;
    const int C = sizes.back();
    const float* p = tame_original.forward(5, x.data());
    const std::vector<float> expected(p, p + 5 * C);
    const float* q = tame_loaded->forward(5, x.data());
    EXPECT_EQ(std::vector<float>(q, q + 5 * C), expected);

    // Saving the loaded model gives the same file.
    EXPECT_EQ(save_model(*loaded), bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(BothOutputs, ModelRoundTrip,
                         ::testing::Values(OutputLoss::kSigmoidL2, OutputLoss::kSoftmaxCrossEntropy),
                         [](const ::testing::TestParamInfo<OutputLoss>& param_info) {
                           return param_info.param == OutputLoss::kSigmoidL2 ? std::string("SigmoidL2")
                                                                       : std::string("SoftmaxXent");
                         });

TEST(ModelFile, HasTheDocumentedLayout) {
  const Network net = make_network({6, 5, 3}, OutputLoss::kSoftmaxCrossEntropy, 4);
  const std::vector<uint8_t> bytes = save_model(net);
  const size_t header = header_bytes(net);
  ASSERT_EQ(bytes.size(), header + 4 * net.parameter_count() + 4 + 4);  // weights, no optimizer state, CRC
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "SNET");
  EXPECT_EQ(get_u32(bytes, 4), kModelFormatVersion);
  EXPECT_EQ(get_u32(bytes, 8), 1u);   // softmax + cross-entropy
  EXPECT_EQ(get_u32(bytes, 12), 0u);  // ReLU
  EXPECT_EQ(get_u32(bytes, 16), 2u);  // weight layers
  EXPECT_EQ(get_u32(bytes, 20), 6u);
  EXPECT_EQ(get_u32(bytes, 24), 5u);
  EXPECT_EQ(get_u32(bytes, 28), 3u);
  EXPECT_EQ(get_u32(bytes, 32), 1u);  // input shape: one row
  EXPECT_EQ(get_u32(bytes, 36), 6u);  // of 6
  EXPECT_EQ(get_u32(bytes, 40), static_cast<uint32_t>(net.input_scaling().kind));
  uint32_t bits;
  std::memcpy(&bits, &net.input_scaling().scale[5], 4);
  EXPECT_EQ(get_u32(bytes, 44 + 4 * 5), bits);   // scale per input
  std::memcpy(&bits, &net.input_scaling().offset[0], 4);
  EXPECT_EQ(get_u32(bytes, 44 + 4 * 6), bits);   // then offset per input
  // Little-endian f32s, layer by layer, weights (input-major) then bias.
  std::memcpy(&bits, &net.layers()[0].weights[7], 4);
  EXPECT_EQ(get_u32(bytes, header + 4 * 7), bits);
  std::memcpy(&bits, &net.layers()[1].bias[2], 4);
  EXPECT_EQ(get_u32(bytes, bytes.size() - 12), bits);
  EXPECT_EQ(get_u32(bytes, bytes.size() - 8), 0u);  // no optimizer state
  EXPECT_EQ(get_u32(bytes, bytes.size() - 4), crc32(bytes.data(), bytes.size() - 4));
}

TEST(ModelFile, RejectsAnEmptyFile) {
  std::unique_ptr<Network> out;
  EXPECT_ERROR_CONTAINS(load_model(nullptr, 0, &out).error, "0 bytes");
  EXPECT_FALSE(out) << "nothing is returned on error";
}

TEST(ModelFile, RejectsATruncatedFileAtEveryKindOfCut) {
  const Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 5);
  const std::vector<uint8_t> bytes = save_model(net);
  const size_t header = header_bytes(net);
  for (size_t cut : {size_t{1}, size_t{4}, size_t{23}, size_t{24}, header - 1, header, header + 3, header + 4,
                     bytes.size() / 2, bytes.size() - 4, bytes.size() - 1}) {
    SCOPED_TRACE(::testing::Message() << "cut to " << cut << " of " << bytes.size() << " bytes");
    const std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + cut);
    std::unique_ptr<Network> out;
    const std::string error = load(truncated, &out).error;
    ASSERT_FALSE(error.empty());
    EXPECT_TRUE(error.find("truncated") != std::string::npos || error.find("too short") != std::string::npos) << error;
    EXPECT_FALSE(out) << "nothing is returned on error";
  }
}

TEST(ModelFile, RejectsAnyFlippedByteInTheWeights) {
  const Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 6);
  const std::vector<uint8_t> bytes = save_model(net);
  for (size_t at = header_bytes(net); at < bytes.size(); ++at) {  // the weights, and the checksum itself
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::vector<uint8_t> corrupted = bytes;
      corrupted[at] ^= mask;
      std::unique_ptr<Network> out;
      const std::string error = load(corrupted, &out).error;
      ASSERT_PRED_FORMAT2(::testing::IsSubstring, "checksum", error) << "byte " << at << " ^ " << int{mask};
      EXPECT_FALSE(out) << "nothing is returned on error";
    }
  }
}

TEST(ModelFile, RejectsBadMagic) {
  std::vector<uint8_t> bytes = save_model(make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 7));
  bytes[3] = 'X';
  reseal(bytes);
  std::unique_ptr<Network> out;
  EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "bad magic");
  // An IDX file picked by mistake.
  const std::vector<uint8_t> idx = idx_images(2, 4, 4, std::vector<uint8_t>(32, 0));
  EXPECT_ERROR_CONTAINS(load(idx, &out).error, "bad magic");
}

TEST(ModelFile, RejectsAnUnsupportedVersion) {
  for (uint32_t version : {0u, 4u, 0x01000000u}) {
    std::vector<uint8_t> bytes = save_model(make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 8));
    put_u32(bytes, 4, version);
    reseal(bytes);
    std::unique_ptr<Network> out;
    EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "version " + std::to_string(version) + " is not supported");
  }
}

// Version 3's optimizer state carries the dropout masks' generator; xoshiro's all-zero state (which no seed
// reaches) would drop every unit for ever, so a file holding it is refused.
TEST(ModelFile, RejectsAnAllZeroDropoutGenerator) {
  Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 12);
  OptimizerState state;
  state.present = true;
  state.dropout_state = {1, 2, 3, 4};
  std::unique_ptr<Network> out;
  OptimizerState read;
  ASSERT_TRUE(load_model(save_model(net, state).data(), save_model(net, state).size(), &out, &read).ok());
  EXPECT_EQ(read.dropout_state, state.dropout_state);
  // The generator's 16 bytes end 4 · (parameters + 1 velocity each) + 4 (the CRC) before the file's end.
  std::vector<uint8_t> bytes = save_model(net, state);
  const size_t generator_end = bytes.size() - 4 - 4 * net.parameter_count();
  for (size_t i = generator_end - 16; i < generator_end; ++i) bytes[i] = 0;
  reseal(bytes);
  EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "bad dropout generator state");
}

TEST(ModelFile, RejectsExtraBytes) {
  const std::vector<uint8_t> bytes = save_model(make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 9));
  for (size_t extra : {size_t{1}, size_t{4}, size_t{100}}) {
    std::vector<uint8_t> longer = bytes;
    longer.resize(bytes.size() + extra, 0);
    std::unique_ptr<Network> out;
    EXPECT_ERROR_CONTAINS(load(longer, &out).error, std::to_string(extra) + " unexpected bytes");
  }
}

TEST(ModelFile, RejectsBadHeaderFieldsBehindAValidChecksum) {
  const Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 10);
  const std::vector<uint8_t> good = save_model(net);
  struct Case {
    size_t offset;
    uint32_t value;
    const char* message;
  };
  const Case cases[] = {
      {8, 2, "output/loss kind 2"},
      {12, 1, "hidden activation 1"},
      {16, 0, "0 layers is out of range"},
      {16, 9, "9 layers is out of range"},
      {20, 0, "layer size 0"},
      {24, 20000, "layer size 20000"},
      {28, 1, "at least 2 classes"},
      {24, 50, "truncated"},         // declares more parameters than the file holds
      {24, 2, "unexpected bytes"},   // declares fewer
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = good;
    put_u32(bytes, c.offset, c.value);
    reseal(bytes);
    std::unique_ptr<Network> out;
    const std::string error = load(bytes, &out).error;
    SCOPED_TRACE(::testing::Message() << "u32 at " << c.offset << " = " << c.value);
    EXPECT_ERROR_CONTAINS(error, c.message);
    EXPECT_FALSE(out) << "nothing is returned on error";
  }
}

TEST(ModelFile, RejectsAHugeDeclaredModelWithoutAllocatingIt) {
  // 16384 → 16384 → 16384 is 537M parameters: validate() must refuse before anything is allocated.
  std::vector<uint8_t> bytes(20 + 12 + 4, 0);
  std::memcpy(bytes.data(), "SNET", 4);
  put_u32(bytes, 4, kModelFormatVersion);
  put_u32(bytes, 16, 2);
  put_u32(bytes, 20, 16384);
  put_u32(bytes, 24, 16384);
  put_u32(bytes, 28, 16384);
  reseal(bytes);
  std::unique_ptr<Network> out;
  EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "parameters");
}

TEST(ModelFile, RejectsNonFiniteWeights) {
  const Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 11);
  const size_t header = header_bytes(net);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<uint8_t> bytes = save_model(net);
    put_f32(bytes, header + 4 * 10, bad);  // a weight of layer 0
    reseal(bytes);
    std::unique_ptr<Network> out;
    EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "non-finite");
    EXPECT_FALSE(out) << "nothing is returned on error";
  }
}

TEST(ModelFile, RejectsNonFiniteBiases) {
  // A NaN bias makes its output NaN for every input, exactly as a NaN weight does: both must be refused.
  const Network net = make_network({6, 5, 3}, OutputLoss::kSigmoidL2, 12);
  const size_t layer0_bias = header_bytes(net) + 4 * (6 * 5);
  for (size_t at : {layer0_bias, save_model(net).size() - 12}) {  // layer 0's first bias, the last layer's last
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
      std::vector<uint8_t> bytes = save_model(net);
      put_f32(bytes, at, bad);
      reseal(bytes);
      std::unique_ptr<Network> out;
      EXPECT_ERROR_CONTAINS(load(bytes, &out).error, "non-finite") << "bias at byte " << at;
      EXPECT_FALSE(out) << "nothing is returned on error";
    }
  }
}

TEST(ModelFile, LoadedModelStartsWithZeroVelocity) {
  // Momentum from before the save must not leak in: the first step after loading is plain lr·g.
  Network net = make_network({3, 4, 2}, OutputLoss::kSoftmaxCrossEntropy, 13);
  for (auto& layer : net.layers())
    for (float& w : layer.weights) w = std::fmod(w, 1.f);
  std::unique_ptr<Network> loaded;
  ASSERT_TRUE(load(save_model(net), &loaded).ok());
  const std::vector<float> x = {0.5f, 0.f, 1.f};
  const uint8_t label = 1;
  const FloatBuffer before = loaded->layers()[0].weights;
  Network gradients = *loaded;
  gradients.compute_gradients(1, x.data(), &label);
  ASSERT_TRUE(loaded->train_batch(1, x.data(), &label, 0.1f, 0.9f).finite);
  const DenseLayer& layer = loaded->layers()[0];
  const FloatBuffer& gradient = gradients.layers()[0].weight_grad;
  for (size_t i = 0; i < before.size(); ++i) ASSERT_EQ(layer.weights[i], before[i] - 0.1f * gradient[i]) << i;
}

// Trainer::load: all or nothing.

std::vector<uint8_t> save_of(std::vector<int> sizes, uint64_t seed) {
  NetworkConfig config;
  config.sizes = std::move(sizes);
  config.seed = static_cast<uint32_t>(seed);
  return save_model(Network(config));
}

TEST(TrainerLoad, KeepsTheCurrentModelOnABadFile) {
  Trainer trainer;
  NetworkConfig config;
  config.sizes = {16, 8, 4};
  ASSERT_TRUE(trainer.create_model(config).ok());
  const std::vector<uint8_t> before = trainer.save();

  const std::vector<uint8_t> good = save_of({16, 12, 4}, 99);
  std::vector<std::vector<uint8_t>> bad_files;
  bad_files.push_back({});                                                 // empty
  bad_files.push_back(std::vector<uint8_t>(good.begin(), good.end() - 1));  // truncated
  bad_files.push_back(good);
  bad_files.back()[good.size() / 2] ^= 0x10;  // corrupted weight
  bad_files.push_back(good);
  bad_files.back()[0] = 'X';  // bad magic
  bad_files.push_back(good);
  bad_files.back().push_back(0);  // too long
  for (size_t i = 0; i < bad_files.size(); ++i) {
    const Status s = trainer.load(bad_files[i].data(), bad_files[i].size());
    EXPECT_FALSE(s.ok()) << "bad file " << i;
    EXPECT_EQ(trainer.save(), before) << "bad file " << i << " changed the model";
  }
  // The good file does load, replacing the model.
  ASSERT_TRUE(trainer.load(good.data(), good.size()).ok());
  EXPECT_EQ(trainer.save(), good);
  EXPECT_EQ(trainer.network().config().sizes, (std::vector<int>{16, 12, 4}));
}

TEST(TrainerLoad, RefusesAModelThatDoesNotFitTheLoadedData) {
  Trainer trainer;
  ASSERT_TRUE(trainer.set_data(Split::kTrain, load_dataset(make_quadrant_set(40, 4, 1))).ok());  // 4×4, labels 0..3
  NetworkConfig config;
  config.sizes = {16, 8, 4};
  ASSERT_TRUE(trainer.create_model(config).ok());
  const std::vector<uint8_t> before = trainer.save();

  const std::vector<uint8_t> wrong_inputs = save_of({784, 8, 10}, 1);
  const std::string input_error = trainer.load(wrong_inputs.data(), wrong_inputs.size()).error;
  EXPECT_ERROR_CONTAINS(input_error, "cannot load this model");
  EXPECT_ERROR_CONTAINS(input_error, "784 inputs");
  EXPECT_ERROR_CONTAINS(input_error, "16 pixels");
  EXPECT_EQ(trainer.save(), before);

  const std::vector<uint8_t> too_few_outputs = save_of({16, 8, 3}, 1);  // labels 0..3 need 4 outputs
  const std::string label_error = trainer.load(too_few_outputs.data(), too_few_outputs.size()).error;
  EXPECT_ERROR_CONTAINS(label_error, "labels go up to 3");
  EXPECT_EQ(trainer.save(), before);

  // The test set counts too.
  Trainer test_only;
  ASSERT_TRUE(test_only.set_data(Split::kTest, load_dataset(make_quadrant_set(10, 4, 2))).ok());
  const std::string test_error = test_only.load(wrong_inputs.data(), wrong_inputs.size()).error;
  EXPECT_ERROR_CONTAINS(test_error, "test images");

  // A model that fits loads, and training goes on from it.
  const std::vector<uint8_t> fits = save_of({16, 5, 4}, 3);
  ASSERT_TRUE(trainer.load(fits.data(), fits.size()).ok());
  EXPECT_EQ(trainer.save(), fits);
  TrainOptions options;
  options.batch_size = 8;
  ASSERT_TRUE(trainer.set_options(options).ok());
  const TrainSummary summary = trainer.train(3);
  EXPECT_EQ(summary.error, "");
  EXPECT_EQ(summary.batches, 3);
  EXPECT_NE(trainer.save(), fits);
}

}  // namespace
