// SPDX-License-Identifier: Apache-2.0
// Schemas of Cast and CastLike on values computed at run time (constants are folded). Values
// are held as fp32 whatever their type (graph/ir.h), so a cast is one of four pointwise
// conversions, written to the canonical attribute "convert":
//   copy      int/bool -> float, float -> float/double, int -> int, bool -> int
//   truncate  float -> int32/int64 (toward zero: the Truncate activation)
//   nonzero   anything -> bool (the NonZero activation)
//   half      float/int -> float16: rounded through half precision and widened again
// Types whose conversion would need saturation or wrap-around (8/16-bit and unsigned
// integers), bfloat16, strings and complex numbers are refused.
#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

namespace {

// ONNX TensorProto.DataType values the engine can cast to.
enum OnnxType : int64_t { kFloat = 1, kInt32 = 6, kInt64 = 7, kBool = 9, kFloat16 = 10, kDouble = 11 };

void setCast(Graph& g, Node& n, DType from, int64_t to) {
    std::string convert;
    DType out = DType::Float32;
    switch (to) {
        case kFloat:
        case kDouble: convert = "copy"; break;
        case kFloat16: convert = from == DType::Bool ? "copy" : "half"; break;
        case kInt32:
        case kInt64:
            convert = from == DType::Float32 ? "truncate" : "copy";
            out = DType::Int64;
            break;
        case kBool:
            convert = from == DType::Bool ? "copy" : "nonzero";
            out = DType::Bool;
            break;
        default:
            fail(n, "casting to ONNX element type " + std::to_string(to) +
                        " is not supported (only float, double, float16, int32, int64 and bool)");
    }
    n.attrs["convert"].kind = Attribute::Kind::String;
    n.attrs["convert"].s = convert;
    setOut(g, n, 0, inShape(g, n, 0), out);
}

}  // namespace

void inferCast(Graph& g, Node& n) {
    if (!n.has("to")) fail(n, "attribute 'to' is missing");
    setCast(g, n, in(g, n, 0).dtype, n.attrInt("to", 0));
}

// The target type is the second input's. The engine knows only its value type (a float16
// tensor was widened to float32 at import), so CastLike converts to float32, int64 or bool.
void inferCastLike(Graph& g, Node& n) {
    const DType like = in(g, n, 1).dtype;
    setCast(g, n, in(g, n, 0).dtype, like == DType::Float32 ? kFloat : like == DType::Int64 ? kInt64 : kBool);
}

}  // namespace percept::graph::schema
