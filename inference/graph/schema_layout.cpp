// SPDX-License-Identifier: Apache-2.0
// Schemas of the data-movement ops: Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze,
// Transpose, Concat, Pad, Expand, Tile, DepthToSpace, SpaceToDepth, Trilu. They move data of
// any type (the output has the input's dtype) except Pad, whose fill value is a float.
#include <algorithm>

#include "graph/schema_util.h"
#include "graph/schemas.h"
#include "graph/shape_inference.h"

namespace percept::graph::schema {

void inferIdentity(Graph& g, Node& n) {
    const Value& x = in(g, n, 0);
    if (n.op == OpKind::Dropout) {
        // Opset 12+: training_mode as an input; a true one would drop values at random.
        // With ratio 0 nothing is dropped and the scale 1/(1 - ratio) is 1: the identity
        // (torchvision's Swin calls F.dropout(p=0) without training=False, which exports so).
        if (hasInput(n, 2)) {
            const TensorData& t = constIn(g, n, 2, "training_mode");
            if (t.count() != 1) fail(n, "training_mode must hold one value");
            float ratio = 0.5f;
            if (hasInput(n, 1)) {
                const TensorData& r = constIn(g, n, 1, "ratio");
                if (r.count() != 1) fail(n, "ratio must hold one value");
                ratio = r.asFloats()[0];
            }
            if (t.asInts()[0] != 0 && ratio != 0.0f)
                fail(n, "training_mode=true with ratio " + std::to_string(ratio) + " (random dropout) is not supported");
        }
        if (n.attrInt("is_test", 1) == 0 && g.opset < 7) fail(n, "is_test=0 (random dropout) is not supported");
    }
    setOut(g, n, 0, x.shape, x.dtype);
    // Dropout's mask: all true at inference; removeIdentityOps refuses a graph that reads it.
    for (size_t k = 1; k < n.outputs.size(); ++k) setOut(g, n, k, x.shape, DType::Bool);
}

void inferFlatten(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    int64_t axis = n.attrInt("axis", 1);
    if (axis < -rank || axis > rank) fail(n, "axis out of range");
    if (axis < 0) axis += rank;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x[d];
    setOut(g, n, 0, {outer, outer ? elementCount(x) / outer : 0}, xv.dtype);
}

void inferReshape(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    std::vector<int64_t> spec = g.opset >= 5 ? constIn(g, n, 1, "the target shape").asInts() : n.attrInts("shape");
    const bool allowZero = n.attrInt("allowzero", 0) != 0;
    Shape out;
    int64_t known = 1, inferAt = -1;
    for (size_t k = 0; k < spec.size(); ++k) {
        int64_t d = spec[k];
        if (d == 0 && !allowZero) {
            if (k >= x.size()) fail(n, "a 0 in the target shape refers past the input's rank");
            d = x[k];
        }
        if (d == -1) {
            if (inferAt >= 0) fail(n, "more than one -1 in the target shape");
            inferAt = static_cast<int64_t>(k);
            out.push_back(1);
            continue;
        }
        if (d < 0) fail(n, "invalid target dimension " + std::to_string(d));
        if (d > 0 && known > kMaxTensorElements / d) fail(n, "target shape " + shapeToString(spec) + " exceeds the engine's tensor size limit");
        out.push_back(d);
        known *= d;
    }
    const int64_t total = elementCount(x);
    if (inferAt >= 0) {
        if (known == 0 || total % known) fail(n, "cannot reshape " + shapeToString(x) + " to " + shapeToString(spec));
        out[inferAt] = total / known;
    }
    if (elementCount(out) != total)
        fail(n, "cannot reshape " + shapeToString(x) + " (" + std::to_string(total) + " elements) to " + shapeToString(out));
    setOut(g, n, 0, out, xv.dtype);
}

void inferTranspose(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> perm = n.attrInts("perm");
    if (perm.empty())
        for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank) fail(n, "perm has the wrong length");
    std::vector<char> seen(static_cast<size_t>(rank), 0);
    Shape out;
    for (int64_t p : perm) {
        if (p < 0 || p >= rank || seen[p]) fail(n, "perm is not a permutation");
        seen[p] = 1;
        out.push_back(x[p]);
    }
    setInts(n, "perm", perm);
    setOut(g, n, 0, out, xv.dtype);
}

void inferConcat(Graph& g, Node& n) {
    const Shape& x = inShape(g, n, 0);
    if (!n.has("axis")) fail(n, "attribute 'axis' is missing");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(x.size()));
    Shape out = x;
    out[axis] = 0;
    const DType t = in(g, n, 0).dtype;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const Shape& s = inShape(g, n, k);
        if (in(g, n, k).dtype != t) fail(n, "inputs have different element types");
        if (s.size() != x.size()) fail(n, "inputs have different ranks");
        for (size_t d = 0; d < s.size(); ++d)
            if (static_cast<int64_t>(d) != axis && s[d] != x[d]) fail(n, "inputs differ outside the concat axis: " + shapeToString(s) + " vs " + shapeToString(x));
        out[axis] += s[axis];
    }
    setInt(n, "axis", axis);
    setOut(g, n, 0, out, t);
}

void inferPad(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> given = g.opset >= 11 ? constIn(g, n, 1, "pads").asInts() : n.attrInts("pads");
    // Opset 18: pads may cover only the axes listed in input 3 (begins, then ends, in that order).
    std::vector<int64_t> axes;
    if (g.opset >= 18 && hasInput(n, 3)) {
        for (int64_t a : constIn(g, n, 3, "axes").asInts()) axes.push_back(normAxis(n, a, rank));
        std::vector<int64_t> sorted = axes;
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) fail(n, "an axis is repeated");
    } else {
        for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    const size_t na = axes.size();
    if (given.size() != 2 * na) fail(n, "pads must have 2 x " + std::string(na == x.size() ? "rank" : "len(axes)") + " entries");
    std::vector<int64_t> pads(2 * x.size(), 0);
    for (size_t k = 0; k < na; ++k) {
        pads[static_cast<size_t>(axes[k])] = given[k];
        pads[static_cast<size_t>(axes[k]) + x.size()] = given[k + na];
    }
    const std::string mode = n.attrString("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge" && !(mode == "wrap" && g.opset >= 19))
        fail(n, "pad mode '" + mode + "' is not supported");
    if (g.opset >= 11 && hasInput(n, 2)) {
        const TensorData& c = constIn(g, n, 2, "constant_value");
        if (c.count() != 1) fail(n, "constant_value must hold one value");
        setFloat(n, "value", c.asFloats()[0]);
    }
    Shape out = x;
    for (size_t d = 0; d < x.size(); ++d) {
        if (pads[d] < 0 || pads[d + x.size()] < 0) fail(n, "negative pads (cropping) are not supported");
        if (pads[d] > kMaxTensorElements || pads[d + x.size()] > kMaxTensorElements) fail(n, "pads exceed the engine's tensor size limit");
        if (mode == "reflect" && x[d] > 1 && (pads[d] >= x[d] || pads[d + x.size()] >= x[d])) fail(n, "reflect pads must be smaller than the dimension");
        if (mode != "constant" && x[d] == 0 && (pads[d] > 0 || pads[d + x.size()] > 0)) fail(n, "cannot " + mode + "-pad an empty axis");
        out[d] += pads[d] + pads[d + x.size()];
    }
    setInts(n, "pads", pads);
    setOut(g, n, 0, out);
}

// ---- Family: data movement (datamove) -------------------------------------------------------

namespace {

// Squeeze's / Unsqueeze's axes: an attribute before opset 13, an optional input from 13 on.
std::vector<int64_t> squeezeAxes(const Graph& g, const Node& n) {
    if (g.opset >= 13) return hasInput(n, 1) ? constIn(g, n, 1, "axes").asInts() : std::vector<int64_t>{};
    return n.attrInts("axes");
}

}  // namespace

void inferSqueeze(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> axes = squeezeAxes(g, n);
    if (axes.empty()) {
        // No axes: every axis of size 1.
        for (int64_t d = 0; d < rank; ++d)
            if (x[d] == 1) axes.push_back(d);
    }
    axes = normAxes(n, axes, rank);
    for (int64_t a : axes)
        if (x[a] != 1) fail(n, "cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(x[a]));
    Shape out;
    for (int64_t d = 0; d < rank; ++d)
        if (!std::binary_search(axes.begin(), axes.end(), d)) out.push_back(x[d]);
    setInts(n, "axes", axes);
    setOut(g, n, 0, out, xv.dtype);
}

void inferUnsqueeze(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const std::vector<int64_t> given = squeezeAxes(g, n);
    if (given.empty()) fail(n, "axes are missing");
    const int64_t rank = static_cast<int64_t>(xv.shape.size() + given.size());
    if (rank > kMaxRank) fail(n, "output rank " + std::to_string(rank) + " is too large");
    const std::vector<int64_t> axes = normAxes(n, given, rank);
    Shape out = xv.shape;
    for (int64_t a : axes) out.insert(out.begin() + a, 1);  // sorted: each insert lands where it must
    setInts(n, "axes", axes);
    setOut(g, n, 0, out, xv.dtype);
}

void inferExpand(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const std::vector<int64_t> shape = constIn(g, n, 1, "the target shape").asInts();
    if (shape.size() > static_cast<size_t>(kMaxRank)) fail(n, "the target shape has too many axes");
    for (int64_t d : shape)
        if (d < 0) fail(n, "the target shape " + shapeToString(shape) + " has a negative dimension");
    // Numpy broadcasting both ways: a 1 in the target keeps the input's extent.
    setOut(g, n, 0, broadcastShapes(xv.shape, Shape(shape.begin(), shape.end()), n.describe()), xv.dtype);
}

void inferTile(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const std::vector<int64_t> reps = constIn(g, n, 1, "repeats").asInts();
    if (reps.size() != xv.shape.size()) fail(n, "repeats must have one entry per input axis");
    Shape out = xv.shape;
    for (size_t d = 0; d < out.size(); ++d) {
        if (reps[d] < 0) fail(n, "repeats must not be negative");
        if (reps[d] > kMaxTensorElements) fail(n, "repeats exceed the engine's tensor size limit");
        out[d] *= reps[d];  // both factors below 2^28: no overflow; setOut checks the total
    }
    setInts(n, "repeats", reps);
    setOut(g, n, 0, out, xv.dtype);
}

void inferDepthToSpace(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    if (x.size() != 4) fail(n, "the input must be 4-D (N, C, H, W)");
    const int64_t b = n.attrInt("blocksize", 0);
    if (b <= 0 || b > 4096) fail(n, "blocksize must be a positive integer");
    Shape out;
    if (n.op == OpKind::DepthToSpace) {
        const std::string mode = n.attrString("mode", "DCR");
        if (mode != "DCR" && mode != "CRD") fail(n, "mode '" + mode + "' is not DCR or CRD");
        if (x[1] % (b * b)) fail(n, "the channels (" + std::to_string(x[1]) + ") are not a multiple of blocksize^2");
        out = {x[0], x[1] / (b * b), x[2] * b, x[3] * b};
        n.attrs["mode"].kind = Attribute::Kind::String;
        n.attrs["mode"].s = mode;
    } else {
        if (x[2] % b || x[3] % b) fail(n, "the spatial size " + shapeToString(x) + " is not a multiple of blocksize");
        out = {x[0], x[1] * b * b, x[2] / b, x[3] / b};
    }
    setInt(n, "blocksize", b);
    setOut(g, n, 0, out, xv.dtype);
}

void inferTrilu(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    if (xv.shape.size() < 2) fail(n, "the input must have at least 2 axes");
    int64_t k = 0;
    if (hasInput(n, 1)) {
        const TensorData& kt = constIn(g, n, 1, "k");
        if (kt.count() != 1) fail(n, "k must hold one value");
        k = kt.asInts()[0];
    }
    // Diagonals beyond the matrix behave alike: clamp so the kernels' int arithmetic is safe.
    k = std::clamp<int64_t>(k, -kMaxTensorElements, kMaxTensorElements);
    setInt(n, "k", k);
    setInt(n, "upper", n.attrInt("upper", 1) != 0 ? 1 : 0);
    setOut(g, n, 0, xv.shape, xv.dtype);
}

}  // namespace percept::graph::schema
