// SPDX-License-Identifier: Apache-2.0
// Concat along any axis: for each index over the axes before `axis`, each input contributes
// one contiguous block (its extent on the axis times everything after), copied in turn. A part
// that the memory plan placed inside the output already (graph::ConcatPlacement::InPlace: its
// producer wrote it there) is not copied; only a fused activation is applied to it in place.
#include <cstring>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

class ConcatKernel final : public Kernel {
public:
    ConcatKernel(int64_t outer, std::vector<int64_t> blocks, graph::FusedActivation act)
        : outer_(outer), blocks_(std::move(blocks)), act_(act) {
        for (int64_t b : blocks_) outBlock_ += b;
    }
    const char* algo() const override { return "copy"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        float* y = outputs[0];
        const size_t parts = blocks_.size();
        // Parts already in place: one contiguous block each (outer_ == 1).
        auto place = [&](size_t k, float* dst) {
            if (inputs[k] != dst) activate(act_, inputs[k], dst, blocks_[k]);  // a plain copy when no activation
            else if (act_.any()) activate(act_, dst, dst, blocks_[k]);
        };
        auto copyRows = [&](int64_t o0, int64_t o1, int) {
            for (int64_t o = o0; o < o1; ++o) {
                float* dst = y + o * outBlock_;
                for (size_t k = 0; k < parts; ++k) {
                    const int64_t blk = blocks_[k];
                    activate(act_, inputs[k] + o * blk, dst, blk);  // a plain copy when no activation
                    dst += blk;
                }
            }
        };
        if (outer_ * outBlock_ < 64 * 1024 || outer_ == 1) {
            if (outer_ == 1 && outBlock_ >= 64 * 1024) {
                // One row (concat on the channel axis at batch 1): spread the inputs instead.
                ctx.pool.run(static_cast<int64_t>(parts), [&](int64_t k, int) {
                    int64_t start = 0;
                    for (int64_t j = 0; j < k; ++j) start += blocks_[j];
                    place(static_cast<size_t>(k), y + start);
                });
                return;
            }
            if (outer_ == 1) {
                float* dst = y;
                for (size_t k = 0; k < parts; ++k) {
                    place(k, dst);
                    dst += blocks_[k];
                }
                return;
            }
            copyRows(0, outer_, 0);
            return;
        }
        ctx.pool.parallelFor(outer_, std::max<int64_t>(1, 16384 / outBlock_), copyRows);
    }

private:
    int64_t outer_;                // product of the axes before `axis`
    std::vector<int64_t> blocks_;  // per input: extent on `axis` x product of the axes after
    int64_t outBlock_ = 0;
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeConcat(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& y = outShape(g, n);
    const int64_t rank = static_cast<int64_t>(y.size());
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    const int64_t inner = product(y, static_cast<size_t>(axis) + 1, y.size());
    std::vector<int64_t> blocks;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const Shape& s = inShape(g, n, k);
        if (static_cast<int64_t>(s.size()) != rank) fail(n, "inputs have different ranks");
        blocks.push_back(s[axis] * inner);
    }
    return std::make_unique<ConcatKernel>(product(y, 0, static_cast<size_t>(axis)), std::move(blocks), n.act);
}

}  // namespace percept::cpu
