// SPDX-License-Identifier: Apache-2.0
// Schemas of QuantizeLinear and DequantizeLinear (int8, INT8.md). Both take their scale and
// zero point as constant inputs; the canonical form copies them into the attributes "scale"
// (floats), "zero_point" (ints) and "axis" (>= 0), one value for the whole tensor or one per
// index along the axis, so the backends read only attributes.
#include <cmath>
#include <cstdint>

#include "graph/quant.h"
#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

namespace {

// ONNX TensorProto element types an opset-21 output_dtype attribute may name here.
constexpr int64_t kOnnxUint8 = 2, kOnnxInt8 = 3;

// Reads the scale (input 1) and zero point (input 2) of a node quantising or dequantising a
// tensor of shape `x`, checks them and writes the canonical attributes. Returns the zero
// point's type (Int8, UInt8, or Int64 for an int32 one), or `none` when there is no zero point.
DType canonicalParams(const Graph& g, Node& n, const Shape& x, DType none) {
    if (n.attrInt("block_size", 0) != 0) fail(n, "blocked quantisation (block_size) is not supported");
    const TensorData& s = constIn(g, n, 1, "scales");
    if (s.dtype != DType::Float32) fail(n, "the scale must be a float tensor");
    if (s.shape.size() > 1) fail(n, "the scale has shape " + shapeToString(s.shape) + "; only a scalar or a 1-D tensor (per axis) is supported");
    const std::vector<float> scale = s.asFloats();
    if (scale.empty()) fail(n, "the scale is empty");
    for (float v : scale)
        if (!(v > 0.0f) || !std::isfinite(v)) fail(n, "a scale of " + std::to_string(v) + " is not supported (scales must be positive and finite)");
    std::vector<int64_t> zero(scale.size(), 0);
    DType zt = none;
    if (hasInput(n, 2)) {
        const TensorData& z = constIn(g, n, 2, "zero points");
        if (z.shape != s.shape) fail(n, "the zero point's shape " + shapeToString(z.shape) + " differs from the scale's " + shapeToString(s.shape));
        zt = z.dtype;
        if (zt == DType::Float32 || zt == DType::Bool) fail(n, "a zero point of type " + std::string(dtypeName(zt)) + " is not supported");
        zero = z.asInts();
        for (int64_t v : zero)
            if (v < INT32_MIN || v > INT32_MAX) fail(n, "zero point " + std::to_string(v) + " does not fit in 32 bits");
    }
    int64_t axis = 0;
    if (scale.size() > 1) {  // a one-element 1-D scale is per tensor, as ONNX Runtime reads it
        axis = normAxis(n, n.attrInt("axis", 1), static_cast<int64_t>(x.size()));
        if (x[static_cast<size_t>(axis)] != static_cast<int64_t>(scale.size()))
            fail(n, "has " + std::to_string(scale.size()) + " scales for axis " + std::to_string(axis) + " of " + shapeToString(x));
    }
    n.attrs.erase("block_size");
    Attribute a;
    a.kind = Attribute::Kind::Floats;
    a.floats = scale;
    n.attrs["scale"] = a;
    setInts(n, "zero_point", zero);
    setInt(n, "axis", axis);
    return zt;
}

}  // namespace

void inferQuantizeLinear(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const DType zt = canonicalParams(g, n, x, DType::UInt8);
    if (!isByteType(zt)) fail(n, "quantising to " + std::string(dtypeName(zt)) + " is not supported (int8 and uint8 are)");
    if (const int64_t want = n.attrInt("output_dtype", 0); want != 0 && want != (zt == DType::Int8 ? kOnnxInt8 : kOnnxUint8))
        fail(n, "output_dtype " + std::to_string(want) + " is not supported or differs from the zero point's type (int8 and uint8 are supported)");
    const QuantParams p = quantParamsOf(n);
    for (int32_t z : p.zeroPoint)
        if (z < qmin(zt) || z > qmax(zt)) fail(n, "zero point " + std::to_string(z) + " is out of the range of " + dtypeName(zt));
    setOut(g, n, 0, x, zt);
    if (p.perTensor()) g.value(n.outputs[0]).quant = p;
}

void inferDequantizeLinear(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const DType xt = xv.dtype;
    // An int32 tensor (a quantised bias) is held as Int64; it only ever comes as a constant,
    // which the folder dequantises at load.
    if (!isByteType(xt) && !(xt == DType::Int64 && xv.constant))
        fail(n, "dequantising a " + std::string(dtypeName(xt)) + (xv.constant ? "" : " tensor computed at run time") +
                    " is not supported (int8 and uint8 tensors, and int32 constants, are)");
    const DType zt = canonicalParams(g, n, xv.shape, xt);
    if (zt != xt) fail(n, "the zero point's type " + std::string(dtypeName(zt)) + " differs from the input's " + dtypeName(xt));
    const QuantParams p = quantParamsOf(n);
    for (int32_t z : p.zeroPoint)
        if (isByteType(xt) ? z < qmin(xt) || z > qmax(xt) : z != 0)
            fail(n, "zero point " + std::to_string(z) + " is not valid for a " + dtypeName(xt) + " input");
    setOut(g, n, 0, xv.shape, DType::Float32);
}

}  // namespace percept::graph::schema
