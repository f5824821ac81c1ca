// SPDX-License-Identifier: Apache-2.0
#pragma once
// Variants of a model: the same network stored other ways, found as files beside it (in any
// of the model search directories), named after its file NAME.onnx:
//   NAME.onnx           fp32 (the model itself)
//   NAME.int8.onnx      int8, QDQ ONNX (percept-quantize)
//   NAME.pcz, NAME.*.pcz  compressed weights (percept-compress; e.g. NAME.6bit.pcz)
// A variant file no manifest names takes its base model's manifest (preprocessing, labels).
#include <cstdint>
#include <string>
#include <vector>

#include "percept/models/manifest.h"

namespace percept::models {

enum class VariantKind { Fp32, Int8, Compressed };
const char* variantKindName(VariantKind k);  // "fp32", "int8", "compressed"

struct ModelVariant {
    VariantKind kind = VariantKind::Fp32;
    std::string path;
    uint64_t bytes = 0;  // file size on disk
};

// The kind a file name says (NAME.int8.onnx, NAME[.*].pcz, else fp32).
VariantKind variantKindOf(const std::string& path);

// The model file and its variants, fp32 first, then int8, then compressed (by name).
std::vector<ModelVariant> findVariants(const std::string& modelPath);

// The manifest whose model file a variant file belongs to (squeezenet1.1.int8.onnx ->
// squeezenet1.1's), or null when the file is no variant of a manifest's model.
const Manifest* manifestForVariant(const std::string& path);

}  // namespace percept::models
