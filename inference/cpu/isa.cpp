// SPDX-License-Identifier: Apache-2.0
#include "cpu/isa.h"

namespace percept::cpu {
namespace {

Isa detect() {
    __builtin_cpu_init();
    Isa best = Isa::Generic;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
    if (best == Isa::Avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        best = Isa::Avx512;
    return best;
}

const CpuKernels kGeneric{};

}  // namespace

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        default: return "generic";
    }
}

Isa bestIsa(Tuning::CpuIsa cap) {
    static const Isa detected = detect();
    Isa limit = detected;
    switch (cap) {
        case Tuning::CpuIsa::Best: break;
        case Tuning::CpuIsa::Generic: limit = Isa::Generic; break;
        case Tuning::CpuIsa::Avx2: limit = Isa::Avx2; break;
        case Tuning::CpuIsa::Avx512: limit = Isa::Avx512; break;
    }
    return static_cast<int>(limit) < static_cast<int>(detected) ? limit : detected;
}

const CpuKernels& cpuKernels(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return avx512::kKernels;
        case Isa::Avx2: return avx2::kKernels;
        default: return kGeneric;
    }
}

}  // namespace percept::cpu
