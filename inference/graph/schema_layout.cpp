// Schemas of the data-movement ops: Identity, Dropout, Flatten, Reshape, Transpose, Concat, Pad.
#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

void inferIdentity(Graph& g, Node& n) {
    const Value& x = in(g, n, 0);
    if (n.op == OpKind::Dropout) {
        // Opset 12+: training_mode as an input; a true one would drop values at random.
        if (hasInput(n, 2)) {
            const TensorData& t = constIn(g, n, 2, "training_mode");
            if (t.count() == 1 && t.asInts()[0] != 0) fail(n, "training_mode=true (random dropout) is not supported");
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
    std::vector<int64_t> pads = g.opset >= 11 ? constIn(g, n, 1, "pads").asInts() : n.attrInts("pads");
    if (pads.size() != 2 * x.size()) fail(n, "pads must have 2 x rank entries");
    const std::string mode = n.attrString("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge") fail(n, "pad mode '" + mode + "' is not supported");
    if (g.opset >= 11 && hasInput(n, 2)) {
        const TensorData& c = constIn(g, n, 2, "constant_value");
        if (c.count() != 1) fail(n, "constant_value must hold one value");
        setFloat(n, "value", c.asFloats()[0]);
    }
    Shape out = x;
    for (size_t d = 0; d < x.size(); ++d) {
        if (pads[d] < 0 || pads[d + x.size()] < 0) fail(n, "negative pads (cropping) are not supported");
        if (pads[d] > kMaxTensorElements || pads[d + x.size()] > kMaxTensorElements) fail(n, "pads exceed the engine's tensor size limit");
        if (mode == "reflect" && (pads[d] >= x[d] || pads[d + x.size()] >= x[d])) fail(n, "reflect pads must be smaller than the dimension");
        out[d] += pads[d] + pads[d + x.size()];
    }
    setInts(n, "pads", pads);
    setOut(g, n, 0, out);
}

}  // namespace percept::graph::schema
