// SPDX-License-Identifier: Apache-2.0
// The pipeline's parts without a window: the RAPL reader against a fixture laid out like
// /sys/class/powercap, NVML absent, the energy monitor's estimate and measured paths, RSS from
// statm, rolling median, rate meter, the latest-frame mailbox, the command line.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <thread>

#include "cli_options.h"
#include "metrics/energy_monitor.h"
#include "metrics/nvml_reader.h"
#include "metrics/process_memory.h"
#include "metrics/rate_meter.h"
#include "metrics/rapl_reader.h"
#include "metrics/rolling_median.h"
#include "pipeline/image_convert.h"
#include "pipeline/latest_frame_mailbox.h"
#include "pipeline/auto_backend.h"
#include "pipeline/scene_change.h"
#include <opencv2/imgproc.hpp>

using namespace percept::app;

namespace {
void writeFile(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}
// A powercap tree: two packages with core/dram sub-zones, plus an unrelated psys zone and an
// intel-rapl-mmio zone that must be ignored.
void makeRaplFixture(const QString& root, quint64 pkg0, quint64 pkg1) {
    writeFile(root + "/intel-rapl:0/name", "package-0\n");
    writeFile(root + "/intel-rapl:0/energy_uj", QByteArray::number(pkg0) + "\n");
    writeFile(root + "/intel-rapl:0/max_energy_range_uj", "262143328850\n");
    writeFile(root + "/intel-rapl:0/intel-rapl:0:0/name", "core\n");
    writeFile(root + "/intel-rapl:0/intel-rapl:0:0/energy_uj", "5\n");
    writeFile(root + "/intel-rapl:0:0/name", "core\n");  // sysfs also lists sub-zones at the top
    writeFile(root + "/intel-rapl:0:0/energy_uj", "999999\n");
    writeFile(root + "/intel-rapl:1/name", "package-1\n");
    writeFile(root + "/intel-rapl:1/energy_uj", QByteArray::number(pkg1) + "\n");
    writeFile(root + "/intel-rapl:1/max_energy_range_uj", "262143328850\n");
    writeFile(root + "/intel-rapl:2/name", "psys\n");
    writeFile(root + "/intel-rapl:2/energy_uj", "123\n");
    writeFile(root + "/intel-rapl-mmio:0/name", "package-0\n");
    writeFile(root + "/intel-rapl-mmio:0/energy_uj", "777\n");
}
}  // namespace

class MetricsTest : public QObject {
    Q_OBJECT
private slots:
    void raplReadsPackagesAndHandlesWrap() {
        QTemporaryDir d;
        const QString root = d.path() + "/powercap";
        makeRaplFixture(root, 1000000, 2000000);
        std::string why;
        auto r = RaplReader::open(root.toStdString(), &why);
        QVERIFY2(r, why.c_str());
        QCOMPARE(r->zoneNames().size(), size_t(2));
        QCOMPARE(QString::fromStdString(r->source()), QStringLiteral("RAPL package-0+package-1"));
        QCOMPARE(*r->readJoules(), 0.0);  // energy since open
        writeFile(root + "/intel-rapl:0/energy_uj", "1500000\n");
        writeFile(root + "/intel-rapl:1/energy_uj", "2250000\n");
        QCOMPARE(*r->readJoules(), 0.75);
        // package-0 wraps: 262143328850 -> 100 means (262143328850 - 1500000) + 100 µJ more.
        writeFile(root + "/intel-rapl:0/energy_uj", "100\n");
        const double expected = 0.75 + (262143328850.0 - 1500000.0 + 100.0) * 1e-6;
        QVERIFY(qAbs(*r->readJoules() - expected) < 1e-6);
    }

    void raplFallsBackToPsysAndExplainsAbsence() {
        QTemporaryDir d;
        const QString root = d.path() + "/pc";
        writeFile(root + "/intel-rapl:0/name", "psys\n");
        writeFile(root + "/intel-rapl:0/energy_uj", "42\n");
        std::string why;
        auto r = RaplReader::open(root.toStdString(), &why);
        QVERIFY(r);
        QCOMPARE(QString::fromStdString(r->source()), QStringLiteral("RAPL psys"));

        QVERIFY(!RaplReader::open((d.path() + "/missing").toStdString(), &why));
        QVERIFY(QString::fromStdString(why).contains("no powercap"));

        const QString noZones = d.path() + "/empty";
        QDir().mkpath(noZones);
        QVERIFY(!RaplReader::open(noZones.toStdString(), &why));
        QVERIFY(QString::fromStdString(why).contains("no RAPL package zone"));

        const QString unreadable = d.path() + "/unreadable";
        writeFile(unreadable + "/intel-rapl:0/name", "package-0\n");
        writeFile(unreadable + "/intel-rapl:0/energy_uj", "");  // as if the read failed
        QVERIFY(!RaplReader::open(unreadable.toStdString(), &why));
        QVERIFY(QString::fromStdString(why).contains("not readable"));
    }

    // ---- RAPL's core domain, the scene-change measure, Auto's rule ----
    void raplCoreDomainSumsPackagesAndHandlesWrap() {
        QTemporaryDir d;
        const QString root = d.path() + "/powercap";
        makeRaplFixture(root, 1000000, 2000000);  // its intel-rapl:0:0 "core" reads 999999
        writeFile(root + "/intel-rapl:0:0/max_energy_range_uj", "1000000\n");
        writeFile(root + "/intel-rapl:0:1/name", "uncore\n");  // another sub-zone: not a core
        writeFile(root + "/intel-rapl:0:1/energy_uj", "5\n");
        writeFile(root + "/intel-rapl:1:0/name", "core\n");
        writeFile(root + "/intel-rapl:1:0/energy_uj", "10\n");
        writeFile(root + "/intel-rapl:1:0/max_energy_range_uj", "262143328850\n");
        std::string why;
        auto core = RaplReader::open(root.toStdString(), &why, RaplDomain::Core);
        QVERIFY2(core, why.c_str());
        QCOMPARE(QString::fromStdString(core->source()), QStringLiteral("RAPL core-0+core-1"));
        QCOMPARE(*core->readJoules(), 0.0);
        writeFile(root + "/intel-rapl:1:0/energy_uj", "250010\n");
        QVERIFY(qAbs(*core->readJoules() - 0.25) < 1e-9);
        // core-0 wraps at its 1 J range: 999999 -> 1 µJ is 2 µJ more.
        writeFile(root + "/intel-rapl:0:0/energy_uj", "1\n");
        QVERIFY(qAbs(*core->readJoules() - (0.25 + 2e-6)) < 1e-12);
        // The package reader ignores every sub-zone.
        auto pkg = RaplReader::open(root.toStdString(), &why);
        QCOMPARE(QString::fromStdString(pkg->source()), QStringLiteral("RAPL package-0+package-1"));
        // No core zone: said so.
        const QString noCore = d.path() + "/nocore";
        writeFile(noCore + "/intel-rapl:0/name", "package-0\n");
        writeFile(noCore + "/intel-rapl:0/energy_uj", "1\n");
        QVERIFY(!RaplReader::open(noCore.toStdString(), &why, RaplDomain::Core));
        QVERIFY(QString::fromStdString(why).contains("no RAPL core zone"));
    }

    void energyMonitorReadsTheCoreDomainBesideThePackage() {
        QTemporaryDir d;
        const QString root = d.path() + "/powercap";
        makeRaplFixture(root, 0, 0);
        writeFile(root + "/intel-rapl:0:0/energy_uj", "0\n");
        EnergyMonitor::Options o;
        o.powercapRoot = root.toStdString();
        o.nvmlLibrary = "libpercept-no-such-nvml.so.1";
        EnergyMonitor m(o);
        m.configure(EnergyDomain::Cpu, "CPU (2 threads)");
        quint64 pkg = 0, core = 0;
        for (int i = 0; i < 3; ++i) {
            m.begin();
            writeFile(root + "/intel-rapl:0/energy_uj", QByteArray::number(pkg += 40000) + "\n");     // 40 mJ
            writeFile(root + "/intel-rapl:0:0/energy_uj", QByteArray::number(core += 25000) + "\n");  // of which 25 mJ cores
            m.end(0, 0);
        }
        const EnergyFigure f = m.figure();
        QVERIFY(f.measured && f.coreValid);
        QVERIFY(qAbs(f.joulesPerInference - 0.040) < 1e-9);
        QVERIFY(qAbs(f.coreJoulesPerInference - 0.025) < 1e-9);
    }

    void sceneChangeSeesMotionNotNoise() {
        cv::Mat a(240, 320, CV_8UC4, cv::Scalar(90, 120, 150, 255));
        cv::randu(a, cv::Scalar(60, 60, 60, 255), cv::Scalar(200, 200, 200, 255));
        cv::Mat noisy = a.clone();  // sensor noise: ±3 on every pixel
        cv::Mat noise(a.size(), CV_8UC4);
        cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(7));
        cv::add(noisy, noise, noisy);
        cv::subtract(noisy, cv::Scalar(3, 3, 3, 0), noisy);
        const cv::Mat ta = SceneChange::thumbnail(a);
        QCOMPARE(SceneChange::difference(ta, SceneChange::thumbnail(a.clone())), 0.0);
        const double noiseDiff = SceneChange::difference(ta, SceneChange::thumbnail(noisy));
        QVERIFY2(noiseDiff < 1.0, qPrintable(QString::number(noiseDiff)));
        cv::Mat moved = a.clone();  // a small object (20x20 px, 0.5 % of the frame) enters
        cv::rectangle(moved, cv::Rect(150, 100, 20, 20), cv::Scalar(0, 0, 255, 255), cv::FILLED);
        const double motion = SceneChange::difference(ta, SceneChange::thumbnail(moved));
        QVERIFY2(motion > 3 * SceneChange::kDefaultThreshold, qPrintable(QString::number(motion)));
        SceneChange sc;
        QVERIFY(!sc.enabled());  // off until asked for
        sc.setThreshold(SceneChange::kDefaultThreshold);
        QVERIFY(sc.enabled());
        sc.setReference(ta);
        QVERIFY(sc.unchanged(sc.differenceFromReference(SceneChange::thumbnail(noisy))));
        QVERIFY(!sc.unchanged(sc.differenceFromReference(SceneChange::thumbnail(moved))));
        sc.setThreshold(0);
        QVERIFY(!sc.enabled() && !sc.hasReference());
        QVERIFY(!sc.unchanged(0.0));
    }

    void autoBackendRule() {
        using percept::Backend;
        std::array<BackendMeasurement, 2> m;
        m[0] = {true, {}, 20.0, 0.050, false, 5};  // CPU: 20 ms, 50 mJ
        m[1] = {true, {}, 8.0, 0.080, false, 5};   // GPU: 8 ms, 80 mJ
        // Plugged in: latency.
        AutoDecision d = decideBackend(m, 30, PowerState::Ac);
        QCOMPARE(d.backend, Backend::Vulkan);
        QVERIFY(d.reason.contains("plugged in") && d.reason.contains("8.0 vs 20"));
        // On battery (and with the power state unknown): energy, both keep up with 30 fps.
        d = decideBackend(m, 30, PowerState::Battery);
        QCOMPARE(d.backend, Backend::Cpu);
        QVERIFY2(d.reason.contains("on battery") && d.reason.contains("50.0 vs 80.0 mJ") && d.reason.contains("both keep up"), qPrintable(d.reason));
        QCOMPARE(decideBackend(m, 30, PowerState::Unknown).backend, Backend::Cpu);
        // At 60 fps (16.7 ms a frame) the CPU no longer keeps up: the GPU, whatever its energy.
        d = decideBackend(m, 60, PowerState::Battery);
        QCOMPARE(d.backend, Backend::Vulkan);
        QVERIFY(d.reason.contains("only GPU (Vulkan) keeps up"));
        // Neither keeps up at 200 fps: the faster.
        d = decideBackend(m, 200, PowerState::Unknown);
        QCOMPARE(d.backend, Backend::Vulkan);
        QVERIFY(d.reason.contains("neither keeps up"));
        // A still picture: anything keeps up, so energy decides.
        QCOMPARE(decideBackend(m, 0, PowerState::Unknown).backend, Backend::Cpu);
        // Only one backend.
        m[1].available = false;
        m[1].unavailableWhy = "no Vulkan driver";
        d = decideBackend(m, 30, PowerState::Ac);
        QCOMPARE(d.backend, Backend::Cpu);
        QVERIFY(d.reason.contains("only backend") && d.reason.contains("no Vulkan driver"));

        // The probe: the first run of each backend is left out, kProbeFrames after it decide.
        AutoBackend a;
        a.setEnabled(true);
        QVERIFY(a.probing());
        for (int i = 0; i <= AutoBackend::kProbeFrames; ++i) {
            QVERIFY(!a.readyToDecide({true, true}));
            a.addSample(Backend::Cpu, i == 0 ? 500.0 : 10.0);  // a cold first run
            a.addSample(Backend::Vulkan, 5.0);
        }
        QVERIFY(a.readyToDecide({true, true}));
        QCOMPARE(a.medianMs(Backend::Cpu), 10.0);
        a.decide({BackendMeasurement{true, {}, a.medianMs(Backend::Cpu), 0.01, true, 5},
                  BackendMeasurement{true, {}, a.medianMs(Backend::Vulkan), 0.02, true, 5}},
                 0, PowerState::Battery);
        QVERIFY(!a.probing());
        QVERIFY(a.note().startsWith(QStringLiteral("Auto \u2192 CPU: on battery: lowest energy")));
        a.restart("now plugged in");
        QVERIFY(a.probing() && a.note().contains("now plugged in"));
    }

    void nvmlAbsentIsReportedNotFatal() {
        std::string why;
        auto n = NvmlReader::open({}, &why, "libpercept-no-such-nvml.so.1");
        QVERIFY(!n);
        QVERIFY(QString::fromStdString(why).contains("no libpercept-no-such-nvml.so.1"));
    }

    void energyMonitorMeasuresWithRapl() {
        QTemporaryDir d;
        const QString root = d.path() + "/powercap";
        makeRaplFixture(root, 0, 0);
        EnergyMonitor::Options o;
        o.powercapRoot = root.toStdString();
        o.nvmlLibrary = "libpercept-no-such-nvml.so.1";
        EnergyMonitor m(o);
        m.configure(EnergyDomain::Cpu, "CPU (2 threads)");
        quint64 e0 = 0;
        for (int i = 1; i <= 4; ++i) {
            m.begin();
            e0 += 30000;  // 30 mJ per inference on package-0
            writeFile(root + "/intel-rapl:0/energy_uj", QByteArray::number(e0) + "\n");
            m.end(0, 0);
            writeFile(root + "/intel-rapl:0/energy_uj", QByteArray::number(e0 += 1000) + "\n");  // idle between frames: not counted
        }
        const EnergyFigure f = m.figure();
        QVERIFY(f.valid);
        QVERIFY(f.measured);
        QCOMPARE(QString::fromStdString(f.source), QStringLiteral("RAPL package-0+package-1"));
        QVERIFY(qAbs(f.joulesPerInference - 0.030) < 1e-9);
    }

    void energyMonitorEstimatesWithoutCounters() {
        EnergyMonitor::Options o;
        o.powercapRoot = "/nonexistent/powercap";
        o.nvmlLibrary = "libpercept-no-such-nvml.so.1";
        o.model.cpuWattsPerCore = 4.0;
        EnergyMonitor m(o);
        m.configure(EnergyDomain::Cpu, "CPU (1 threads)");
        m.begin();
        volatile double x = 0;
        for (int i = 0; i < 20000000; ++i) x = x + i * 1e-9;  // burn ~10 ms of CPU
        m.end(0, 0);
        EnergyFigure f = m.figure();
        QVERIFY(f.valid);
        QVERIFY(!f.measured);
        QCOMPARE(QString::fromStdString(f.source), QStringLiteral("CPU time \u00d7 4 W/core"));
        QVERIFY(f.joulesPerInference > 0.0 && f.joulesPerInference < 10.0);
        QVERIFY(QString::fromStdString(f.note).contains("no /nonexistent/powercap"));

        // A hardware GPU without NVML: FLOPs and bytes times the coefficients.
        m.configure(EnergyDomain::Gpu, "AMD Radeon RX 7600");
        m.begin();
        m.end(1000000000, 10000000);  // 1 GFLOP, 10 MB
        f = m.figure();
        QVERIFY(!f.measured);
        QVERIFY(qAbs(f.joulesPerInference - (1e9 * 20e-12 + 1e7 * 100e-12)) < 1e-12);
        QVERIFY(QString::fromStdString(f.source).contains("pJ"));

        // lavapipe runs on the CPU: metered like the CPU.
        m.configure(EnergyDomain::Gpu, "llvmpipe (LLVM 15.0.6, 256 bits)");
        m.begin();
        m.end(1000000000, 10000000);
        f = m.figure();
        QVERIFY(QString::fromStdString(f.source).startsWith("CPU time"));
    }

    void rssFromStatm() {
        QCOMPARE(*parseStatmResidentBytes("12345 678 90 1 0 2 0\n", 4096), size_t(678) * 4096);
        QVERIFY(!parseStatmResidentBytes("garbage", 4096));
        const auto rss = residentSetBytes();
        QVERIFY(rss && *rss > 1024 * 1024);
        QVERIFY(!residentSetBytes("/nonexistent/statm"));
    }

    void rollingMedianAndRate() {
        RollingMedian m(5);
        QCOMPARE(m.median(), 0.0);
        for (double v : {10.0, 1.0, 3.0}) m.add(v);
        QCOMPARE(m.median(), 3.0);
        m.add(2.0);
        QCOMPARE(m.median(), 2.5);
        for (double v : {100.0, 100.0, 100.0, 100.0}) m.add(v);  // window of 5 forgets the old ones
        QCOMPARE(m.median(), 100.0);
        QCOMPARE(m.count(), size_t(5));

        RateMeter r(std::chrono::milliseconds(1000));
        const auto t0 = RateMeter::Clock::now();
        for (int i = 0; i < 11; ++i) r.tick(t0 + std::chrono::milliseconds(50 * i));
        QVERIFY(qAbs(r.perSecond(t0 + std::chrono::milliseconds(500)) - 20.0) < 1e-9);
        QCOMPARE(r.perSecond(t0 + std::chrono::milliseconds(5000)), 0.0);
    }

    void mailboxKeepsOnlyTheNewestFrame() {
        LatestFrameMailbox mb;
        Frame a, b, c;
        a.seq = 1;
        b.seq = 2;
        c.seq = 3;
        QVERIFY(mb.put(a).wake);
        const auto r = mb.put(b);
        QVERIFY(!r.wake);    // a wake-up is already pending
        QVERIFY(r.dropped);  // frame 1 was never taken
        auto f = mb.take();
        QVERIFY(f && f->seq == 2);
        QVERIFY(!mb.take());
        QVERIFY(mb.put(c).wake);  // taken since: wake again
        QCOMPARE(mb.droppedCount(), uint64_t(1));
        QCOMPARE(mb.takenCount(), uint64_t(1));

        // A frame taken but not run yet (no model) goes back unless a newer one is waiting;
        // every frame put ends up counted once: taken, dropped or waiting.
        auto t3 = mb.take();
        QVERIFY(t3 && t3->seq == 3);
        QVERIFY(mb.restore(*t3).wake);
        QCOMPARE(mb.takenCount(), uint64_t(1));
        QVERIFY(mb.take()->seq == 3);
        Frame d;
        d.seq = 4;
        mb.put(d);
        const auto back = mb.restore(*t3);  // frame 4 is newer: frame 3 is dropped
        QVERIFY(back.dropped && !back.wake);
        QCOMPARE(mb.take()->seq, uint64_t(4));
        QCOMPARE(mb.takenCount() + mb.droppedCount(), uint64_t(4));
        mb.dropTaken();  // the worker discards frame 4 for a newer one
        QCOMPARE(mb.takenCount(), uint64_t(1));
        QCOMPARE(mb.droppedCount(), uint64_t(3));

        // Producer faster than consumer: the consumer only ever sees increasing sequence numbers.
        LatestFrameMailbox m2;
        std::atomic<bool> done{false};
        std::thread producer([&] {
            for (uint64_t s = 1; s <= 20000; ++s) {
                Frame f;
                f.seq = s;
                m2.put(f);
            }
            done = true;
        });
        uint64_t last = 0, taken = 0;
        while (!done || m2.hasFrame()) {
            if (auto f = m2.take()) {
                QVERIFY(f->seq > last);
                last = f->seq;
                ++taken;
            }
        }
        producer.join();
        QCOMPARE(last, uint64_t(20000));
        QCOMPARE(taken + m2.droppedCount(), uint64_t(20000));
        QCOMPARE(m2.takenCount(), taken);
    }

    void imageConversionKeepsChannelOrder() {
        QImage rgb(2, 1, QImage::Format_RGB888);
        rgb.setPixel(0, 0, qRgb(255, 0, 0));
        rgb.setPixel(1, 0, qRgb(0, 0, 255));
        QImage storage;
        const cv::Mat m = matView(rgb, storage);
        QCOMPARE(m.channels(), 4);  // converted to RGB32: B,G,R,A bytes
        QCOMPARE(int(m.at<cv::Vec4b>(0, 0)[2]), 255);  // red in the R slot of BGRA
        QCOMPARE(int(m.at<cv::Vec4b>(0, 1)[0]), 255);  // blue in the B slot
        cv::Mat bgr(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));
        const QImage q = qimageFromMat(bgr);
        QCOMPARE(q.pixel(0, 0), qRgb(30, 20, 10));
    }

    void commandLine() {
        auto o = parseCommandLine({"percept", "--image", "a.png", "--model", "squeezenet1.1", "--backend", "vulkan", "--threads", "2",
                                   "--screenshot", "out.png", "--frames", "3"});
        QVERIFY(o);
        QCOMPARE(int(o->source), int(CliOptions::Source::Image));
        QCOMPARE(o->sourceArg, QStringLiteral("a.png"));
        QCOMPARE(o->model, QStringLiteral("squeezenet1.1"));
        QCOMPARE(int(o->backend), int(percept::Backend::Vulkan));
        QCOMPARE(o->threads, 2);
        QCOMPARE(o->frames, 3);
        QVERIFY(!parseCommandLine({"percept", "--image", "a.png", "--video", "b.mp4"}));  // two sources
        QVERIFY(!parseCommandLine({"percept", "--backend", "tpu"}));
        QVERIFY(!parseCommandLine({"percept", "--threads", "-1"}));
        QVERIFY(!parseCommandLine({"percept", "--frames", "2"}));  // without --screenshot
        QVERIFY(!parseCommandLine({"percept", "--screenshot", "out.jpg"}));
        QVERIFY(!parseCommandLine({"percept", "--bogus"}));
        auto d = parseCommandLine({"percept"});
        QVERIFY(d && d->source == CliOptions::Source::Default);
        QVERIFY(!d->compare && !d->autoBackend && d->sceneSkip < 0);

        auto c = parseCommandLine({"percept", "--compare", "--backend", "auto", "--scene-skip", "2.5"});
        QVERIFY(c && c->compare && c->autoBackend);
        QCOMPARE(c->sceneSkip, 2.5);
        QVERIFY(!parseCommandLine({"percept", "--scene-skip", "-1"}));
        QVERIFY(!parseCommandLine({"percept", "--scene-skip", "x"}));
    }
};

QTEST_GUILESS_MAIN(MetricsTest)
#include "tst_metrics.moc"
