#include "cpu/isa.h"

#include <cstdlib>
#include <cstring>

namespace percept::cpu {
namespace {
Isa detect() {
    __builtin_cpu_init();
    Isa best = Isa::Generic;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
    if (best == Isa::Avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        best = Isa::Avx512;
    if (const char* env = std::getenv("PERCEPT_CPU_ISA")) {
        Isa cap = best;
        if (!std::strcmp(env, "generic")) cap = Isa::Generic;
        else if (!std::strcmp(env, "avx2")) cap = Isa::Avx2;
        else if (!std::strcmp(env, "avx512")) cap = Isa::Avx512;
        if (static_cast<int>(cap) < static_cast<int>(best)) best = cap;
    }
    return best;
}
}  // namespace

Isa cpuIsa() {
    static const Isa isa = detect();
    return isa;
}

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        default: return "generic";
    }
}

const PackedGemm* packedGemm(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return &avx512::kGemm;
        case Isa::Avx2: return &avx2::kGemm;
        default: return nullptr;
    }
}

DepthwiseFn depthwise3x3(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return &avx512::depthwise3x3;
        case Isa::Avx2: return &avx2::depthwise3x3;
        default: return nullptr;
    }
}

CopyStride2Fn copyStride2(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return &avx512::copyStride2;
        case Isa::Avx2: return &avx2::copyStride2;
        default: return nullptr;
    }
}

DotRowsFn dotRows(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return &avx512::dotRows;
        case Isa::Avx2: return &avx2::dotRows;
        default: return nullptr;
    }
}

MaxPoolRowFns maxPoolRowFns(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return {&avx512::maxInto, &avx512::maxWindow3s2};
        case Isa::Avx2: return {&avx2::maxInto, &avx2::maxWindow3s2};
        default: return {};
    }
}

WinogradFns winogradFns(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return {&avx512::winogradInput, &avx512::winogradOutput, &avx512::winograd2Input, &avx512::winograd2Output};
        case Isa::Avx2: return {&avx2::winogradInput, &avx2::winogradOutput, &avx2::winograd2Input, &avx2::winograd2Output};
        default: return {};
    }
}

}  // namespace percept::cpu
