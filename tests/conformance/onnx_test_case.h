// SPDX-License-Identifier: Apache-2.0
#pragma once
// One test of ONNX's backend conformance data, as ONNX lays it out on disk:
// <folder>/<test>/model.onnx and test_data_set_*/{input,output}_N.pb (serialized TensorProtos),
// and the model rewritten for one run mode. Nothing here calls the engine.
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string>
#include <vector>

namespace percept::conformance {

// How a test's graph inputs reach the engine.
enum class Mode {
    Inputs,  // the model as it is: every graph input fed at run time
    Const,   // every graph input but the first made an initializer holding its test data, as
             // a model file would carry weights, indices, axes and shapes
};
const char* modeName(Mode m);

struct TestCase {
    std::string folder;  // "node", "pytorch-converted", ...
    std::string name;    // "test_abs"
    std::filesystem::path dir;
    int inputCount = 0;  // input_N.pb files of the first data set
    std::string id() const { return folder + "/" + name; }
};

// The tests of one folder, sorted by name (directories holding a model.onnx).
std::vector<TestCase> listTests(const std::filesystem::path& dataRoot, const std::string& folder);

struct DataSet {
    std::string name;                        // "test_data_set_0"
    std::vector<onnx::TensorProto> inputs;   // input_0.pb ... in order
    std::vector<onnx::TensorProto> outputs;  // output_0.pb ...
};

// A test read from disk. Inputs and outputs that are not tensors (sequences, optionals) are
// left empty in the data sets and flagged in inputKinds/outputKinds.
struct LoadedTest {
    onnx::ModelProto model;
    std::vector<const onnx::ValueInfoProto*> graphInputs;  // non-initializer inputs, in order
    std::vector<std::string> inputKinds, outputKinds;      // "tensor", "sequence", "optional", ...
    std::vector<DataSet> dataSets;
    std::vector<std::string> opTypes;                      // distinct, in graph order
};

// Throws std::runtime_error when a file is missing or does not parse.
LoadedTest loadTest(const TestCase& tc);

// The model bytes for one data set in one mode: fed inputs' declared shapes set to the data's
// actual shape (the importer would make unknown dims 1), and in Const mode every input but
// the first an initializer holding its data.
std::string modelForRun(const LoadedTest& t, const DataSet& ds, Mode mode);

// Whether graph input k is fed at run time in this mode.
inline bool isFed(Mode mode, size_t k) { return mode == Mode::Inputs || k == 0; }

// "float32", "int64", "bool", "double", ... for a TensorProto data type.
std::string dtypeName(int32_t dataType);

// A float32 TensorProto's values (raw_data or float_data).
std::vector<float> floatValues(const onnx::TensorProto& t);

}  // namespace percept::conformance
