// SPDX-License-Identifier: Apache-2.0
// Schemas of the pointwise ops: the unary functions of graph/activations.def, the binary and
// variadic arithmetic with numpy broadcasting, comparisons, logic and Where; and
// activationOf(), the one reading of a unary node's parameters that the fusion passes and
// every backend share.
#include <cmath>
#include <limits>

#include "graph/schema_util.h"
#include "graph/schemas.h"
#include "graph/shape_inference.h"

namespace percept::graph {

std::optional<FusedActivation> activationOf(const Node& n) {
    FusedActivation a;
    // ONNX's defaults for every attribute: the one place they are written.
    switch (n.op) {
        case OpKind::Relu: a.kind = Activation::Relu; break;
        case OpKind::Sigmoid: a.kind = Activation::Sigmoid; break;
        case OpKind::LeakyRelu:
            a.kind = Activation::LeakyRelu;
            a.alpha = n.attrFloat("alpha", 0.01f);
            break;
        case OpKind::Clip:
            // Canonical attributes (inferUnary copies opset-11 inputs into them).
            a.kind = Activation::Clip;
            a.min = n.attrFloat("min", -std::numeric_limits<float>::infinity());
            a.max = n.attrFloat("max", std::numeric_limits<float>::infinity());
            break;
        case OpKind::HardSigmoid:
            a.kind = Activation::HardSigmoid;
            a.alpha = n.attrFloat("alpha", 0.2f);
            a.beta = n.attrFloat("beta", 0.5f);
            break;
        case OpKind::HardSwish: a.kind = Activation::HardSwish; break;
        case OpKind::Tanh: a.kind = Activation::Tanh; break;
        case OpKind::Erf: a.kind = Activation::Erf; break;
        case OpKind::Gelu: {
            const std::string approx = n.attrString("approximate", "none");
            if (approx == "none") a.kind = Activation::Gelu;
            else if (approx == "tanh") a.kind = Activation::GeluTanh;
            else return std::nullopt;  // inferUnary names the value
            break;
        }
        case OpKind::Elu:
            a.kind = Activation::Elu;
            a.alpha = n.attrFloat("alpha", 1.0f);
            break;
        case OpKind::Selu:
            a.kind = Activation::Selu;
            a.alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
            a.beta = n.attrFloat("gamma", 1.05070102214813232421875f);
            break;
        case OpKind::Celu:
            a.kind = Activation::Celu;
            a.alpha = n.attrFloat("alpha", 1.0f);
            break;
        case OpKind::ThresholdedRelu:
            a.kind = Activation::ThresholdedRelu;
            a.alpha = n.attrFloat("alpha", 1.0f);
            break;
        case OpKind::Softplus: a.kind = Activation::Softplus; break;
        case OpKind::Softsign: a.kind = Activation::Softsign; break;
        case OpKind::Mish: a.kind = Activation::Mish; break;
        case OpKind::Shrink:
            a.kind = Activation::Shrink;
            a.alpha = n.attrFloat("bias", 0.0f);
            a.beta = n.attrFloat("lambd", 0.5f);
            break;
        case OpKind::Exp: a.kind = Activation::Exp; break;
        case OpKind::Log: a.kind = Activation::Log; break;
        case OpKind::Neg: a.kind = Activation::Neg; break;
        case OpKind::Abs: a.kind = Activation::Abs; break;
        case OpKind::Sqrt: a.kind = Activation::Sqrt; break;
        case OpKind::Reciprocal: a.kind = Activation::Reciprocal; break;
        case OpKind::Sin: a.kind = Activation::Sin; break;
        case OpKind::Cos: a.kind = Activation::Cos; break;
        case OpKind::Tan: a.kind = Activation::Tan; break;
        case OpKind::Asin: a.kind = Activation::Asin; break;
        case OpKind::Acos: a.kind = Activation::Acos; break;
        case OpKind::Atan: a.kind = Activation::Atan; break;
        case OpKind::Sinh: a.kind = Activation::Sinh; break;
        case OpKind::Cosh: a.kind = Activation::Cosh; break;
        case OpKind::Asinh: a.kind = Activation::Asinh; break;
        case OpKind::Acosh: a.kind = Activation::Acosh; break;
        case OpKind::Atanh: a.kind = Activation::Atanh; break;
        case OpKind::Ceil: a.kind = Activation::Ceil; break;
        case OpKind::Floor: a.kind = Activation::Floor; break;
        case OpKind::Round: a.kind = Activation::Round; break;
        case OpKind::Sign: a.kind = Activation::Sign; break;
        case OpKind::Not: a.kind = Activation::Not; break;
        case OpKind::IsNaN: a.kind = Activation::IsNaN; break;
        case OpKind::IsInf:
            a.kind = Activation::IsInf;
            a.alpha = n.attrInt("detect_positive", 1) != 0 ? 1.0f : 0.0f;
            a.beta = n.attrInt("detect_negative", 1) != 0 ? 1.0f : 0.0f;
            break;
        case OpKind::Identity:
            // An Identity carrying a fused activation is that function: the pointwise pattern
            // passes (graph/fusion_pointwise.cpp) write Silu, which has no ONNX op, this way.
            if (!n.act.any()) return std::nullopt;
            return n.act;
        default: return std::nullopt;
    }
    return a;
}

namespace schema {
namespace {

// Values computed at run time hold integers as fp32, exactly only below 2^24 (graph/ir.h):
// an integer constant an op copies into its output must stay in that range.
void requireExactInts(const Graph& g, const Node& n, size_t k) {
    const Value& v = in(g, n, k);
    if (!v.constant || v.dtype == DType::Float32) return;
    for (int64_t x : v.constant->i)
        if (x >= (int64_t{1} << 24) || x <= -(int64_t{1} << 24))
            fail(n, "integer constant '" + v.name + "' holds " + std::to_string(x) +
                        ", beyond the 2^24 that integers computed at run time (held as float32) keep exactly");
}

// Every input of the same type (ONNX's one type parameter T); returns it.
DType sameType(const Graph& g, const Node& n, size_t first = 0) {
    const DType t = in(g, n, first).dtype;
    for (size_t k = first + 1; k < n.inputs.size(); ++k)
        if (in(g, n, k).dtype != t)
            fail(n, std::string("inputs must have one type; input 0 is ") + dtypeName(t) + ", input " + std::to_string(k) + " is " +
                        dtypeName(in(g, n, k).dtype));
    return t;
}

void requireType(const Graph& g, const Node& n, size_t k, DType t, const char* why) {
    const Value& v = in(g, n, k);
    if (v.dtype != t) fail(n, "input '" + v.name + "' is " + dtypeName(v.dtype) + "; " + why);
}

// Opsets before 7 broadcast only when asked (broadcast=1), and then align B with A starting at
// `axis` (default: B's dims are A's trailing dims). Rewritten into numpy broadcasting, which
// is what the backends do: B gets trailing 1s (a constant B is replaced by a reshaped copy; a
// computed one that would need it is refused).
void applyLegacyBroadcast(Graph& g, Node& n) {
    if (g.opset >= 7) return;
    const Shape a = inShape(g, n, 0), b = inShape(g, n, 1);
    const bool asked = n.attrInt("broadcast", 0) != 0;
    n.attrs.erase("broadcast");
    if (!asked) {
        if (a != b) fail(n, "shapes " + shapeToString(a) + " and " + shapeToString(b) + " differ and broadcast=0 (opset < 7 broadcasts only when asked)");
        n.attrs.erase("axis");
        return;
    }
    const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
    if (rb > ra) fail(n, "B " + shapeToString(b) + " has a higher rank than A " + shapeToString(a));
    const int64_t axis = n.has("axis") ? n.attrInt("axis", 0) : ra - rb;
    n.attrs.erase("axis");
    if (axis < 0 || axis + rb > ra) fail(n, "broadcast axis " + std::to_string(axis) + " does not fit B " + shapeToString(b) + " into A " + shapeToString(a));
    for (int64_t k = 0; k < rb; ++k)
        if (b[k] != a[axis + k] && b[k] != 1)
            fail(n, "B " + shapeToString(b) + " does not match A " + shapeToString(a) + " from axis " + std::to_string(axis));
    if (axis + rb == ra) return;  // trailing alignment: numpy's rule gives the same result
    const Value& bv = in(g, n, 1);
    if (!bv.constant) fail(n, "legacy broadcasting of a computed B along axis " + std::to_string(axis) + " is not supported");
    auto t = std::make_shared<TensorData>(*bv.constant);
    t->shape.resize(static_cast<size_t>(ra - axis), 1);
    const std::string name = bv.name + "_broadcast_axis" + std::to_string(axis);
    n.inputs[1] = g.addConstant(name, t);
}

}  // namespace

void inferUnary(Graph& g, Node& n) {
    DType out = DType::Float32;
    if (n.op == OpKind::Not) {
        requireType(g, n, 0, DType::Bool, "Not takes a boolean tensor");
        out = DType::Bool;
    } else {
        // Neg/Abs/Sign/Relu... on integers are integer arithmetic on run-time values: refused
        // (graph/ir.h); every other function here is defined on floats only.
        requireFloat(g, n, 0);
        if (n.op == OpKind::IsNaN || n.op == OpKind::IsInf) out = DType::Bool;
    }
    if (n.op == OpKind::Clip && g.opset >= 11) {
        // min/max as optional constant inputs: copied into attributes for the backends.
        for (size_t k = 1; k <= 2; ++k) {
            if (!hasInput(n, k)) continue;
            const TensorData& c = constIn(g, n, k, k == 1 ? "min" : "max");
            if (c.count() != 1) fail(n, "min/max must be constants with one value");
            setFloat(n, k == 1 ? "min" : "max", c.asFloats()[0]);
        }
    }
    if (n.op == OpKind::Gelu) {
        const std::string approx = n.attrString("approximate", "none");
        if (approx != "none" && approx != "tanh") fail(n, "approximate='" + approx + "' is not one of 'none', 'tanh'");
    }
    if (n.op == OpKind::Celu && n.attrFloat("alpha", 1.0f) == 0.0f) fail(n, "alpha=0 divides by zero (Celu computes exp(x / alpha))");
    if (!activationOf(n)) fail(n, "is not a pointwise function the engine knows");
    setOut(g, n, 0, inShape(g, n, 0), out);
}

int64_t flopsPointwise(const Graph& g, const Node& n) { return elementCount(g.shapeOf(n.outputs.at(0))); }

int64_t flopsVariadic(const Graph& g, const Node& n) {
    const int64_t steps = std::max<int64_t>(1, static_cast<int64_t>(n.inputs.size()) - 1);
    return steps * elementCount(g.shapeOf(n.outputs.at(0)));
}

void inferBinary(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    applyLegacyBroadcast(g, n);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()));
}

void inferPow(Graph& g, Node& n) {
    // The base decides the output type: integer bases would be integer arithmetic at run time.
    requireFloat(g, n, 0);
    // The exponent may be an integer tensor (held as fp32 at run time, exact below 2^24, and a
    // constant converted when the kernel is built).
    const DType e = in(g, n, 1).dtype;
    if (e == DType::Bool) fail(n, "a boolean exponent is not a numeric type");
    applyLegacyBroadcast(g, n);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()));
}

void inferMod(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    // ONNX: "If the input type is floating point, then fmod attribute must be set to 1".
    if (n.attrInt("fmod", 0) != 1)
        fail(n, "fmod=0 (the integer modulus) on float tensors is not defined by ONNX; float inputs need fmod=1");
    setInt(n, "fmod", 1);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()));
}

void inferPRelu(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    // The slope broadcasts to X (unidirectionally): the output is X's shape.
    const Shape x = inShape(g, n, 0);
    Shape s = inShape(g, n, 1);
    // Before opset 7 a slope of several values is one per channel (Caffe's PReLU; what
    // PyTorch's opset-6 exports and their conformance data mean): a [C] slope is rewritten
    // as [C, 1, ...] so numpy broadcasting applies it along axis 1.
    if (g.opset < 7 && elementCount(s) != 1) {
        const Value& sv = in(g, n, 1);
        if (s.size() != 1 || x.size() < 2 || s[0] != x[1] || !sv.constant)
            fail(n, "before opset 7 a slope of several values must be a constant with one value per channel (" +
                        std::to_string(x.size() >= 2 ? x[1] : 0) + "), got " + shapeToString(s));
        auto t = std::make_shared<TensorData>(*sv.constant);
        t->shape.resize(x.size() - 1, 1);
        s = t->shape;
        const std::string name = sv.name + "_per_channel";
        n.inputs[1] = g.addConstant(name, t);
    }
    if (s.size() > x.size() || broadcastShapes(x, s, n.describe()) != x)
        fail(n, "slope " + shapeToString(s) + " does not broadcast to X " + shapeToString(x));
    setOut(g, n, 0, x);
}

void inferVariadic(Graph& g, Node& n) {
    DType t = DType::Float32;
    if (n.op == OpKind::Min || n.op == OpKind::Max) {
        // Selection keeps integers exact (the result is one of the inputs): integer tensors are
        // allowed, as long as constants stay in the range run-time integers hold exactly.
        t = sameType(g, n);
        if (t == DType::Bool) fail(n, "boolean inputs are not a numeric type");
        for (size_t k = 0; k < n.inputs.size(); ++k) requireExactInts(g, n, k);
    } else {
        requireFloatInputs(g, n);  // Sum, Mean: arithmetic
    }
    setOut(g, n, 0, broadcastAll(g, n), t);
}

void inferCompare(Graph& g, Node& n) {
    // Integers and booleans computed at run time are exact in fp32, so comparing them is exact.
    const DType t = sameType(g, n);
    if (t == DType::Bool && n.op != OpKind::Equal) fail(n, "ordering comparisons take numeric tensors, not booleans");
    applyLegacyBroadcast(g, n);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()), DType::Bool);
}

void inferLogical(Graph& g, Node& n) {
    for (size_t k = 0; k < 2; ++k) requireType(g, n, k, DType::Bool, "And/Or/Xor take boolean tensors");
    applyLegacyBroadcast(g, n);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()), DType::Bool);
}

void inferWhere(Graph& g, Node& n) {
    requireType(g, n, 0, DType::Bool, "Where's condition must be a boolean tensor");
    const DType t = sameType(g, n, 1);
    requireExactInts(g, n, 1);
    requireExactInts(g, n, 2);
    setOut(g, n, 0, broadcastAll(g, n), t);
}

}  // namespace schema
}  // namespace percept::graph
