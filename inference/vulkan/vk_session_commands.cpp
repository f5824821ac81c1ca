// SPDX-License-Identifier: Apache-2.0
// The Vulkan session's commands: the input upload, every node's dispatches through the Builder
// its op family gets (fused squeeze-and-excitation blocks and Adds at their first node), the
// output download; and the per-layer rows of Stats.
#include <algorithm>
#include <string>

#include "core/backend_registry.h"
#include "graph/flops.h"
#include "graph/quant.h"
#include "percept/error.h"
#include "vulkan/vk_int8.h"
#include "vulkan/vk_session.h"

namespace percept::vk {

// The Builder an op factory gets for one node.
class SessionBuilder final : public Builder {
public:
    // writes >= 0: the value output(0) is (a fused block's last output), instead of the node's.
    // addend >= 0: the value a fused Add adds (Builder::addend).
    SessionBuilder(VulkanSession& s, const graph::Node& n, std::vector<Command>& out, int writes = -1, int addend = -1)
        : Builder(*s.graph_, n, *s.ctx_, s.fp16_, s.fp16Arith_, s.tuning_), s_(s), out_(out), writes_(writes), addend_(addend) {}

    TensorRef input(size_t k) override {
        const graph::Node& n = node();
        if (k >= n.inputs.size() || n.inputs[k] < 0) fail("input " + std::to_string(k) + " is missing");
        return s_.valueRef(n.inputs[k]);
    }
    TensorRef output(size_t k) override {
        if (k == 0 && writes_ >= 0) return s_.valueRef(writes_);
        const graph::Node& n = node();
        if (k >= n.outputs.size() || n.outputs[k] < 0) fail("output " + std::to_string(k) + " is missing");
        return s_.valueRef(n.outputs[k]);
    }
    TensorRef weights(const std::vector<float>& data) override { return s_.addWeights(data); }
    TensorRef rawWeights(const std::vector<uint32_t>& words) override { return s_.addRawWeights(words); }
    TensorRef workspace(VkDeviceSize bytes) override {
        bytes = std::max<VkDeviceSize>((bytes + 63) / 64 * 64, 64);
        s_.workspaceBytes_ = std::max(s_.workspaceBytes_, bytes);
        return {Resource::Workspace, 0, bytes};
    }
    TensorRef counters(uint32_t count) override {
        const VkDeviceSize bytes = std::max<VkDeviceSize>((VkDeviceSize{count} * 4 + 63) / 64 * 64, 64);
        s_.counterBytes_ = std::max(s_.counterBytes_, bytes);
        return {Resource::Counters, 0, bytes};
    }
    std::optional<TensorRef> addend() override {
        if (addend_ < 0) return std::nullopt;
        return s_.valueRef(addend_);
    }
    std::optional<StridedInput> stridedInput(size_t k) override {
        const auto it = s_.operandViews_.find({nodeIndex, k});
        if (nodeIndex == SIZE_MAX || it == s_.operandViews_.end()) return std::nullopt;
        const graph::OperandView& ov = it->second;
        const TensorRef root = s_.valueRef(ov.root);
        const VkDeviceSize skip = static_cast<VkDeviceSize>(ov.offset) * elementBytes();
        return StridedInput{TensorRef{root.res, root.offset + skip, root.bytes - skip}, ov.strides};
    }
    size_t nodeIndex = SIZE_MAX;  // the node's index in the graph (its operand views' key)

protected:
    void emit(Command c) override {
        if (c.kind == Command::Kind::Dispatch) {
            const uint32_t* limit = s_.ctx_->properties().limits.maxComputeWorkGroupCount;
            for (int k = 0; k < 3; ++k)
                if (c.groups[k] > limit[k])
                    fail("needs " + std::to_string(c.groups[k]) + " workgroups along axis " + std::to_string(k) + ", more than the device's " +
                         std::to_string(limit[k]) + " (the input is too large for this backend)");
        }
        out_.push_back(std::move(c));
    }

private:
    VulkanSession& s_;
    std::vector<Command>& out_;
    int writes_, addend_;
};

void VulkanSession::buildCommands() {
    const graph::Graph& g = *graph_;
    // The repacked weights come to about the constants' size: reserve it, so the blob is not
    // copied over and over as it grows (ViT-B/16: 344 MB, reallocated ~20 times).
    size_t constantBytes = 0;
    for (const auto& v : g.values)
        if (v.constant) constantBytes += static_cast<size_t>(elementCount(v.shape)) * elementBytes();
    hostWeights_.reserve(constantBytes + constantBytes / 16 + g.nodes.size() * 4 * static_cast<size_t>(align_));
    // Inputs: staging (fp32, as given) -> arena.
    for (int id : g.inputs) {
        const VkDeviceSize n = static_cast<VkDeviceSize>(elementCount(g.value(id).shape));
        inputStaging_.push_back(stagingInBytes_);
        stagingInBytes_ += (n * 4 + 63) / 64 * 64;
    }
    for (int id : g.outputs) {
        const VkDeviceSize n = static_cast<VkDeviceSize>(elementCount(g.value(id).shape));
        outputStaging_.push_back(stagingOutBytes_);
        stagingOutBytes_ += (n * 4 + 63) / 64 * 64;
    }

    // A pseudo-node for the transfers, so they go through a Builder like every op.
    graph::Node transfer;
    transfer.name = "staging";
    transfer.op = graph::OpKind::Identity;
    {
        SessionBuilder b(*this, transfer, uploads_);
        for (size_t k = 0; k < g.inputs.size(); ++k) {
            const int id = g.inputs[k];
            const uint64_t n = static_cast<uint64_t>(elementCount(g.value(id).shape));
            const TensorRef src{Resource::StagingIn, inputStaging_[k], std::max<VkDeviceSize>(n * 4, 4)};
            const TensorRef dst = valueRef(id);
            if (n == 0) continue;
            if (!fp16_) {
                b.copy(src, TensorRef{dst.res, dst.offset, n * 4});
            } else {
                struct Push {
                    uint32_t count;
                } push{static_cast<uint32_t>(n)};
                b.dispatch(b.pipeline("cast", "ss", {0}), {src, dst}, 0b10, push, std::min<uint32_t>(groupCount(n, 64), 1024));
            }
        }
    }

    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const graph::Node& n = g.nodes[k];
        nodeCommands_.emplace_back();
        LayerStats ls;
        ls.name = n.name;
        ls.op = n.displayOp();
        ls.flops = graph::nodeFlops(g, n);
        stats_.totalFlops += ls.flops;
        if (doneBy_[k] >= 0) {
            // Its work was done at a fused block's first step.
            ls.algo = "in " + g.nodes[static_cast<size_t>(doneBy_[k])].name;
            stats_.layers.push_back(ls);
            continue;
        }
        if (seAt_[k] >= 0) {
            const graph::SqueezeExcite& se = seBlocks_[static_cast<size_t>(seAt_[k])];
            SessionBuilder b(*this, n, nodeCommands_.back(), g.nodes[se.mul].outputs[0]);
            buildSqueezeExcite(b, se);
            ls.op += "+SqueezeExcite";
            ls.algo = b.algo();
            ls.commands = static_cast<int>(nodeCommands_.back().size());
            stats_.layers.push_back(ls);
            continue;
        }
        if (fusedAddAt_[k] >= 0) {
            // The Conv or MatMul, writing the Add's output with the addend added and the Add's
            // activation applied.
            const graph::FusedAdd& fa = fusedAdds_[static_cast<size_t>(fusedAddAt_[k])];
            const graph::Node& add = g.nodes[fa.add];
            graph::Node fused = n;
            fused.act = add.act;
            SessionBuilder b(*this, fused, nodeCommands_.back(), add.outputs[0], fa.addend);
            b.nodeIndex = k;
            (graph::isQuantizedNode(g, n) ? buildInt8Linear : n.op == graph::OpKind::Conv ? buildConv : buildGemm)(b);
            ls.op = fused.displayOp();
            ls.op.insert(ls.op.find('+') == std::string::npos ? ls.op.size() : ls.op.find('+'), "+Add");
            ls.algo = b.algo();
            ls.commands = static_cast<int>(nodeCommands_.back().size());
            stats_.layers.push_back(ls);
            continue;
        }
        std::string why;
        OpFactory f = findOpFactory(g, n, &why);
        if (!f) throw Error(n.describe() + ": " + why);
        if (graph::isQuantizedNode(g, n) && !ctx_->supportsInt8DotProduct())
            throw Error(n.describe() + ": int8 on Vulkan needs 8-bit storage and integer dot products (VK_KHR_shader_integer_dot_product), which " +
                        ctx_->properties().deviceName + " does not offer; the CPU backend runs quantised models");
        for (int out : n.outputs)
            if (out >= 0 && !g.value(out).shapeKnown) throw Error(n.describe() + ": output shape is unknown (shape inference has not run)");
        SessionBuilder b(*this, n, nodeCommands_.back());
        b.nodeIndex = k;
        f(b);
        ls.algo = b.algo();
        ls.commands = static_cast<int>(nodeCommands_.back().size());
        stats_.layers.push_back(ls);
    }
    uint32_t stamp = 1;  // query 1 ends the uploads
    for (const std::vector<Command>& cmds : nodeCommands_) stampAfter_.push_back(stamp += cmds.empty() ? 0 : 1);

    {
        SessionBuilder b(*this, transfer, downloads_);
        for (size_t k = 0; k < g.outputs.size(); ++k) {
            const int id = g.outputs[k];
            const uint64_t n = static_cast<uint64_t>(elementCount(g.value(id).shape));
            if (n == 0) continue;
            const TensorRef src = valueRef(id);
            const TensorRef dst{Resource::StagingOut, outputStaging_[k], n * 4};
            if (!fp16_) {
                b.copy(TensorRef{src.res, src.offset, n * 4}, dst);
            } else {
                struct Push {
                    uint32_t count;
                } push{static_cast<uint32_t>(n)};
                b.dispatch(b.pipeline("cast", "ss", {1}), {src, dst}, 0b10, push, std::min<uint32_t>(groupCount(n, 64), 1024));
            }
        }
    }
}

}  // namespace percept::vk