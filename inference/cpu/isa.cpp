// SPDX-License-Identifier: Apache-2.0
#include "cpu/isa.h"

#include "percept/error.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace percept::cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)
Isa detect() {
    __builtin_cpu_init();
    Isa best = Isa::Generic;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
    if (best == Isa::Avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        best = Isa::Avx512;
    return best;
}
#elif defined(__aarch64__)
// arm64/NEON: Advanced SIMD (with fp32 FMA) is part of the aarch64 baseline.
Isa detect() { return Isa::Neon; }
#else
Isa detect() { return Isa::Generic; }
#endif

const CpuKernels kGeneric{};

}  // namespace

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        case Isa::Neon: return "neon";
        default: return "generic";
    }
}

Isa bestIsa(Tuning::CpuIsa cap) {
    static const Isa detected = detect();
    const bool arm = detected == Isa::Neon;
    switch (cap) {
        case Tuning::CpuIsa::Best: return detected;
        case Tuning::CpuIsa::Generic: return Isa::Generic;
        case Tuning::CpuIsa::Neon:
            if (!arm) throw Error("PERCEPT_CPU_ISA=neon: this CPU has no NEON level (its SIMD levels are generic, avx2 and avx512)");
            return Isa::Neon;
        case Tuning::CpuIsa::Avx2:
        case Tuning::CpuIsa::Avx512: {
            if (arm) throw Error("PERCEPT_CPU_ISA=avx2/avx512: this CPU is arm64 (its SIMD levels are generic and neon)");
            const Isa limit = cap == Tuning::CpuIsa::Avx2 ? Isa::Avx2 : Isa::Avx512;
            return static_cast<int>(limit) < static_cast<int>(detected) ? limit : detected;
        }
    }
    return detected;
}

std::vector<Isa> supportedIsas() {
    const Isa best = bestIsa(Tuning::CpuIsa::Best);
    std::vector<Isa> v{Isa::Generic};
    if (best == Isa::Neon) v.push_back(Isa::Neon);
    if (best == Isa::Avx2 || best == Isa::Avx512) v.push_back(Isa::Avx2);
    if (best == Isa::Avx512) v.push_back(Isa::Avx512);
    return v;
}

const CpuKernels& cpuKernels(Isa isa) {
    switch (isa) {
#if defined(__x86_64__) || defined(__i386__)
        case Isa::Avx512: return avx512::kKernels;
        case Isa::Avx2: return avx2::kKernels;
#endif
#if defined(__aarch64__)
        case Isa::Neon: return neon::kKernels;
#endif
        default: return kGeneric;
    }
}

ArmFeatures armFeatures() {
#if defined(__aarch64__)
    static const ArmFeatures f = [] {
        const unsigned long hw = getauxval(AT_HWCAP);
        ArmFeatures a;
        a.dotProd = (hw & HWCAP_ASIMDDP) != 0;
        a.fp16 = (hw & HWCAP_FPHP) != 0 && (hw & HWCAP_ASIMDHP) != 0;
        return a;
    }();
    return f;
#else
    return {};
#endif
}

std::string isaDescription(Isa isa) {
    std::string s = isaName(isa);
    if (isa == Isa::Neon) {
        const ArmFeatures f = armFeatures();
        if (f.dotProd) s += "+dotprod";
        if (f.fp16) s += "+fp16";
    }
    return s;
}

}  // namespace percept::cpu
