// SPDX-License-Identifier: Apache-2.0
#include "pipeline/auto_backend.h"

#include <algorithm>

#include "pipeline/inference_worker.h"

namespace percept::app {

using percept::Backend;

namespace {
size_t idx(Backend b) { return b == Backend::Cpu ? 0 : 1; }
Backend backendAt(size_t i) { return i == 0 ? Backend::Cpu : Backend::Vulkan; }
QString ms(double v) { return QString::number(v, 'f', v < 10 ? 1 : 0); }
QString mj(double j) { return QString::number(j * 1e3, 'f', j < 0.01 ? 2 : 1); }
}  // namespace

QString powerStateName(PowerState s) {
    switch (s) {
        case PowerState::Ac: return QStringLiteral("plugged in");
        case PowerState::Battery: return QStringLiteral("on battery");
        case PowerState::Unknown: break;
    }
    return QStringLiteral("power state unknown");
}

AutoDecision decideBackend(const std::array<BackendMeasurement, 2>& m, double sourceFps, PowerState power) {
    AutoDecision d;
    const bool both = m[0].available && m[1].available;
    if (!both) {
        const size_t only = m[1].available ? 1 : 0;
        const size_t other = 1 - only;
        d.backend = backendAt(only);
        d.reason = QStringLiteral("the only backend (%1 unavailable%2)")
                       .arg(backendLabel(backendAt(other)),
                            m[other].unavailableWhy.isEmpty() ? QString() : QStringLiteral(": ") + m[other].unavailableWhy);
        return d;
    }
    const size_t fast = m[0].frameMs <= m[1].frameMs ? 0 : 1;
    const QString latencyFigures = QStringLiteral("%1 vs %2 ms per frame").arg(ms(m[fast].frameMs), ms(m[1 - fast].frameMs));
    if (power == PowerState::Ac) {
        d.backend = backendAt(fast);
        d.reason = QStringLiteral("plugged in: lowest latency (%1)").arg(latencyFigures);
        return d;
    }
    const double budgetMs = sourceFps > 0 ? 1000.0 / sourceFps : 0.0;  // 0: a still picture
    auto keepsUp = [&](size_t i) { return budgetMs <= 0 || m[i].frameMs <= budgetMs; };
    const QString prefix = power == PowerState::Battery ? QStringLiteral("on battery: ") : QString();
    const QString budget = budgetMs > 0 ? QStringLiteral("%1 fps").arg(sourceFps, 0, 'f', 0) : QString();
    if (!keepsUp(0) && !keepsUp(1)) {
        d.backend = backendAt(fast);
        d.reason = prefix + QStringLiteral("neither keeps up with %1: lowest latency (%2)").arg(budget, latencyFigures);
        return d;
    }
    if (keepsUp(0) != keepsUp(1)) {
        const size_t ok = keepsUp(0) ? 0 : 1;
        d.backend = backendAt(ok);
        d.reason = prefix + QStringLiteral("only %1 keeps up with %2 (%3 vs %4 ms per frame)")
                                .arg(backendLabel(backendAt(ok)), budget, ms(m[ok].frameMs), ms(m[1 - ok].frameMs));
        return d;
    }
    const size_t frugal = m[0].joules <= m[1].joules ? 0 : 1;
    d.backend = backendAt(frugal);
    const bool measured = m[0].energyMeasured && m[1].energyMeasured;
    d.reason = prefix + QStringLiteral("lowest energy per inference (%1 vs %2 mJ, %3)%4")
                            .arg(mj(m[frugal].joules), mj(m[1 - frugal].joules), measured ? QStringLiteral("measured") : QStringLiteral("estimated"),
                                 budgetMs > 0 ? QStringLiteral(", both keep up with %1").arg(budget) : QString());
    return d;
}

void AutoBackend::setEnabled(bool on) {
    if (on == enabled_) return;
    enabled_ = on;
    if (on) restart(QStringLiteral("Auto chosen"));
}

void AutoBackend::restart(const QString& why) {
    decided_ = false;
    frames_ = 0;
    for (auto& v : ms_) v.clear();
    skippedFirst_ = {};
    restartWhy_ = why;
}

void AutoBackend::addSample(Backend b, double frameMs) {
    const size_t i = idx(b);
    if (!skippedFirst_[i]) {
        skippedFirst_[i] = 1;  // the first run after (re)starting may be cold
        return;
    }
    ms_[i].add(frameMs);
    frames_ = static_cast<int>(std::max(ms_[0].count(), ms_[1].count()));
}

bool AutoBackend::readyToDecide(const std::array<bool, 2>& available) const {
    for (size_t i = 0; i < 2; ++i)
        if (available[i] && static_cast<int>(ms_[i].count()) < kProbeFrames) return false;
    return available[0] || available[1];
}

double AutoBackend::medianMs(Backend b) const { return ms_[idx(b)].median(); }

int AutoBackend::samples(Backend b) const { return static_cast<int>(ms_[idx(b)].count()); }

const AutoDecision& AutoBackend::decide(std::array<BackendMeasurement, 2> m, double sourceFps, PowerState power) {
    decision_ = decideBackend(m, sourceFps, power);
    decided_ = true;
    return decision_;
}

QString AutoBackend::note() const {
    if (!enabled_) return {};
    if (!decided_)
        return QStringLiteral("Auto: measuring CPU and GPU (%1 of %2 frames; %3)").arg(frames_).arg(kProbeFrames).arg(restartWhy_);
    return QStringLiteral("Auto \u2192 %1: %2").arg(backendLabel(decision_.backend), decision_.reason);
}

}  // namespace percept::app
