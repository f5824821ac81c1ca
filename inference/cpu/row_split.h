// SPDX-License-Identifier: Apache-2.0
#pragma once
// How the data-movement kernels (strided copies, gathers, scatters, resize, Trilu) share
// their work: an output of `rows` rows of `inner` values runs inline when it is small (waking
// the pool costs more than copying a few thousand values) and otherwise in contiguous row
// ranges, one per thread, a few KiB at a time. fn(r0, r1, thread): `thread` indexes per-thread
// scratch.
#include <algorithm>
#include <cstdint>

#include "cpu/thread_pool.h"

namespace percept::cpu {

template <class F>
void splitRows(ThreadPool& pool, int64_t rows, int64_t inner, F&& fn) {
    const int64_t width = std::max<int64_t>(inner, 1);
    if (rows <= 0) return;
    if (pool.size() == 1 || rows == 1 || rows * width < 64 * 1024) {
        fn(int64_t{0}, rows, 0);
        return;
    }
    pool.parallelFor(rows, std::max<int64_t>(1, 4096 / width), [&](int64_t b, int64_t e, int th) { fn(b, e, th); });
}

}  // namespace percept::cpu
