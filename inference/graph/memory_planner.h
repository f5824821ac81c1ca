// SPDX-License-Identifier: Apache-2.0
#pragma once
// Liveness-based activation memory plan, shared by every backend. Each non-constant value
// (graph input, intermediate, output) gets an offset in one arena; two values share bytes
// only when their lifetimes [producer, last reader] do not overlap, so a tensor's memory is
// reused as soon as its last reader has run.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

struct MemoryPlan {
    std::vector<int64_t> offsets;  // bytes, per value; -1 for constants and unused values
    std::vector<int> sliceOf;       // per value: the Concat output it is a slice of, or -1
    std::vector<int> aliasOf;       // per value: the value whose bytes it shares (a view of it), or -1
    size_t arenaBytes = 0;          // peak: what the arena needs
    size_t naiveBytes = 0;          // sum of all activation tensors (no reuse), for comparison
};

// Copy: every Concat input has its own bytes and the Concat copies them (what a backend
// whose Concat cannot skip a part needs). InPlace: an input that only the Concat reads, made
// by a node other than a Concat, not a graph input or output, is placed inside the Concat's
// output where its part goes (a contiguous slice: only when the axes before the Concat's axis
// have extent 1), so its producer writes it there and the Concat has nothing to copy
// (SqueezeNet's fire modules); the output's lifetime then starts with its first part.
// InPlaceAligned: the same, but only for parts whose byte offset inside the output is a
// multiple of `alignment` (a GPU binds a buffer range only at aligned offsets); the others
// keep their own bytes and are copied.
enum class ConcatPlacement { Copy, InPlace, InPlaceAligned };

// Views: the output of a Reshape, Flatten, Squeeze or Unsqueeze (without a fused activation)
// whose input no node reads after it shares its input's bytes -- the same values in the same
// order -- so the backends' copy has nothing to do (cpu::CopyKernel and vk::buildCopy skip a
// copy onto itself). The shared bytes live from the input's producer to the view's last reader.
// Not for a view whose output is placed inside a Concat's output.

// What a backend that fuses nodes tells the planner (each vector empty, or one entry per value).
struct PlanHints {
    // Step at which a value is written when that is before its producer's step (a kernel of
    // an earlier node writes it), else -1: its bytes are then live from that step.
    std::vector<int> bornAt;
    // Values never stored (a fused kernel keeps them in its own scratch): no bytes.
    std::vector<bool> elided;
    // Per value y, a value x whose bytes y may take over, or -1: the kernel writing y reads
    // each element of x only where it writes y's, before writing it, and no later step reads x
    // (the backend checked both). They share bytes unless either is a graph input or output, a
    // Concat slice or a view, or they differ in size or type. CPU speed: a 1x1 conv's residual
    // Add written over its addend; a fresh output region cost a read of every line from memory
    // before its write (MobileNetV3-L's 112x112 Conv+Add: 0.19-0.27 ms, 0.09 in place).
    std::vector<int> inPlaceOf;
    // Per value, a step that reads it later than any node that has it as an input (a kernel
    // reading it in place of nodes it stands for: graph::matMulOperandViews), or -1: its
    // bytes stay live until then.
    std::vector<int> readUntil;
};

// elementBytes: 4 for fp32, 2 for fp16 storage (int8 values take 1 byte whatever it is). alignment: offset alignment in bytes (slices
// inside a Concat's output are aligned only to elementBytes).
MemoryPlan planMemory(const Graph& g, size_t elementBytes = 4, size_t alignment = 64, ConcatPlacement concat = ConcatPlacement::Copy,
                      const PlanHints& hints = {});

}  // namespace percept::graph
