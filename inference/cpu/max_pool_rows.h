// SPDX-License-Identifier: Apache-2.0
#pragma once
// Undilated MaxPool over rows of one plane, as two passes per output row: the max down the
// window's rows into a row buffer padded with -inf, then the max across each window of that
// buffer (SIMD where the ISA has it). Shared by the MaxPool kernel and the Conv+MaxPool
// kernel, which pools a band of conv output rows while it is still in cache.
#include <cstddef>
#include <cstdint>

#include "cpu/isa.h"
#include "graph/ir.h"

namespace percept::cpu {

struct MaxPoolRows {
    int64_t H = 0, W = 0, OH = 0, OW = 0;  // input and output plane
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
    graph::FusedActivation act;  // applied to the output
    MaxPoolRowFns simd;          // the session's SIMD rows (null members: scalar loops)

    // Floats of the row buffer `t` that run() needs.
    size_t rowFloats() const;
    // Output rows [oy0, oy1) into y (the plane's row 0). Input row iy is at x + (iy - xRow0) * W:
    // only the rows these outputs' windows cover need to be there.
    void run(const float* x, int64_t xRow0, float* y, int64_t oy0, int64_t oy1, float* t) const;
    // The input rows [lo, hi) that output rows [oy0, oy1) read.
    void inputRows(int64_t oy0, int64_t oy1, int64_t& lo, int64_t& hi) const;
};

}  // namespace percept::cpu
