// SPDX-License-Identifier: Apache-2.0
// Soak: the whole pipeline as the app runs it -- VideoFileSource (QMediaPlayer -> QVideoSink) ->
// Pipeline -> latest-frame mailbox -> InferenceWorker (own thread) -> overlay in the main window
// -- for several thousand frames of a generated video, switching backend (CPU / Vulkan) and model
// (MobileNet v1 0.25 128 / SqueezeNet 1.1) every few hundred frames through the window's own
// controls. Checked:
//   * no growth: RSS at the end of the last cycle is within a small bound of RSS at the end of
//     the warm-up cycles, both taken at the same point of the cycle (same models and backends
//     live);
//   * no result lost: once the source stops and the worker is idle, every frame that arrived was
//     either dropped by the mailbox or taken by the worker, and every frame taken gave exactly
//     one result, delivered to the window (none stale, none refused);
//   * no stale result: every result delivered names the backend and model the pipeline had
//     confirmed when it arrived, comes in frame order, and is what the overlay shows;
//   * the UI thread never blocks long: a 5 ms precise timer on the UI thread records the longest
//     gap between its ticks, and how much of it the thread ran, waited for a CPU or slept.
// The figures are printed (qInfo) so they can be quoted.
//
// The video is 100 fps (testsrc, 320x240, H.264, 10 s, looped by the source), played at normal
// speed: about three times a camera's frame rate, so the run takes ~1.5 minutes instead of ~5
// and the mailbox is kept busy (the slower combinations drop most frames, as designed). The
// frame rate that arrives is measured and printed; nothing is sped up behind the player's back.
// PERCEPT_SOAK_CYCLES=N runs N cycles instead of the default 6 (two warm-up + four measured);
// a cycle is 6 switches, ~15 s.
#include <QComboBox>
#include <QElapsedTimer>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTimer>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <vector>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "metrics/process_memory.h"
#include "overlay_widget.h"
#include "percept/backend.h"
#include "video_view.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;

namespace {

constexpr int kVideoFps = 100;
constexpr int kVideoSeconds = 10;
constexpr uint64_t kFramesPerStep = 250;  // frames arriving between two switches
constexpr int kDefaultCycles = 6;
// The first two cycles are warm-up: every (backend, model) session has then been created and
// dropped twice and the heaps have reached their working size. RSS is compared at the same
// point of a cycle: the lowest value sampled (every 50 ms) during its last step.
constexpr int kWarmupCycles = 2;
// RSS may grow by at most this much from the end of the warm-up to the end of the last cycle.
// Measured on the 2-core Debian VM with lavapipe: a 12-cycle run went 258.0, 264.8, then stayed
// within 264.6 .. 266.4 MiB; over eight 5-cycle runs the growth after warm-up was -0.0 .. +6.5
// MiB (the level moves by a few MiB between cycles and between runs, up as well as down: frames
// and decoder buffers in flight, glibc's per-thread arenas). 12 MiB is about twice the worst
// of that. What it catches: a session leaked per model switch added ~90 MiB a cycle (tried:
// 405 -> 763 MiB over four cycles), a frame leaked per result would add ~300 KiB x thousands.
// What it cannot tell from noise: a leak of less than ~0.5 MiB per switch. Without the worker's
// malloc_trim after a switch (inference_worker.cpp), glibc's heap retention made RSS creep in
// some runs (274 -> 300 MiB over 8 cycles) and not in others (277 .. 287 MiB, no trend).
constexpr double kRssGrowthLimitMiB = 12.0;
// The UI thread may not block for longer than this: the event loop's longest gap between two
// ticks of a 5 ms timer, less the time the UI thread was runnable but waiting for a CPU
// (/proc/thread-self/schedstat), i.e. what the program itself held the loop for, working on the
// UI thread or blocked in it. Generous: a frame interval at 100 fps is 10 ms, at 30 fps 33 ms.
// The whole gap, waits for a CPU included, may not exceed kMaxGapMs. Measured on the 2-core
// VM while other jobs kept it busy (load 5-6, CPU pressure ~90 %): longest gaps 85-238 ms,
// mostly waiting for a CPU while the CPU backend ran SqueezeNet on both cores (one: 127 ms =
// 3 ms running + 123 ms waiting + 1 ms asleep); without those waits 45-80 ms (the longest:
// 38-54 ms of work on the UI thread in the first cycle, one-off).
constexpr double kMaxStallMs = 250.0;
constexpr double kMaxGapMs = 1000.0;

const char* kMobileNet = "mobilenet_v1_0.25_128";
const char* kSqueezeNet = "squeezenet1.1";

struct Step {
    Backend backend;
    const char* model;
};
// One cycle: every backend x model pair, switching the backend alone, the model alone, and
// both at once. The cycle ends where it started from (the CPU with SqueezeNet, then the model
// changes back to MobileNet), so each cycle's end is the same state for the RSS comparison.
const Step kCycle[] = {
    {Backend::Cpu, kMobileNet},      // (model switch from the previous cycle's end)
    {Backend::Vulkan, kMobileNet},   // backend
    {Backend::Vulkan, kSqueezeNet},  // model
    {Backend::Cpu, kSqueezeNet},     // backend
    {Backend::Vulkan, kMobileNet},   // both
    {Backend::Cpu, kSqueezeNet},     // both
};

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// The longest gap between two ticks of a precise 5 ms timer on the UI thread.
class StallMeter : public QObject {
public:
    explicit StallMeter(const QString* phase) : phase_(phase) {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(5);
        connect(&timer_, &QTimer::timeout, this, [this] { tick(); });
    }
    void start() {
        if (fd_ < 0) fd_ = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
        clock_.start();
        last_ = 0;
        lastSched_ = sched();
        timer_.start();
    }
    ~StallMeter() override {
        if (fd_ >= 0) ::close(fd_);
    }
    void stop() { timer_.stop(); }
    double worstMs() const { return worstNs_ / 1e6; }
    // What the UI thread did during the worst gap, from /proc/thread-self/schedstat: ran (its
    // own work: slow code on the UI thread), waited for a CPU (runnable, but the cores were
    // busy: other threads of this process or other processes), the rest asleep (the timer's
    // own 5 ms, or blocked: a lock, a synchronous wait).
    double worstRanMs() const { return worst_.ran / 1e6; }
    double worstQueuedMs() const { return worst_.queued / 1e6; }
    double worstAsleepMs() const { return (worstNs_ - worst_.ran - worst_.queued) / 1e6; }
    // The longest gap less the time the UI thread waited for a CPU: what the program itself
    // held the event loop for (work on the UI thread, or blocking).
    double worstOwnMs() const { return worstOwnNs_ / 1e6; }
    double worstOwnRanMs() const { return worstOwn_.ran / 1e6; }
    QString worstWhere() const { return worstWhere_; }
    QString worstOwnWhere() const { return worstOwnWhere_; }
    uint64_t ticks() const { return ticks_; }
    uint64_t over(int ms) const { return over_.count(ms) ? over_.at(ms) : 0; }

private:
    struct Sched {
        qint64 ran = 0, queued = 0;  // ns on a CPU, ns runnable but waiting for one
    };
    Sched sched() const {
        Sched s;
        char buf[128];
        const ssize_t n = fd_ >= 0 ? ::pread(fd_, buf, sizeof buf - 1, 0) : -1;
        if (n > 0) {
            buf[n] = '\0';
            long long ran = 0, queued = 0;
            if (std::sscanf(buf, "%lld %lld", &ran, &queued) == 2) s = {ran, queued};
        }
        return s;
    }
    void tick() {
        const qint64 now = clock_.nsecsElapsed();
        const Sched sc = sched();
        const qint64 gap = now - last_;
        const Sched d{sc.ran - lastSched_.ran, sc.queued - lastSched_.queued};
        last_ = now;
        lastSched_ = sc;
        ++ticks_;
        if (gap > worstNs_) {
            worstNs_ = gap;
            worst_ = d;
            worstWhere_ = *phase_;
        }
        if (gap - d.queued > worstOwnNs_) {
            worstOwnNs_ = gap - d.queued;
            worstOwn_ = d;
            worstOwnWhere_ = *phase_;
        }
        for (int ms : {50, 100, 250})
            if (gap > ms * 1000000LL) ++over_[ms];
    }
    const QString* phase_;
    QTimer timer_;
    QElapsedTimer clock_;
    int fd_ = -1;
    qint64 last_ = 0, worstNs_ = 0, worstOwnNs_ = 0;
    Sched lastSched_, worst_, worstOwn_;
    QString worstOwnWhere_;
    uint64_t ticks_ = 0;
    QString worstWhere_;
    std::map<int, uint64_t> over_;
};

struct Seen {
    uint64_t seq;
    Backend backend;
    QString model;
    bool matchesActive;      // backend and model are what the pipeline had confirmed on arrival
    uint64_t overlaySeq;     // what the overlay showed right after the result was delivered
    uint64_t framesArrived;  // frames that had arrived by then
};

struct Tally {
    uint64_t frames = 0, results = 0;
    double seconds = 0;
};

}  // namespace

class SoakTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("squeezenet1.1.onnx"));
        PERCEPT_REQUIRE_VULKAN();  // the soak switches between CPU and Vulkan
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("testsrc100.mp4");
        PERCEPT_MAKE_TEST_VIDEO(video_, kVideoFps, kVideoSeconds);
    }

    void soak() {
        const int cycles = std::max(kWarmupCycles + 1, qEnvironmentVariableIsSet("PERCEPT_SOAK_CYCLES") ? qEnvironmentVariableIntValue("PERCEPT_SOAK_CYCLES")
                                                                                          : kDefaultCycles);
        QElapsedTimer total;
        total.start();
        ui::MainWindow w;
        w.resize(960, 680);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        app::Pipeline* p = w.pipeline();

        std::vector<Seen> seen;
        seen.reserve(200000);  // the test's own bookkeeping stays out of the RSS comparison
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats& s) {
            const bool matches = r.backend == p->activeBackend() && r.modelKey == p->activeModelKey();
            seen.push_back({r.frameSeq, r.backend, r.modelKey, matches, w.overlay()->shownFrameSeq(), s.framesArrived});
        });
        QStringList errors;
        connect(p, &app::Pipeline::statusMessage, this, [&](const QString& m, bool isError) {
            if (isError) errors << m;
        });

        // Start as the app does (all CPU threads), on the CPU with MobileNet, and play.
        p->start({QString::fromUtf8(kMobileNet), Backend::Cpu, 0});
        QVERIFY(p->openVideo(video_));
        QTRY_VERIFY_WITH_TIMEOUT(seen.size() >= 3, 60000);

        QString phase = QStringLiteral("start");
        StallMeter stalls(&phase);
        stalls.start();

        std::map<Backend, Tally> perBackend;
        std::map<QString, Tally> perPair;
        // RSS sampled every 50 ms; per cycle, the lowest value seen while the last step ran
        // steadily (after its switch was confirmed): the level the process returns to between
        // transient peaks (frames and decoder buffers in flight), which a leak raises too.
        std::vector<size_t> rssAtCycleEnd, rssFloorAtCycleEnd;
        size_t rssFloor = SIZE_MAX;
        QTimer rssTimer;
        connect(&rssTimer, &QTimer::timeout, this, [&] { rssFloor = std::min(rssFloor, app::residentSetBytes().value_or(SIZE_MAX)); });
        rssTimer.start(50);
        double slowestSwitchMs = 0;
        QString slowestSwitch;
        Step current{Backend::Cpu, kMobileNet};
        auto confirmed = [&](const Step& s) { return p->activeBackend() == s.backend && p->activeModelKey() == QString::fromUtf8(s.model); };

        for (int c = 0; c < cycles; ++c) {
            for (size_t k = 0; k < std::size(kCycle); ++k) {
                const Step& s = kCycle[k];
                phase = QStringLiteral("cycle %1 step %2 (%3, %4)").arg(c).arg(k).arg(backendName(s.backend)).arg(s.model);
                const uint64_t frames0 = p->stats().framesArrived;
                QElapsedTimer t;
                t.start();
                // Ask as the user does: the model picker, then the CPU / GPU buttons.
                if (QString::fromUtf8(s.model) != QString::fromUtf8(current.model)) {
                    QComboBox* box = w.controls()->modelBox();
                    const int i = box->findData(QString::fromUtf8(s.model));
                    QVERIFY(i >= 0);
                    box->setCurrentIndex(i);
                    emit box->activated(i);
                }
                if (s.backend != current.backend)
                    (s.backend == Backend::Cpu ? w.controls()->cpuButton() : w.controls()->gpuButton())->click();
                current = s;
                QTRY_VERIFY2_WITH_TIMEOUT(confirmed(s), qPrintable("switch not confirmed: " + phase), 60000);
                const double switchMs = static_cast<double>(t.nsecsElapsed()) / 1e6;
                if (switchMs > slowestSwitchMs) {
                    slowestSwitchMs = switchMs;
                    slowestSwitch = phase;
                }
                // Run on this pair until a few hundred frames have arrived since the request.
                rssFloor = SIZE_MAX;
                const size_t results0 = seen.size();
                const uint64_t framesAtConfirm = p->stats().framesArrived;
                QElapsedTimer run;
                run.start();
                QTRY_VERIFY2_WITH_TIMEOUT(p->stats().framesArrived >= frames0 + kFramesPerStep,
                                          qPrintable("the video stopped delivering frames: " + phase), 30000);
                const double secs = static_cast<double>(run.nsecsElapsed()) / 1e9;
                uint64_t results = 0;
                for (size_t i = results0; i < seen.size(); ++i)
                    if (seen[i].backend == s.backend && seen[i].model == QString::fromUtf8(s.model)) ++results;
                QVERIFY2(results >= 5, qPrintable("too few results: " + phase));
                const uint64_t frames = p->stats().framesArrived - framesAtConfirm;
                for (Tally* tl : {&perBackend[s.backend], &perPair[QStringLiteral("%1 %2").arg(backendName(s.backend), s.model)]}) {
                    tl->frames += frames;
                    tl->results += results;
                    tl->seconds += secs;
                }
                if (c == 0 && k == 0) guitest::saveScreenshot(&w, "soak_cpu_mobilenet.png");
                if (c == 0 && k == 2) guitest::saveScreenshot(&w, "soak_vulkan_squeezenet.png");
            }
            const size_t rss = app::residentSetBytes().value_or(0);
            rssAtCycleEnd.push_back(rss);
            rssFloorAtCycleEnd.push_back(std::min(rss, rssFloor));
            qInfo("cycle %d done at %.1f s: RSS %.1f MiB (lowest in the last step %.1f), %zu results so far, longest UI stall so far %.1f ms",
                  c, total.elapsed() / 1000.0, mib(rss), mib(rssFloorAtCycleEnd.back()), seen.size(), stalls.worstMs());
        }
        phase = QStringLiteral("stopping");
        stalls.stop();
        guitest::saveScreenshot(&w, "soak_end.png");

        // Let the worker finish what it holds, then every frame must be accounted for.
        p->stopSource();
        auto settled = [&] {
            const PipelineStats now = p->stats();
            return now.framesArrived == now.framesDropped + now.framesTaken && now.framesTaken == now.resultsReceived;
        };
        QTRY_VERIFY_WITH_TIMEOUT(settled(), 10000);
        const PipelineStats st = p->stats();
        QCOMPARE(st.framesArrived, st.framesDropped + st.framesTaken);
        QCOMPARE(st.resultsReceived, st.framesTaken);       // every frame taken gave a result ...
        QCOMPARE(st.resultsShown, st.resultsReceived);      // ... which the window took ...
        QCOMPARE(uint64_t(seen.size()), st.resultsShown);   // ... and passed on to the overlay
        QCOMPARE(st.staleResults, uint64_t(0));
        QVERIFY2(errors.isEmpty(), qPrintable("error messages: " + errors.join(" | ")));

        uint64_t mismatched = 0;
        for (size_t i = 0; i < seen.size(); ++i) {
            if (i) QVERIFY2(seen[i].seq > seen[i - 1].seq, "results must come in frame order");
            QCOMPARE(seen[i].overlaySeq, seen[i].seq);  // the overlay shows the newest result
            QVERIFY(seen[i].seq <= seen[i].framesArrived);
            if (!seen[i].matchesActive) ++mismatched;
        }
        QCOMPARE(mismatched, uint64_t(0));  // no result from a backend or model already switched away from

        // Figures.
        rssTimer.stop();
        const double rssWarm = mib(rssFloorAtCycleEnd[kWarmupCycles - 1]), rssEnd = mib(rssFloorAtCycleEnd.back());
        QString series, floors;
        for (size_t r : rssAtCycleEnd) series += QStringLiteral(" %1").arg(mib(r), 0, 'f', 1);
        for (size_t r : rssFloorAtCycleEnd) floors += QStringLiteral(" %1").arg(mib(r), 0, 'f', 1);
        qInfo("SOAK frames: %llu arrived, %llu dropped by the mailbox, %llu taken by the worker, %llu results shown, 0 stale, 0 lost",
              static_cast<unsigned long long>(st.framesArrived), static_cast<unsigned long long>(st.framesDropped),
              static_cast<unsigned long long>(st.framesTaken), static_cast<unsigned long long>(st.resultsShown));
        for (const auto& [b, tl] : perBackend)
            qInfo("SOAK %-6s: %llu frames arrived, %llu results in %.1f s on it: %.1f frames/s arrived, %.1f results/s", backendName(b),
                  static_cast<unsigned long long>(tl.frames), static_cast<unsigned long long>(tl.results), tl.seconds, tl.frames / tl.seconds,
                  tl.results / tl.seconds);
        for (const auto& [name, tl] : perPair)
            qInfo("SOAK   %-29s %.1f results/s (%llu in %.1f s)", qPrintable(name), tl.results / tl.seconds,
                  static_cast<unsigned long long>(tl.results), tl.seconds);
        qInfo("SOAK switches: %d (every %llu frames), slowest %.0f ms until confirmed (%s)", cycles * int(std::size(kCycle)),
              static_cast<unsigned long long>(kFramesPerStep), slowestSwitchMs, qPrintable(slowestSwitch));
        qInfo("SOAK RSS at the end of each cycle (MiB):%s; lowest in each cycle's last step:%s", qPrintable(series), qPrintable(floors));
        qInfo("SOAK RSS after warm-up (%d cycles) %.1f MiB, at the end %.1f MiB, growth %+.1f MiB (limit %.0f)", kWarmupCycles, rssWarm,
              rssEnd, rssEnd - rssWarm, kRssGrowthLimitMiB);
        qInfo("SOAK UI thread: longest stall %.1f ms (%s: the UI thread ran %.1f ms, waited for a CPU %.1f ms, slept %.1f ms); "
              "longest not counting waits for a CPU %.1f ms (%s: ran %.1f ms of it)",
              stalls.worstMs(), qPrintable(stalls.worstWhere()), stalls.worstRanMs(), stalls.worstQueuedMs(), stalls.worstAsleepMs(),
              stalls.worstOwnMs(), qPrintable(stalls.worstOwnWhere()), stalls.worstOwnRanMs());
        qInfo("SOAK UI thread: %llu ticks of a 5 ms timer, gaps > 50 ms: %llu, > 100 ms: %llu, > 250 ms: %llu (limits: %.0f ms not "
              "counting waits for a CPU, %.0f ms in all)",
              static_cast<unsigned long long>(stalls.ticks()), static_cast<unsigned long long>(stalls.over(50)),
              static_cast<unsigned long long>(stalls.over(100)), static_cast<unsigned long long>(stalls.over(250)), kMaxStallMs, kMaxGapMs);
        qInfo("SOAK total %.1f s", total.elapsed() / 1000.0);

        QVERIFY2(rssEnd - rssWarm <= kRssGrowthLimitMiB, "RSS grew over the soak");
        QVERIFY2(stalls.worstOwnMs() < kMaxStallMs, "the UI thread was blocked (or kept busy)");
        QVERIFY2(stalls.worstMs() < kMaxGapMs, "the event loop stalled");
        for (const auto& [b, tl] : perBackend) QVERIFY2(tl.frames >= 1000, "a few thousand frames on each backend");
    }

private:
    QTemporaryDir dir_;
    QString video_;
};

QTEST_MAIN(SoakTest)
#include "tst_soak.moc"
