// SPDX-License-Identifier: Apache-2.0
// Schemas of the normalisations that compute their statistics at run time:
// LayerNormalization, InstanceNormalization and MeanVarianceNormalization. (BatchNormalization,
// whose statistics are constants, is in schema_conv.cpp.)
#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {
namespace {

Shape withoutLeadingOnes(const Shape& s) {
    size_t k = 0;
    while (k < s.size() && s[k] == 1) ++k;
    return Shape(s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
}

// Input k must hold one value per element of `want` (leading 1s aside): the kernels index it
// flat, so a scale that broadcasts along some of the normalised axes is refused.
void requireShape(const Graph& g, const Node& n, size_t k, const Shape& want, const char* what) {
    const Shape& s = inShape(g, n, k);
    if (withoutLeadingOnes(s) != withoutLeadingOnes(want))
        fail(n, std::string(what) + " has shape " + shapeToString(s) + "; it must have the shape " + shapeToString(want) +
                    " (scales that broadcast are not supported)");
}

}  // namespace

void inferLayerNorm(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    const int64_t axis = normAxis(n, n.attrInt("axis", -1), rank);
    // stash_type: the type the mean and variance are computed in; the kernels use float32 (or
    // better), which is what stash_type 1, the default and what exporters write, asks for.
    const int64_t stash = n.attrInt("stash_type", 1);
    if (stash != 1) fail(n, "stash_type " + std::to_string(stash) + " is not supported (the statistics are computed in float32, stash_type 1)");
    // The engine's channel form (kNormOneAxis): the one axis `axis` is normalised.
    const bool oneAxis = n.attrInt(kNormOneAxis, 0) != 0;
    const Shape normalized = oneAxis ? Shape{x[static_cast<size_t>(axis)]} : Shape(x.begin() + axis, x.end());
    if (oneAxis && (hasOutput(n, 1) || hasOutput(n, 2))) fail(n, "the one-axis form has no Mean or InvStdDev outputs");
    if (elementCount(normalized) == 0) fail(n, "the normalised axes " + shapeToString(normalized) + " hold no elements (no mean or variance)");
    requireShape(g, n, 1, normalized, "Scale");
    if (hasInput(n, 2)) requireShape(g, n, 2, normalized, "B");
    setInt(n, "axis", axis);
    setFloat(n, "epsilon", n.attrFloat("epsilon", 1e-5f));
    setOut(g, n, 0, x);
    // Mean and InvStdDev: one value per normalised row, the normalised axes kept as 1s.
    Shape stats = x;
    for (size_t k = static_cast<size_t>(axis); k < static_cast<size_t>(axis) + normalized.size(); ++k) stats[k] = 1;
    setOut(g, n, 1, stats);
    setOut(g, n, 2, stats);
}

void inferInstanceNorm(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 3) fail(n, "needs an N x C x D1 ... input of rank >= 3, got " + shapeToString(x));
    requireShape(g, n, 1, {x[1]}, "scale");
    requireShape(g, n, 2, {x[1]}, "B");
    setFloat(n, "epsilon", n.attrFloat("epsilon", 1e-5f));
    setOut(g, n, 0, x);
}

void inferMeanVarianceNorm(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    // Opset 1's experimental form (across_channels, normalize_variance) is a different op.
    if (g.opset < 9) fail(n, "is supported from opset 9 (the model uses opset " + std::to_string(g.opset) + ")");
    const Shape& x = inShape(g, n, 0);
    setInts(n, "axes", normAxes(n, n.attrInts("axes", {0, 2, 3}), static_cast<int64_t>(x.size())));
    setOut(g, n, 0, x);
}

int64_t flopsNorm(const Graph& g, const Node& n) {
    // Sum and sum of squares, then (x - mean) * (inv * scale) + bias.
    return 6 * elementCount(g.shapeOf(n.inputs.at(0)));
}

}  // namespace percept::graph::schema
