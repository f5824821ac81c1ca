// SPDX-License-Identifier: Apache-2.0
// percept: the app. Parses the command line, opens the window and the chosen source, and in
// --screenshot mode hands over to ScreenshotRunner.
#include <QApplication>
#include <QCoreApplication>
#include <QMediaDevices>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli_options.h"
#include "control_bar.h"
#include "main_window.h"
#include "screenshot_runner.h"
#include "video_view.h"

using namespace percept;

namespace {
void setApplicationNames() {
    QCoreApplication::setApplicationName(QStringLiteral("percept"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PERCEPT_VERSION));
}

// --help and --version print and exit inside the parser. They are answered under a
// QCoreApplication, which loads no platform plugin: a QApplication would first connect to a
// display and abort without one (ssh sessions, build machines, packaging checks).
void answerHelpOrVersionWithoutDisplay(int argc, char** argv) {
    bool asked = false;
    for (int i = 1; i < argc; ++i)
        for (const char* flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"}) asked |= std::strcmp(argv[i], flag) == 0;
    if (!asked) return;
    QCoreApplication core(argc, argv);
    setApplicationNames();
    // Exits (0) on --help/--version; only an option error before them comes back here.
    if (!app::parseCommandLine(QCoreApplication::arguments())) std::exit(2);
}

// --screenshot on a machine without a display (no X11/Wayland): use Qt's offscreen platform rather
// than failing to connect to a display.
void preferOffscreenWhenHeadless(int argc, char** argv) {
    bool screenshot = false;
    for (int i = 1; i < argc; ++i) screenshot |= std::strcmp(argv[i], "--screenshot") == 0 || std::strncmp(argv[i], "--screenshot=", 13) == 0;
    if (screenshot && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
}
}  // namespace

int main(int argc, char** argv) {
    answerHelpOrVersionWithoutDisplay(argc, argv);
    preferOffscreenWhenHeadless(argc, argv);
    QApplication app(argc, argv);
    setApplicationNames();
    QApplication::setApplicationDisplayName(QStringLiteral("Percept"));
    QApplication::setDesktopFileName(QStringLiteral("io.percept.Percept"));  // resources/io.percept.Percept.desktop

    const auto opts = app::parseCommandLine(QApplication::arguments());
    if (!opts) return 2;

    ui::MainWindow window;
    window.resize(opts->width, opts->height);
    if (opts->threads > 0) window.controls()->setThreads(opts->threads);
    window.show();

    app::Pipeline* pipeline = window.pipeline();
    pipeline->start({opts->model, opts->backend, opts->threads, opts->compare, opts->autoBackend, opts->sceneSkip});

    app::ScreenshotRunner* runner = nullptr;
    if (!opts->screenshot.isEmpty()) runner = new app::ScreenshotRunner(&window, opts->screenshot, opts->frames, opts->timeoutS, &app);

    using Source = app::CliOptions::Source;
    bool opened = true;
    switch (opts->source) {
        case Source::Image: opened = pipeline->openImageFile(opts->sourceArg); break;
        case Source::Video: opened = pipeline->openVideo(opts->sourceArg); break;
        case Source::Folder: opened = pipeline->openFolder(opts->sourceArg); break;
        case Source::Path: opened = pipeline->openPath(opts->sourceArg); break;
        case Source::Camera: {
            const auto cams = QMediaDevices::videoInputs();
            const int idx = opts->sourceArg.toInt();
            if (idx < cams.size()) opened = pipeline->openCamera(cams[idx]);
            else opened = pipeline->openDefaultCamera();
            break;
        }
        case Source::Default: opened = pipeline->openDefaultCamera(); break;
    }
    if (!opened && opts->source != Source::Default && opts->source != Source::Camera) {
        window.videoView()->showEmptyState(window.statusText() +
                                           QStringLiteral("\n\nDrop a photo, a folder of photos or a video here, or use File \u25b8 Open."));
        std::fprintf(stderr, "percept: %s\n", qPrintable(window.statusText()));
        if (runner) runner->failSoon(window.statusText());
    }
    return app.exec();
}
