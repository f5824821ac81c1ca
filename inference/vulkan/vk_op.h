// SPDX-License-Identifier: Apache-2.0
#pragma once
// What an op family's dispatch setup sees while a session is built (after ncnn's layer/vulkan
// classes, reduced to functions): one factory per op family (vk_conv.cpp, vk_pool.cpp ...)
// reads its node, registers repacked weights, picks pipelines and emits the node's commands
// (dispatches, buffer copies, fills). The session records them all, once, into its command
// buffer, with barriers only where a command reads or overwrites what an earlier one wrote.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/fusion.h"
#include "graph/half.h"
#include "graph/ir.h"
#include "percept/backend.h"
#include "vulkan/vk_loader.h"
#include "vulkan/vk_pipeline_cache.h"

namespace percept::vk {

class Context;

// Which of the session's buffers a tensor lives in.
enum class Resource : uint8_t {
    Arena,     // device-local: every activation, at its planned offset
    Weights,   // device-local: constants and repacked weights, uploaded once
    StagingIn,   // host-visible: the inputs as the caller gives them (fp32)
    StagingOut,  // host-visible: the outputs as the caller gets them (fp32)
    Workspace,   // device-local scratch shared by all nodes (split reductions' partial sums, fp32)
    Counters,    // device-local uint counters shared by all nodes, zero at creation; every
                 // dispatch that counts in them leaves them zero again (split reductions' arrivals)
};

// How a shader binding sees a tensor: a storage buffer (read and write, as `sfloat[]`), or a
// read-only uniform texel buffer of one float per texel ('1', GLSL texelFetch(...).x) or of
// four ('4', a vec4 per texel). Texel fetches are the fast read path on CPU implementations
// (lavapipe turns storage-buffer loads into per-lane scalar loops, texel fetches into gathers)
// and go through the texture cache on GPUs; the format also widens fp16 for free.
enum class Bind : uint8_t { Storage, Texel1, Texel4 };

// A range of one of the session's buffers, and how a dispatch binds it.
struct TensorRef {
    Resource res = Resource::Arena;
    VkDeviceSize offset = 0;  // bytes
    VkDeviceSize bytes = 0;
    Bind bind = Bind::Storage;
};
inline TensorRef texel1(TensorRef t) {
    t.bind = Bind::Texel1;
    return t;
}
inline TensorRef texel4(TensorRef t) {
    t.bind = Bind::Texel4;
    return t;
}

struct Command {
    enum class Kind { Dispatch, Copy, Fill } kind = Kind::Dispatch;
    // Dispatch
    const Pipeline* pipeline = nullptr;
    std::vector<TensorRef> bindings;  // binding k of set 0
    uint32_t writeMask = 0;           // bit k: the shader writes binding k
    std::array<uint8_t, kPushConstantBytes> push{};
    uint32_t pushBytes = 0;
    uint32_t groups[3] = {1, 1, 1};
    // Copy (src -> dst, dst.bytes bytes) and Fill (dst with a 32-bit pattern)
    TensorRef src, dst;
    uint32_t pattern = 0;
};

// The number of workgroups for `items` work items at `perGroup` items per group.
inline uint32_t groupCount(uint64_t items, uint64_t perGroup) {
    return static_cast<uint32_t>((items + perGroup - 1) / perGroup);
}

// How a tiled kernel (conv_tiled.comp, gemm_tiled.comp, gemm_coopmat.comp) splits a reduction
// of K over slices of k when its output has too few tiles to fill a GPU: slices of a multiple
// of 16 k, at least 4 steps of 16 each, until there are about `workgroups` workgroups
// (Tuning::vulkanSplitWorkgroups; 256 by default, two per multiprocessor of a large GPU). One
// slice when the tiles alone are enough. Each slice of a 64 x 64 tile stores kSplitTileBytes of
// partial sums in the workspace (shaders/split_reduction.glsl).
struct SplitReduction {
    uint32_t kSlice = 0, slices = 1;
};
constexpr VkDeviceSize kSplitTileBytes = 64 * 64 * 4;
inline SplitReduction splitReduction(int64_t tiles, int64_t K, int64_t workgroups) {
    const int64_t steps = (K + 15) / 16;
    int64_t slices = tiles >= workgroups ? 1 : std::min((workgroups + tiles - 1) / tiles, steps / 4);
    slices = std::max<int64_t>(slices, 1);
    const int64_t kSlice = (steps + slices - 1) / slices * 16;
    return {static_cast<uint32_t>(kSlice), static_cast<uint32_t>((K + kSlice - 1) / kSlice)};
}

using graph::floatToHalf;
using graph::halfToFloat;

class Builder {
public:
    virtual ~Builder() = default;

    const graph::Graph& graph() const { return g_; }
    const graph::Node& node() const { return n_; }
    Context& context() const { return ctx_; }
    // Tensors are stored as float16_t on the device (weights and activations).
    bool fp16() const { return fp16_; }
    // The session's algorithm switches.
    const Tuning& tuning() const { return tuning_; }
    size_t elementBytes() const { return fp16_ ? 2 : 4; }
    // "_fp32" / "_fp16": the suffix of the embedded shader variants.
    const char* precisionSuffix() const { return fp16_ ? "_fp16" : "_fp32"; }
    // Shaders compute in fp16 where they have an fp16-arithmetic variant ("_fp16a", built for
    // every shader that mentions FP16_ARITH; SessionOptions::fp16Arithmetic).
    bool fp16Arithmetic() const { return fp16Arith_; }

    // Node input k (an arena slot, or a float constant uploaded as it is) and output k.
    virtual TensorRef input(size_t k) = 0;
    virtual TensorRef output(size_t k = 0) = 0;
    // A blob of weights prepared by the op (repacked, folded) in the weights buffer, stored in
    // the session's precision.
    virtual TensorRef weights(const std::vector<float>& data) = 0;
    // 32-bit words uploaded as they are whatever the session's precision (indices, offsets,
    // integer parameters a shader reads as uint/int; bind as storage and declare uint[]/int[]).
    virtual TensorRef rawWeights(const std::vector<uint32_t>& words) = 0;
    // Scratch of `bytes` bytes, valid for this node's commands only (every node gets the same
    // buffer; the barriers between dependent commands keep them apart).
    virtual TensorRef workspace(VkDeviceSize bytes) = 0;
    // `count` uint counters, zero when the node's commands start, which they must leave zero
    // (shared by every node, like the workspace).
    virtual TensorRef counters(uint32_t count) = 0;
    // An Add fused into this node (graph::fusedAddCandidates): the tensor added to its output
    // before the activation, which is then the Add's (node().act): a Conv's residual (the
    // output's shape), a MatMul's bias (a row of N); none otherwise. Only builders whose
    // fitsFusedAdd() accepted the block see one.
    virtual std::optional<TensorRef> addend() { return std::nullopt; }
    // A MatMul operand read through strides from the value its chain of index mappings starts
    // from (graph::matMulOperandViews; the chain's nodes record nothing): the root's bytes from
    // the operand's first element, and the operand's strides per axis, in elements. None where
    // input k is read as it is.
    struct StridedInput {
        TensorRef ref;
        std::vector<int64_t> strides;
    };
    virtual std::optional<StridedInput> stridedInput(size_t) { return std::nullopt; }

    // The pipeline of shader `family` in the session's precision. `layout` names its bindings in
    // order: 's' storage buffer, 't' uniform texel buffer (e.g. "tts": two texel inputs, one
    // storage output).
    const Pipeline& pipeline(const std::string& family, const std::string& layout, const std::vector<uint32_t>& spec = {});

    template <class Push>
    void dispatch(const Pipeline& p, std::vector<TensorRef> bindings, uint32_t writeMask, const Push& push, uint32_t gx,
                  uint32_t gy = 1, uint32_t gz = 1) {
        static_assert(std::is_trivially_copyable_v<Push> && sizeof(Push) <= kPushConstantBytes, "push constants too large");
        Command c;
        c.kind = Command::Kind::Dispatch;
        c.pipeline = &p;
        c.bindings = std::move(bindings);
        c.writeMask = writeMask;
        std::memcpy(c.push.data(), &push, sizeof(Push));
        c.pushBytes = sizeof(Push);
        c.groups[0] = gx;
        c.groups[1] = gy;
        c.groups[2] = gz;
        emit(std::move(c));
    }
    void copy(const TensorRef& src, const TensorRef& dst);
    void fill(const TensorRef& dst, uint32_t pattern);
    // The kernel chosen, for the per-layer table ("conv-gemm", "depthwise" ...).
    void setAlgo(std::string algo) { algo_ = std::move(algo); }
    const std::string& algo() const { return algo_; }

    [[noreturn]] void fail(const std::string& msg) const;

protected:
    Builder(const graph::Graph& g, const graph::Node& n, Context& ctx, bool fp16, bool fp16Arith, const Tuning& tuning)
        : g_(g), n_(n), ctx_(ctx), fp16_(fp16), fp16Arith_(fp16Arith), tuning_(tuning) {}
    virtual void emit(Command c) = 0;

private:
    const graph::Graph& g_;
    const graph::Node& n_;
    Context& ctx_;
    bool fp16_, fp16Arith_;
    const Tuning& tuning_;
    std::string algo_;
};

// Activation kinds as the shaders number them (specialisation constant 0 of every shader
// that applies one: ACT_* in the generated activation_codes.glsl, the graph::Activation
// numbers), and the two float parameters they take from push constants.
uint32_t activationCode(graph::Activation a);
struct ActParams {
    float a = 0.0f, b = 0.0f;  // Clip: [a, b] = [min, max]; otherwise alpha and beta
};
ActParams activationParams(const graph::FusedActivation& act);

// A pooling window as pool.comp and int8_pool.comp read it (the head of their push constants;
// vk_pool.cpp): planes, input and output extents, kernel, strides, dilations, pads (begins,
// ends), count_include_pad. GlobalAveragePool is a window the size of the whole plane.
struct PoolWindow {
    uint32_t planes, D, H, W, OD, OH, OW;
    uint32_t kd, kh, kw, sd, sh, sw, dd, dh, dw;
    int32_t pf, pt, pl, pk, pb, pr;
    uint32_t includePad;
    uint64_t outputs() const { return static_cast<uint64_t>(planes) * OD * OH * OW; }
};
PoolWindow poolWindow(Builder& b);

// Concat along an axis as rows: `outer` rows of `outBlock` output elements, each part's
// extent on the axis times `inner` elements per row (vk_concat.cpp).
struct ConcatRows {
    int64_t axis = 0, outer = 1, inner = 1, outBlock = 0;
};
ConcatRows concatRows(Builder& b);

// Factories, one per op family (the files vk_<family>.cpp).
using OpFactory = void (*)(Builder&);
void buildConv(Builder& b);          // Conv
void buildPool(Builder& b);          // MaxPool, AveragePool, GlobalAveragePool
void buildGemm(Builder& b);          // Gemm, MatMul
void buildEltwise(Builder& b);       // every pointwise op of 2+ inputs but Where (Add ... Xor)
void buildWhere(Builder& b);         // Where
void buildActivation(Builder& b);    // every unary pointwise op (graph/activations.def)
void buildSoftmax(Builder& b);       // Softmax
void buildConcat(Builder& b);        // Concat
void buildCopy(Builder& b);          // Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout
void buildPad(Builder& b);           // Pad
void buildLrn(Builder& b);           // LRN
void buildBatchNorm(Builder& b);     // BatchNormalization
// Convolution family
void buildConvTranspose(Builder& b);  // ConvTranspose
// A squeeze-and-excitation block (graph::squeezeExciteCandidates) built at its pool's step
// (vk_squeeze_excite.cpp): b.input(0) is the pool's input and b.output(0) the Mul's output.
// fitsSqueezeExcite: whether the fused shader takes the block (else its nodes run one by one).
bool fitsSqueezeExcite(const graph::Graph& g, const graph::SqueezeExcite& se);
// Whether the builder of the block's first node (buildConv, buildGemm) adds its addend.
bool fitsFusedAdd(const graph::Graph& g, const graph::FusedAdd& fa);
void buildSqueezeExcite(Builder& b, const graph::SqueezeExcite& se);
// Ops along axes (reduce family; buildSoftmax runs LogSoftmax and Hardmax too)
void buildReduce(Builder& b);        // Reduce*, GlobalMaxPool
void buildArgExtreme(Builder& b);    // ArgMax, ArgMin
void buildCumSum(Builder& b);        // CumSum
void buildNorm(Builder& b);          // LayerNormalization, InstanceNormalization, MeanVarianceNormalization
// Family: data movement (datamove)
void buildStridedCopy(Builder& b);   // Transpose, Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth
void buildGather(Builder& b);        // Gather, GatherElements, GatherND, Compress
void buildScatter(Builder& b);       // ScatterElements, ScatterND
void buildResize(Builder& b);        // Resize, Upsample
void buildTrilu(Builder& b);         // Trilu
void buildCast(Builder& b);          // Cast, CastLike

// The factory for a node (vk_ops.cpp's table, or for a quantised node vk_int8_ops.cpp's);
// nullptr, with `why` set, when the Vulkan backend does not run it.
OpFactory findOpFactory(const graph::Graph& g, const graph::Node& n, std::string* why);

// Elementwise helpers shared by several families (vk_activation.cpp): y = act2(act1(x)) over
// `count` elements, x and y at element offsets; and a block copy with activation,
// y[o*dstStride + dstStart + j] = act(x[o*blk + j]) for o < outer, j < blk.
void emitUnary(Builder& b, const TensorRef& x, const TensorRef& y, uint64_t count, const graph::FusedActivation& first,
               const graph::FusedActivation& second);
void emitBlockCopy(Builder& b, const TensorRef& x, const TensorRef& y, uint64_t outer, uint64_t blk, uint64_t dstStride,
                   uint64_t dstStart, const graph::FusedActivation& act);

}  // namespace percept::vk
