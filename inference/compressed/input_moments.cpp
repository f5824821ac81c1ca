// SPDX-License-Identifier: Apache-2.0
#include "compressed/input_moments.h"

#include <cblas.h>

#include <algorithm>
#include <utility>

#include "compressed/model_file.h"
#include "graph/window.h"
#include "percept/error.h"

namespace percept::compressed {
namespace {

// Columns are gathered into blocks of this many rows before each rank-k update.
constexpr int64_t kBlockRows = 512;

// xx += X^T X for the rows x cols block X (row-major); xx stays symmetric.
void addBlock(InputMoments& m, int64_t group, const std::vector<double>& x, int64_t rows) {
    if (rows == 0) return;
    const int64_t k = m.cols;
    double* xx = m.xx.data() + group * k * k;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(k), static_cast<int>(rows), 1.0, x.data(), static_cast<int>(k), 1.0, xx,
                static_cast<int>(k));
    for (int64_t r = 1; r < k; ++r)
        for (int64_t c = 0; c < r; ++c) xx[r * k + c] = xx[c * k + r];
    if (group == 0) m.samples += rows;
}

void addConvInput(LayerCalibration& l, const graph::Graph& g, const graph::Node& n, const float* x) {
    const Shape& xs = g.shapeOf(n.inputs[0]);
    const graph::Spatial3 s = graph::spatial3(n, xs, g.shapeOf(n.outputs[0]));
    const int64_t groups = l.moments.groups, C = xs[1], Cg = C / groups, taps = s.taps(), K = l.moments.cols;
    std::vector<double> block(static_cast<size_t>(kBlockRows * K));
    for (int64_t image = 0; image < xs[0]; ++image)
        for (int64_t gi = 0; gi < groups; ++gi) {
            const float* xg = x + (image * C + gi * Cg) * s.inPlane();
            int64_t rows = 0;
            for (int64_t oz = 0; oz < s.out[0]; ++oz)
                for (int64_t oy = 0; oy < s.out[1]; ++oy)
                    for (int64_t ox = 0; ox < s.out[2]; ++ox) {
                        double* col = block.data() + rows * K;
                        for (int64_t kz = 0; kz < s.kernel[0]; ++kz)
                            for (int64_t ky = 0; ky < s.kernel[1]; ++ky)
                                for (int64_t kx = 0; kx < s.kernel[2]; ++kx) {
                                    const int64_t iz = oz * s.stride[0] - s.padBegin[0] + kz * s.dilation[0];
                                    const int64_t iy = oy * s.stride[1] - s.padBegin[1] + ky * s.dilation[1];
                                    const int64_t ix = ox * s.stride[2] - s.padBegin[2] + kx * s.dilation[2];
                                    const bool inside = iz >= 0 && iz < s.in[0] && iy >= 0 && iy < s.in[1] && ix >= 0 && ix < s.in[2];
                                    const int64_t tap = (kz * s.kernel[1] + ky) * s.kernel[2] + kx;
                                    for (int64_t c = 0; c < Cg; ++c)
                                        col[c * taps + tap] = inside ? xg[c * s.inPlane() + (iz * s.in[1] + iy) * s.in[2] + ix] : 0.0;
                                }
                        if (++rows == kBlockRows) addBlock(l.moments, gi, block, std::exchange(rows, 0));
                    }
            addBlock(l.moments, gi, block, rows);
        }
}

// Gemm's A [M, K] and MatMul's A [..., K]: every row one column of inputs.
void addRowsInput(LayerCalibration& l, const graph::Graph& g, const graph::Node& n, const float* x) {
    const int64_t K = l.moments.cols, rows = elementCount(g.shapeOf(n.inputs[0])) / K;
    std::vector<double> block(static_cast<size_t>(kBlockRows * K));
    for (int64_t first = 0; first < rows; first += kBlockRows) {
        const int64_t count = std::min(kBlockRows, rows - first);
        std::copy(x + first * K, x + (first + count) * K, block.begin());
        addBlock(l.moments, 0, block, count);
    }
}

}  // namespace

std::vector<LayerCalibration> layersToCalibrate(const graph::Graph& g, int64_t minElements) {
    using graph::OpKind;
    std::vector<LayerCalibration> layers;
    for (size_t id = 0; id < g.values.size(); ++id) {
        if (!codableWeights(g, static_cast<int>(id), minElements)) continue;
        const Shape& w = g.shapeOf(static_cast<int>(id));
        for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
            const graph::Node& n = g.nodes[ni];
            if (n.inputs.size() < 2 || n.inputs[1] != static_cast<int>(id)) continue;
            LayerCalibration l;
            l.weights = g.values[id].name;
            l.node = static_cast<int>(ni);
            const Shape& x = g.shapeOf(n.inputs[0]);
            if (n.op == OpKind::Conv && w.size() >= 3 && w.size() <= 5 && x.size() == w.size()) {
                l.moments.groups = n.attrInt("group", 1);
                l.layout = {w[0], elementCount(w) / w[0], elementCount(w) / w[0], 1};
            } else if (n.op == OpKind::Gemm && n.attrInt("transA", 0) == 0 && w.size() == 2) {
                const bool transB = n.attrInt("transB", 0) != 0;
                l.layout = transB ? WeightRows{w[0], w[1], w[1], 1} : WeightRows{w[1], w[0], 1, w[1]};
            } else if (n.op == OpKind::MatMul && w.size() == 2 && !x.empty() && x.back() == w[0]) {
                l.layout = {w[1], w[0], 1, w[1]};
            } else {
                break;  // coded without calibration
            }
            if (l.moments.groups < 1 || l.layout.rows % l.moments.groups != 0) break;
            l.moments.cols = l.layout.cols;
            l.moments.xx.assign(static_cast<size_t>(l.moments.groups * l.layout.cols * l.layout.cols), 0.0);
            layers.push_back(std::move(l));
            break;  // the first reader: a weight read by several layers is rare, and one is enough
        }
    }
    return layers;
}

void addLayerInput(LayerCalibration& l, const graph::Graph& g, const float* x) {
    const graph::Node& n = g.nodes.at(static_cast<size_t>(l.node));
    if (n.op == graph::OpKind::Conv) addConvInput(l, g, n, x);
    else addRowsInput(l, g, n, x);
}

}  // namespace percept::compressed
