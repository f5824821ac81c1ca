// SPDX-License-Identifier: Apache-2.0
#pragma once
// Every fusion the engine does, in one place. The graph-level ones rewrite the graph at load
// time (core/model.cpp runs them after shape inference); the backend-level one lists where a
// backend may run two nodes as one kernel, and the backend decides whether its kernels can.
#include <cstddef>
#include <utility>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

// BatchNormalization right after a Conv (its only reader) becomes the Conv's weights/bias.
void foldBatchNormIntoConv(Graph& g);
// A Mul by a constant per-channel scale after a Linear layer -- MatMul by a 2-D constant, with
// or without a constant bias Add, then optionally a Transpose -- whose channel axis is the
// MatMul's columns becomes part of its weights and bias (ConvNeXt's layer scale;
// graph/fusion_scale.cpp).
void foldChannelScaleIntoLinear(Graph& g);
// A Mul (or Div) by a constant scalar read only by a MatMul whose operands are both computed
// (attention's Q K^T, scaled by 1/sqrt(d) on Q, or on Q and K) becomes the MatMul's
// kMatMulAlpha: one pass over Q (and K) fewer (graph/fusion_scale.cpp).
void foldScalarsIntoMatMul(Graph& g);
// A pointwise op (graph/activations.def) that is the only reader of a Conv, ConvTranspose,
// Gemm, MatMul or Add output is fused into it.
void fuseActivations(Graph& g);
// Reduce family (fusion_norm.cpp): the decomposed layer normalisation older exporters emit
// (torch: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add; Keras through tf2onnx:
// the same statistics, then x * inv + (beta - mean * inv)) becomes one LayerNormalization;
// runs before fuseActivations.
void fuseLayerNorm(Graph& g);

// ConvNeXt's channels-last stretches, Transpose(x, 0,2,3,1) -> per-pixel ops ->
// Transpose(0,3,1,2) with every value between read once: LayerNormalization over the last
// axis, MatMul by a 2-D constant (with the Add of a constant row after it), pointwise functions
// of one value. They run on x as it is, in NCHW: the LayerNormalization over the channel axis
// (kNormOneAxis), each MatMul as a 1x1 Conv with the transposed weights and the Add as its
// bias; both Transposes go (graph/fusion_layout.cpp). Runs after fusePointwisePatterns and
// fuseLayerNorm (which make the Gelu and LayerNorm nodes it matches), before fuseActivations.
void sinkChannelsLastTransposes(Graph& g);

// Pointwise functions exporters write as several ops, each rewritten as one unary node (run
// before fuseActivations, which may then fuse it): x * Sigmoid(x) -> Silu (an Identity
// carrying it: SiLU has no ONNX op), x * HardSigmoid(x) with alpha 1/6, beta 1/2 -> HardSwish,
// torch's GELU before opset 20 (Div by sqrt 2, Erf, Add 1, two Muls) -> Gelu.
// graph/fusion_pointwise.cpp.
void fusePointwisePatterns(Graph& g);

// int8 (fusion_qdq.cpp, INT8.md): a float node whose operands come through DequantizeLinear
// and whose result goes into QuantizeLinear becomes a quantised node reading and writing the
// 8-bit values (the table in INT8.md lists which); runs after the float fusions.
void fuseQuantized(Graph& g);

// Backend-level: (conv, pool) node indices where a Conv's only reader is the next node, a
// MaxPool (the stems of SqueezeNet and ResNet). The CPU backend runs each as one Conv+MaxPool
// kernel where its kernels allow (cpu::makeConvMaxPool), so the conv output is never stored.
std::vector<std::pair<size_t, size_t>> convMaxPoolCandidates(const Graph& g);

// Backend-level: (conv, conv) node indices where a Conv's only reader is the next node, another
// Conv reading it as its data input (the MobileNets' 1x1 expansion and depthwise convs). The
// CPU backend runs the pairs its kernels take (a 1x1 and a depthwise conv on a large plane:
// cpu::makeConvPointwiseDepthwise) as one kernel, so the first conv's output is never stored.
std::vector<std::pair<size_t, size_t>> convConvCandidates(const Graph& g);

// Backend-level (fusion_se.cpp): squeeze-and-excitation blocks (MobileNetV3, EfficientNet),
//     s = GlobalAveragePool(x); t = act1(Conv1x1(s)); g = act2(Conv1x1(t)); y = Mul(x, g)
// (either Mul operand order; act2 is the gate: Sigmoid or HardSigmoid, fused into the conv;
// act1 any). Each intermediate has one reader and is no graph output, so a backend may run the
// block as one kernel at the pool's step, writing y and never storing s, t or g.
struct SqueezeExcite {
    size_t pool = 0, reduce = 0, expand = 0, mul = 0;  // node indices, in graph order
};
std::vector<SqueezeExcite> squeezeExciteCandidates(const Graph& g);

// Backend-level (fusion_residual.cpp): an Add folded into the node that makes its other
// operand, which then adds `addend` before its activation (the Add's) as it stores its output,
// writing the Add's output and never storing its own:
//  - a Conv without activation, only read by Add(conv, skip) (either order) with `skip` of the
//    same shape, computed before the conv (a residual connection);
//  - a MatMul without activation, only read by an Add of a float constant of shape [N] or
//    [1, ..., N] (a Linear layer's bias; the CPU runs these MatMuls' products with the bias
//    and the Add's activation in the GEMM's epilogue: cpu/gemm.h).
struct FusedAdd {
    size_t node = 0, add = 0;  // node indices
    int addend = -1;           // the value added
};
std::vector<FusedAdd> fusedAddCandidates(const Graph& g);

// Backend-level (fusion_view_chain.cpp), GPU speed: a MatMul operand of rank >= 2 made from one
// float value (the root) by a chain of index mappings -- view ops (graph/strided_view.h) and
// Gathers by constant indices, each output read by the next link only -- whose composition is
// affine: operand[c] = root[offset + sum_k c[k] * strides[k]], strides >= 0, and not already the
// root's dense layout. A GEMM reading through element strides reads the root as that view and
// the chain's nodes need not run (attention's Q, K and V, cut out of the QKV product and
// transposed per head: ViT).
struct OperandView {
    size_t node = 0, input = 0;   // the MatMul and which operand
    int root = -1;                // the value the chain starts from
    std::vector<size_t> chain;    // the links, root first
    Shape shape;                  // the operand's shape
    std::vector<int64_t> strides; // per operand axis, in root elements
    int64_t offset = 0;           // root element of operand element 0
};
std::vector<OperandView> matMulOperandViews(const Graph& g);

// Backend-level (fusion_se.cpp), CPU speed: a squeeze-and-excitation block whose output y (its
// Mul without an activation) is read only by a Conv, as that conv's input, and, when the conv
// has a FusedAdd candidate whose addend is made before the block's pool, that Add. y = x * g
// then never needs storing: a 1x1 conv can scale its input's channels by g as it reads them
// (cpu::makeSqueezeExciteConv), the Add in its epilogue as a ConvAdd.
struct SqueezeExciteConv {
    SqueezeExcite se;
    size_t conv = 0;  // node index
    FusedAdd add;     // the conv's residual Add (add.node == conv), or add.addend < 0: none
};
std::vector<SqueezeExciteConv> squeezeExciteConvCandidates(const Graph& g);

}  // namespace percept::graph
