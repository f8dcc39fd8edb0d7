// A layer's inputs as a constant per input plus a sparse rest. Where most images share a value at a pixel (a blank
// background: 0 before centring, 255 in inverted digits), the inputs are x = c + s, with c that value's input and
// s zero wherever the pixel is the background. Then x·W = s·W + c·W, and the weight gradient xᵀ·dy =
// sᵀ·dy + c·(Σ dy): the sparse kernels skip s's zeros, and c costs one more row (DenseLayer::input_background).
// Centred or inverted images, which no input of x is zero in, then train at the speed their ink allows.
#pragma once
#include <cstddef>
#include <vector>

namespace scratchnet {

class Dataset;
struct InputScaling;

// Images a background is fitted on, evenly spaced through the set: a pixel's most common value shows in far fewer.
constexpr size_t kBackgroundSampleImages = 2048;

// The background pays where it leaves at most this share of the inputs non-zero (the sparse kernels beat the dense
// tiles below about 65% lit, kernels_wasmsimd.cpp), and at most kBackgroundCuts of those non-zero before: sparse
// images, whose background is zero already, keep their path; images with no common value the dense tiles.
constexpr double kBackgroundPaysBelow = 0.6;
constexpr double kBackgroundCuts = 0.75;

// c: per input, the input of the pixel value most of `data`'s images hold there under `scaling` (by a majority vote;
// where no value is held by most, zero's if zero is more common than the vote's candidate); empty where it does not
// pay (above).
std::vector<float> fit_input_background(const InputScaling& scaling, const Dataset& data);

// rows[(B+1)×in]: x[B×in] − c row by row, then c: the input around its background, the background as one more row.
void split_off_background(int B, int in, const float* x, const float* c, float* rows);

// rows[(B+1)×width]: y[B×width], then `row`.
void rows_then_row(int B, int width, const float* y, const float* row, float* rows);

// y[B×out] = rows[B×out] + row in every row, then max(·, 0) when `relu` (y may be rows).
void add_row_to_rows(int B, int out, const float* rows, const float* row, float* y, bool relu);

}  // namespace scratchnet
