// SPDX-License-Identifier: Apache-2.0
#pragma once
// How a classifier's input is prepared and its outputs named, and where that knowledge came
// from: a manifest, the model file's own metadata, a calibration on reference photos, the
// user (Model > Input and Labels), or nothing (ImageNet conventions assumed, and said so).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "percept/models/classification.h"
#include "percept/models/manifest.h"
#include "percept/tensor.h"

namespace percept::models {

enum class ConventionSource { Manifest, Metadata, Calibrated, Assumed, User };

struct Conventions {
    InputSpec input;
    int labelOffset = 0;
    std::string labelsPath;           // a labels file, or
    std::vector<std::string> labels;  // labels from the model's metadata
    ConventionSource source = ConventionSource::Assumed;
    std::string note;                 // one line for the status bar
};

// ---- Metadata (ONNX metadata_props) ------------------------------------------------------
// Keys Percept reads (and percept-tag-model writes):
//   percept.input.normalization  mean_std | minus_one_one | zero_one | zero_255
//   percept.input.mean           three numbers on the 0..255 scale, model channel order ("123.675,116.28,103.53")
//   percept.input.std            three numbers, same scale and order
//   percept.input.channels       RGB | BGR
//   percept.input.resize_shorter the shorter side before the centre crop (default side / 0.875)
//   percept.labels               the class names, one per line (output index = line + label_offset)
//   percept.label_offset         outputs before the first label (1 for "background" first)
// A taught model (percept-teach, the app's Teach panel: percept/train.h) also carries
//   percept.teach.classes        the taught classes, one per line (the last labels)
//   percept.teach.mode           "head, extended", "finetune, replaced" ...
//   percept.teach.cut            the base model's value the taught layers start from
// and Windows ML's image keys, which some exporters write:
//   Image.BitmapPixelFormat      Rgb8 | Bgr8
//   Image.NominalPixelRange      NominalRange_0_255 | Normalized_0_1 | Normalized_1_1
// Returns nullopt when the metadata says nothing about the input; throws percept::Error naming
// the key for a value that does not parse.
std::optional<Conventions> conventionsFromMetadata(const std::map<std::string, std::string>& metadata, int inputSide);
// The metadata_props entries for these conventions (percept.* keys; labels when given).
std::map<std::string, std::string> metadataFromConventions(const Conventions& c, const std::vector<std::string>& labels);

// ---- Calibration --------------------------------------------------------------------------
// A named input convention (normalisation and channel order) to try.
struct InputConvention {
    std::string name;  // "ImageNet mean/std, RGB"
    InputSpec spec;    // size/resizeShorter filled in by the caller's side
    // How common the convention is among models with 1000 / 1001 outputs (calibration.cpp).
    double prior1000 = 0.0, prior1001 = 0.0;
};
// The common conventions, most likely first: ImageNet mean/std, Caffe mean subtraction, ±1,
// 0..1 and 0..255, each in RGB and BGR order.
std::vector<InputConvention> commonInputConventions(int inputSide);

struct CalibrationResult {
    bool confident = false;      // the best convention recognised most reference photos
    InputConvention best;
    int recognised = 0, photos = 0;
    int labelOffset = 0;         // 1 for 1001 outputs ("background" first)
    std::string summary;         // "±1 (x/127.5 − 1), RGB (8/8 reference photos recognised)"
};

// Runs the reference photos (resources/calibration, compiled in) through `run` (one
// preprocessed [1,3,S,S] tensor in, the model's class scores out) under every common convention
// and keeps the one with the highest posterior: the log-likelihood of the photos' classes plus
// the convention's log-prior for models with this many outputs. `outputs` is the number of classes (1000 or 1001: ImageNet; any
// other count cannot be calibrated and gives confident = false). `kind` says whether the outputs
// are already probabilities.
CalibrationResult calibrateInput(const std::function<Tensor(const Tensor&)>& run, int inputSide, int64_t outputs,
                                 OutputKind kind);

// ---- Deciding -----------------------------------------------------------------------------
struct ModelRef;
// The conventions of a loaded model, in this order: the manifest naming its file; the
// model's metadata; a calibration through `run` (skipped when null); otherwise ImageNet's
// (mean/std, RGB), said so in the note. ImageNet labels are added for 1000/1001 outputs when
// nothing else names the classes. Throws percept::Error when the manifest's input size differs
// from the model's or the metadata does not parse.
Conventions resolveConventions(const ModelRef& ref, const Model& model, const std::function<Tensor(const Tensor&)>& run);
// The labels the conventions name (empty when none).
Labels loadLabels(const Conventions& c);

}  // namespace percept::models
