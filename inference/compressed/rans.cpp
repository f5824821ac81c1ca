// SPDX-License-Identifier: Apache-2.0
#include "compressed/rans.h"

#include <algorithm>
#include <cstring>

namespace percept::compressed {

RansModel RansModel::fromCounts(const std::vector<uint64_t>& counts) {
    uint64_t total = 0;
    for (uint64_t c : counts) total += c;
    std::vector<uint32_t> f(counts.size(), 0);
    if (total == 0) {
        f[0] = kRansTotal;
    } else {
        // Scale, keeping every present symbol at least 1; the rounding difference goes to (or
        // comes from) the most frequent symbols, where it costs the least.
        int64_t sum = 0;
        size_t largest = 0;
        for (size_t s = 0; s < counts.size(); ++s) {
            if (counts[s] > counts[largest]) largest = s;
            if (!counts[s]) continue;
            f[s] = static_cast<uint32_t>(std::max<uint64_t>(1, counts[s] * kRansTotal / total));
            sum += f[s];
        }
        if (sum < static_cast<int64_t>(kRansTotal)) f[largest] += static_cast<uint32_t>(static_cast<int64_t>(kRansTotal) - sum);
        while (sum > static_cast<int64_t>(kRansTotal)) {
            // Only possible when many rare symbols were raised to 1: take from the largest.
            const size_t s = static_cast<size_t>(std::max_element(f.begin(), f.end()) - f.begin());
            const int64_t take = std::min<int64_t>(sum - static_cast<int64_t>(kRansTotal), f[s] / 2);
            f[s] -= static_cast<uint32_t>(take);
            sum -= take;
        }
    }
    RansModel m;
    m.setFrequencies(std::move(f));
    return m;
}

bool RansModel::setFrequencies(std::vector<uint32_t> f) {
    uint64_t sum = 0;
    for (uint32_t v : f) sum += v;
    if (sum != kRansTotal || f.empty() || f.size() > 256) return false;
    freq = std::move(f);
    start.assign(freq.size(), 0);
    uint32_t at = 0;
    for (size_t s = 0; s < freq.size(); ++s) {
        start[s] = at;
        at += freq[s];
    }
    return true;
}

void ransEncode(const RansModel& m, const uint8_t* symbols, int64_t n, std::vector<uint8_t>& out) {
    // rANS codes last-in first-out: encode backwards into a buffer filled from its end.
    std::vector<uint8_t> buf(static_cast<size_t>(n) * 2 + 16);
    uint8_t* ptr = buf.data() + buf.size();
    uint32_t state[2] = {kRansLow, kRansLow};
    for (int64_t i = n - 1; i >= 0; --i) {
        uint32_t& x = state[i & 1];
        const uint32_t f = m.freq[symbols[i]];
        const uint32_t xMax = ((kRansLow >> kRansScaleBits) << 8) * f;
        while (x >= xMax) {
            *--ptr = static_cast<uint8_t>(x & 0xff);
            x >>= 8;
        }
        x = ((x / f) << kRansScaleBits) + (x % f) + m.start[symbols[i]];
    }
    // The decoder reads state 0 then state 1, each little-endian.
    const size_t body = static_cast<size_t>(buf.data() + buf.size() - ptr);
    const size_t at = out.size();
    out.resize(at + 8 + body);
    std::memcpy(out.data() + at, &state[0], 4);
    std::memcpy(out.data() + at + 4, &state[1], 4);
    std::memcpy(out.data() + at + 8, ptr, body);
}

bool ransDecode(const RansModel& m, const float* codebook, const uint8_t* data, size_t size, int64_t n, float* out) {
    if (size < 8) return false;
    const uint8_t* p = data + 8;
    const uint8_t* end = data + size;
    uint32_t x[2];
    std::memcpy(&x[0], data, 4);
    std::memcpy(&x[1], data + 4, 4);
    // A state below the bound cannot come from the encoder (and would let the renormalisation
    // below read bytes without end).
    if (x[0] < kRansLow || x[1] < kRansLow) return false;
    constexpr uint32_t mask = kRansTotal - 1;
    uint8_t slot[kRansTotal];
    for (size_t s = 0; s < m.freq.size(); ++s) std::memset(slot + m.start[s], static_cast<int>(s), m.freq[s]);
    const uint32_t* freq = m.freq.data();
    const uint32_t* start = m.start.data();
    for (int64_t i = 0; i < n; ++i) {
        uint32_t& s = x[i & 1];
        const uint32_t low = s & mask;
        const uint8_t sym = slot[low];
        out[i] = codebook[sym];
        s = freq[sym] * (s >> kRansScaleBits) + low - start[sym];
        while (s < kRansLow) {
            if (p == end) return false;
            s = (s << 8) | *p++;
        }
    }
    return p == end && x[0] == kRansLow && x[1] == kRansLow;
}

}  // namespace percept::compressed
