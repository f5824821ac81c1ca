// SPDX-License-Identifier: Apache-2.0
// percept-tag-model: writes a model's preprocessing and labels into its own metadata_props
// (the keys of models/include/percept/models/conventions.h), so the file carries them wherever
// it goes and Percept (app or percept-classify) needs no manifest for it.
#include <cstdio>
#include <set>
#include <string>

#include "cli_args.h"
#include "model_file_edit.h"
#include "model_options.h"
#include "percept/percept.h"

using namespace percept;

namespace {

void usage() {
    std::printf(
        "usage: percept-tag-model --model M --out FILE.onnx [options]\n"
        "Writes the model's input preprocessing and labels into the file's metadata_props:\n"
        "from its manifest, else as resolved for an unknown file (its metadata, a calibration\n"
        "on reference photos), with the options below on top.\n"
        "%s"
        "  --no-labels        do not embed the labels\n"
        "  --help, -h         print this and exit\n",
        tools::kModelOptionsHelp);
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--out"};
    std::set<std::string> switches = {"--no-labels", "--help", "-h"};
    tools::addModelOptions(valued, switches);
    try {
        tools::Args a(argc, argv, valued, switches);
        if (const int rc = tools::answerHelpOrMissing(a, {"--model", "--out"}, usage); rc >= 0) return rc;
        models::ModelRef ref = models::resolveModel(a.get("--model"));
        const Model model = Model::load(ref.modelPath);
        const models::Conventions conv = tools::resolveModelConventions(a, ref, model);
        std::vector<std::string> labels;
        if (!a.has("--no-labels")) labels = tools::labelNames(conv);
        tools::writeWithMetadata(ref.modelPath, a.get("--out"), models::metadataFromConventions(conv, labels));
        std::printf("%s: %s%s\n", a.get("--out").c_str(), conv.note.c_str(), labels.empty() ? "" : (", " + std::to_string(labels.size()) + " labels embedded").c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-tag-model: %s\n", e.what());
        return 1;
    }
}
