// SPDX-License-Identifier: Apache-2.0
#include "cli_options.h"

#include <QCommandLineParser>
#include <cstdio>

#include "percept/error.h"

namespace percept::app {

std::optional<CliOptions> parseCommandLine(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Percept: live image recognition with Percept's own CNN engine.\n"
        "Shows a camera, photo, folder slideshow or video with the model's top-5, latency, memory and\n"
        "energy drawn over it. Without a source option it opens the default camera (or, when there is\n"
        "none, an empty window to drop photos, folders, videos or .onnx models on).\n\n"
        "Keys: G switches CPU/GPU, A picks Auto, C compares CPU and GPU, L shows the live charts,\n"
        "O toggles the overlay (or double-tap / pinch the picture), Ctrl+O opens, Ctrl+V pastes a picture.\n"
        "Example without a display:\n"
        "  QT_QPA_PLATFORM=offscreen percept --image photo.jpg --screenshot out.png --frames 1");
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption image("image", "Classify the photo FILE (PNG, JPEG, BMP, WebP, TIFF).", "FILE");
    const QCommandLineOption video("video", "Play the video FILE in a loop as the source.", "FILE");
    const QCommandLineOption camera("camera", "Use camera number N (0 = first) as the source.", "N");
    const QCommandLineOption folder("folder", "Show the photos in DIR as a slideshow.", "DIR");
    const QCommandLineOption model("model",
                                   "Model: a manifest name (mobilenet_v2_1.0_224, mobilenet_v1_0.5_160, "
                                   "mobilenet_v1_0.25_128, squeezenet1.1) or a path to an .onnx file. Default: the default manifest.",
                                   "NAME|PATH");
    const QCommandLineOption backend("backend",
                                     "Run on cpu (default) or vulkan; an unavailable backend is reported and the CPU used. "
                                     "auto: measure both on the model and keep the one with the lowest energy per inference that "
                                     "keeps up with the source (the lowest latency when plugged in).",
                                     "cpu|vulkan|auto", "cpu");
    const QCommandLineOption compare("compare",
                                     "Compare mode: run every frame on the CPU and on the GPU, show both results side by side and "
                                     "whether they agree.");
    const QCommandLineOption sceneSkip("scene-skip",
                                       "Reuse the last result while the scene is unchanged: the largest change of a 32x32 grey "
                                       "thumbnail's cells below LEVELS grey levels, e.g. 4 (0 = off; default: the setting, off until set).",
                                       "LEVELS");
    const QCommandLineOption threads("threads", "CPU threads for the engine (0 = all, the default).", "N", "0");
    const QCommandLineOption screenshot("screenshot",
                                        "Render --frames results, save the window to OUT.png, print the results shown "
                                        "(top-5, timings, memory, energy) and exit: 0 on success, 1 when no result came.",
                                        "OUT.png");
    const QCommandLineOption frames("frames", "With --screenshot: how many results to render first (default 1).", "N", "1");
    const QCommandLineOption timeout("timeout", "With --screenshot: give up after S seconds (default 120).", "S", "120");
    const QCommandLineOption size("size", "Window size WxH (default 1000x720).", "WxH", "1000x720");
    p.addOptions({image, video, camera, folder, model, backend, threads, screenshot, frames, timeout, size, compare, sceneSkip});
    p.addPositionalArgument("path", "A photo, folder, video or .onnx model to open (like dropping it on the window).", "[path]");

    auto fail = [&](const QString& why) -> std::optional<CliOptions> {
        std::fprintf(stderr, "percept: %s\nTry 'percept --help' for the options.\n", qPrintable(why));
        return std::nullopt;
    };
    if (!p.parse(arguments)) return fail(p.errorText());
    if (p.isSet("help")) p.showHelp(0);
    if (p.isSet("version")) p.showVersion();

    CliOptions o;
    int sources = 0;
    const std::pair<const QCommandLineOption*, CliOptions::Source> kinds[] = {
        {&image, CliOptions::Source::Image}, {&video, CliOptions::Source::Video},
        {&camera, CliOptions::Source::Camera}, {&folder, CliOptions::Source::Folder}};
    for (const auto& [opt, kind] : kinds) {
        if (!p.isSet(*opt)) continue;
        ++sources;
        o.source = kind;
        o.sourceArg = p.value(*opt);
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() > 1) return fail("only one positional path can be given");
    if (pos.size() == 1) {
        ++sources;
        o.source = CliOptions::Source::Path;
        o.sourceArg = pos.front();
    }
    if (sources > 1) return fail("give one source: --image, --video, --camera, --folder or a path");

    o.model = p.value(model);
    o.autoBackend = p.value(backend) == QLatin1String("auto");
    try {
        if (!o.autoBackend) o.backend = percept::parseBackend(p.value(backend).toStdString());
    } catch (const percept::Error& e) {
        return fail(QString::fromStdString(e.what()));
    }
    o.compare = p.isSet(compare);
    if (p.isSet(sceneSkip)) {
        bool okSkip = false;
        o.sceneSkip = p.value(sceneSkip).toDouble(&okSkip);
        if (!okSkip || o.sceneSkip < 0 || o.sceneSkip > 255) return fail("--scene-skip needs a number of grey levels, 0..255 (0 = off)");
    }
    bool ok = false;
    auto intOf = [&](const QCommandLineOption& opt, int lo, int hi, int& out) {
        const int v = p.value(opt).toInt(&ok);
        if (!ok || v < lo || v > hi) return false;
        out = v;
        return true;
    };
    if (!intOf(threads, 0, 1024, o.threads)) return fail("--threads needs a number 0..1024");
    if (!intOf(frames, 1, 1000000, o.frames)) return fail("--frames needs a positive number");
    if (!intOf(timeout, 1, 86400, o.timeoutS)) return fail("--timeout needs a number of seconds");
    if (o.source == CliOptions::Source::Camera) {
        int idx = 0;
        if (!intOf(camera, 0, 64, idx)) return fail("--camera needs a camera number (0 = first)");
    }
    const QStringList wh = p.value(size).split('x');
    if (wh.size() != 2 || wh[0].toInt() < 200 || wh[1].toInt() < 200) return fail("--size needs WxH, each at least 200");
    o.width = wh[0].toInt();
    o.height = wh[1].toInt();
    o.screenshot = p.value(screenshot);
    if (!o.screenshot.isEmpty() && !o.screenshot.endsWith(".png", Qt::CaseInsensitive))
        return fail("--screenshot needs a .png file name");
    if (p.isSet(frames) && o.screenshot.isEmpty()) return fail("--frames only applies with --screenshot");
    return o;
}

}  // namespace percept::app
