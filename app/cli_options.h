// SPDX-License-Identifier: Apache-2.0
#pragma once
// The percept command line.
#include <QString>
#include <QStringList>
#include <optional>

#include "percept/backend.h"

namespace percept::app {

struct CliOptions {
    enum class Source { Default, Image, Video, Folder, Camera, Path };
    Source source = Source::Default;
    QString sourceArg;  // file, folder or camera index
    QString model;      // empty = default manifest
    percept::Backend backend = percept::Backend::Cpu;
    int threads = 0;    // 0 = all
    QString screenshot;
    int frames = 1;
    int timeoutS = 120;
    int width = 1000, height = 720;
    // ---- compare mode, Auto backend, scene skip ----
    bool compare = false;       // --compare: every frame on the CPU and the GPU
    bool autoBackend = false;   // --backend auto
    double sceneSkip = -1;      // --scene-skip LEVELS (0 = off); < 0: the setting
};

// Parses argv (QCoreApplication must exist). --help/--version print and exit(0); a bad option
// prints the reason and usage to stderr and returns nullopt (exit code 2).
std::optional<CliOptions> parseCommandLine(const QStringList& arguments);

}  // namespace percept::app
