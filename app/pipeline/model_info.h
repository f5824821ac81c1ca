// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the worker knows about the loaded model, and what a user may set for a model that no
// manifest describes (an .onnx file dropped on the window): how its input is prepared and
// where its labels are.
#include <QMetaType>
#include <QString>

#include "percept/models/manifest.h"

namespace percept::app {

struct ModelSettings {
    percept::models::InputSpec input;  // size is always the model's own input side
    QString labelsPath;                // empty: class numbers are shown
    int labelOffset = 0;
};

struct ModelInfo {
    QString key;       // manifest name or file path
    QString name;      // display name
    QString details;   // "602 MFLOP, 224 px input; ..."
    // Where the preprocessing and labels came from: "input calibrated on reference photos: ±1,
    // RGB: 8 of 8 recognised; ImageNet labels (1001 outputs)" (models::Conventions::note).
    QString conventions;
    bool hasManifest = false;
    bool userSettings = false;  // ModelSettings given by the user are in force
    bool warm = false;          // a variant switched back to: loaded and its sessions kept warm
    ModelSettings settings;
};

}  // namespace percept::app

Q_DECLARE_METATYPE(percept::app::ModelInfo)
Q_DECLARE_METATYPE(percept::app::ModelSettings)
