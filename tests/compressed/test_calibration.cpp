// SPDX-License-Identifier: Apache-2.0
// percept-compress --calibrate's parts: the uniform grid, the compensated coding against a
// naive measure of the layer's output error, and the input moments against a naive im2col.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/onnx_builder.h"
#include "compressed/compensated_sharing.h"
#include "compressed/input_moments.h"
#include "graph/ir.h"
#include "percept/percept.h"

using namespace percept;
using namespace percept::compressed;

namespace {

// ||(W - Q) X||^2 for W, Q [rows x cols] and X [cols x samples], all row-major: the naive
// reference for what the compensation minimises.
double outputError(const std::vector<float>& w, const SharedWeights& q, int64_t rows, int64_t cols, const std::vector<double>& x, int64_t samples) {
    double e = 0.0;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t s = 0; s < samples; ++s) {
            double d = 0.0;
            for (int64_t c = 0; c < cols; ++c)
                d += (w[static_cast<size_t>(r * cols + c)] - q.codebook[q.symbols[static_cast<size_t>(r * cols + c)]]) * x[static_cast<size_t>(c * samples + s)];
            e += d * d;
        }
    return e;
}

Model load(const percept::testing::OnnxBuilder& b) {
    const std::string bytes = b.bytes();
    return Model::fromBytes(bytes.data(), bytes.size(), "test");
}

}  // namespace

TEST(Codebook, UniformGridHoldsMultiplesOfTheStepAndZero) {
    std::mt19937 rng(7);
    std::normal_distribution<float> d(0.0f, 0.05f);
    std::vector<float> w(20000);
    for (auto& v : w) v = d(rng);
    const SharedWeights s = shareWeights(w.data(), static_cast<int64_t>(w.size()), {8, 0.0, 0.5});
    const double step = 0.5 * s.rmsWeight;
    EXPECT_EQ(s.codebook[0], 0.0f);
    EXPECT_GE(s.bits(), 4);
    EXPECT_LT(size_t{1} << (s.bits() - 1), s.codebook.size() > 16 ? s.codebook.size() : size_t{9});  // no wider than its values need
    for (float v : s.codebook) EXPECT_NEAR(v / step, std::round(v / step), 1e-4) << v;
    int zeros = 0, small = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        EXPECT_LE(std::fabs(w[i] - s.codebook[s.symbols[i]]), 0.5 * step * (1 + 1e-5)) << i;  // the nearest multiple, 0 included
        zeros += s.symbols[i] == 0;
        small += std::fabs(w[i]) < 0.5 * step;
    }
    EXPECT_EQ(zeros, small);  // the zeros are the grid's, no pruning asked
}

TEST(CompensatedSharing, LowersTheLayersOutputErrorWithTheSameCodebookAndPruning) {
    const int64_t rows = 24, cols = 48, samples = 600;
    std::mt19937 rng(11);
    std::normal_distribution<double> d(0.0, 1.0);
    // Correlated, non-centred inputs (what a ReLU network's layers see): X = M Z + offset.
    std::vector<double> m(static_cast<size_t>(cols * cols)), z(static_cast<size_t>(cols * samples)), x(static_cast<size_t>(cols * samples), 0.0);
    for (auto& v : m) v = d(rng);
    for (auto& v : z) v = d(rng);
    for (int64_t c = 0; c < cols; ++c)
        for (int64_t s = 0; s < samples; ++s) {
            double v = 0.5 + 0.1 * static_cast<double>(c % 5);
            for (int64_t k = 0; k < cols; ++k) v += m[static_cast<size_t>(c * cols + k)] * z[static_cast<size_t>(k * samples + s)] / std::sqrt(static_cast<double>(cols));
            x[static_cast<size_t>(c * samples + s)] = v;
        }
    InputMoments mo;
    mo.cols = cols;
    mo.samples = samples;
    mo.xx.assign(static_cast<size_t>(cols * cols), 0.0);
    for (int64_t a = 0; a < cols; ++a)
        for (int64_t b = 0; b < cols; ++b)
            for (int64_t s = 0; s < samples; ++s) mo.xx[static_cast<size_t>(a * cols + b)] += x[static_cast<size_t>(a * samples + s)] * x[static_cast<size_t>(b * samples + s)];
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (auto& v : w) v = static_cast<float>(0.1 * d(rng));

    for (const CodebookOptions o : {CodebookOptions{4, 0.3}, CodebookOptions{8, 0.0, 0.8}}) {
        const SharedWeights nearest = shareWeights(w.data(), rows * cols, o);
        const SharedWeights compensated = shareWeightsCompensated(w.data(), rows * cols, {rows, cols, cols, 1}, compensationBases(mo), o);
        EXPECT_EQ(compensated.codebook, nearest.codebook);
        for (size_t i = 0; i < w.size(); ++i)
            if (nearest.symbols[i] == 0 && o.step == 0) {
                EXPECT_EQ(compensated.symbols[i], 0) << "pruned weight " << i << " was coded";
            }
        const double en = outputError(w, nearest, rows, cols, x, samples), ec = outputError(w, compensated, rows, cols, x, samples);
        EXPECT_LT(ec, 0.8 * en) << "bits " << o.bits << " step " << o.step << ": output error " << ec << " against " << en << " rounding to nearest";

        // The same weights stored transposed (a MatMul's B [cols, rows]) code to the same values.
        std::vector<float> wt(w.size());
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) wt[static_cast<size_t>(c * rows + r)] = w[static_cast<size_t>(r * cols + c)];
        const SharedWeights t = shareWeightsCompensated(wt.data(), rows * cols, {rows, cols, 1, rows}, compensationBases(mo), o);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                ASSERT_EQ(t.symbols[static_cast<size_t>(c * rows + r)], compensated.symbols[static_cast<size_t>(r * cols + c)]) << r << "," << c;
    }
}

TEST(InputMoments, ConvColumnsMatchANaiveIm2col) {
    // Conv 4 -> 16 channels, 3x3, group 2, stride 2, pad 1 on a 7x6 image.
    const int64_t C = 4, H = 7, W = 6, M = 16, G = 2, Cg = C / G, OH = 4, OW = 3;
    percept::testing::OnnxBuilder b(13);
    b.input("x", {1, C, H, W}).output("y");
    std::vector<float> w(static_cast<size_t>(M * Cg * 9));
    for (size_t k = 0; k < w.size(); ++k) w[k] = std::sin(static_cast<float>(k));
    b.floats("w", {M, Cg, 3, 3}, w);
    auto& n = b.node("Conv", {"x", "w"}, {"y"});
    percept::testing::OnnxBuilder::attr(n, "group", G);
    percept::testing::OnnxBuilder::attr(n, "strides", std::vector<int64_t>{2, 2});
    percept::testing::OnnxBuilder::attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
    percept::testing::OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{3, 3});
    const Model model = load(b);
    std::vector<LayerCalibration> layers = layersToCalibrate(model.graph(), 256);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers[0].moments.groups, G);
    EXPECT_EQ(layers[0].layout.rows, M);
    EXPECT_EQ(layers[0].layout.cols, Cg * 9);
    std::vector<float> x(static_cast<size_t>(C * H * W));
    for (size_t k = 0; k < x.size(); ++k) x[k] = std::cos(0.7f * static_cast<float>(k)) + 0.3f;
    addLayerInput(layers[0], model.graph(), x.data());
    addLayerInput(layers[0], model.graph(), x.data());  // twice: the moments add up
    EXPECT_EQ(layers[0].moments.samples, 2 * OH * OW);
    const int64_t K = Cg * 9;
    for (int64_t g = 0; g < G; ++g) {
        std::vector<double> ref(static_cast<size_t>(K * K), 0.0);
        for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
                std::vector<double> col(static_cast<size_t>(K), 0.0);
                for (int64_t c = 0; c < Cg; ++c)
                    for (int64_t ky = 0; ky < 3; ++ky)
                        for (int64_t kx = 0; kx < 3; ++kx) {
                            const int64_t iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W) col[static_cast<size_t>(c * 9 + ky * 3 + kx)] = x[static_cast<size_t>(((g * Cg + c) * H + iy) * W + ix)];
                        }
                for (int64_t a = 0; a < K; ++a)
                    for (int64_t c = 0; c < K; ++c) ref[static_cast<size_t>(a * K + c)] += 2.0 * col[static_cast<size_t>(a)] * col[static_cast<size_t>(c)];
            }
        for (int64_t k = 0; k < K * K; ++k) ASSERT_NEAR(layers[0].moments.xx[static_cast<size_t>(g * K * K + k)], ref[static_cast<size_t>(k)], 1e-9) << "group " << g << " " << k;
    }
}

TEST(InputMoments, GemmRowsAndTheWeightsLayout) {
    for (int64_t transB : {0, 1}) {
        percept::testing::OnnxBuilder b(13);
        b.input("x", {3, 32}).output("y");
        std::vector<float> w(32 * 40);
        for (size_t k = 0; k < w.size(); ++k) w[k] = std::sin(0.3f * static_cast<float>(k));
        b.floats("w", transB ? std::vector<int64_t>{40, 32} : std::vector<int64_t>{32, 40}, w);
        auto& n = b.node("Gemm", {"x", "w"}, {"y"});
        percept::testing::OnnxBuilder::attr(n, "transB", transB);
        const Model model = load(b);
        std::vector<LayerCalibration> layers = layersToCalibrate(model.graph(), 256);
        ASSERT_EQ(layers.size(), 1u);
        const WeightRows l = layers[0].layout;
        EXPECT_EQ(l.rows, 40);
        EXPECT_EQ(l.cols, 32);
        EXPECT_EQ(l.rowStride, transB ? 32 : 1);
        EXPECT_EQ(l.colStride, transB ? 1 : 40);
        std::vector<float> x(3 * 32);
        for (size_t k = 0; k < x.size(); ++k) x[k] = std::cos(static_cast<float>(k));
        addLayerInput(layers[0], model.graph(), x.data());
        EXPECT_EQ(layers[0].moments.samples, 3);
        for (int64_t a = 0; a < 32; ++a)
            for (int64_t c = 0; c < 32; ++c) {
                double ref = 0.0;
                for (int64_t r = 0; r < 3; ++r) ref += static_cast<double>(x[static_cast<size_t>(r * 32 + a)]) * x[static_cast<size_t>(r * 32 + c)];
                ASSERT_NEAR(layers[0].moments.xx[static_cast<size_t>(a * 32 + c)], ref, 1e-9);
            }
    }
}
