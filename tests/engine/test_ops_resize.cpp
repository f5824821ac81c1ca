// SPDX-License-Identifier: Apache-2.0
// Resize (opsets 10 to 19) and Upsample against a reference ported from ONNX's own
// (onnx/reference/ops/op_resize.py: the recursive N-D interpolation over an edge-padded input,
// neighbours found by sorting distances), in double: nearest with every nearest_mode, linear,
// cubic (cubic_coeff_a, exclude_outside), every coordinate_transformation_mode, scales and
// sizes, antialias, keep_aspect_ratio_policy with axes, Upsample's and Resize-10's rules. And
// every family of this change's shaders once more with fp16 storage.
#include <gtest/gtest.h>

#include <functional>

#include "op_test_util.h"

namespace percept::optest {
namespace {

class ResizeTest : public OpTest {};

struct RefParams {
    std::string mode = "nearest", ctm = "half_pixel", nearest = "round_prefer_floor";
    double a = -0.75;
    bool exclude = false, antialias = false, legacy = false;  // legacy: Upsample / Resize-10
    float extrapolation = 0.0f;
};

std::vector<double> cubicCoeffs(double r, double A) {
    return {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A, ((A + 2) * r - (A + 3)) * r * r + 1,
            ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1, ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) * ((1 - r) + 1) - 4 * A};
}

std::vector<double> coeffs(const RefParams& p, double ratio, double scale) {
    if (p.mode == "nearest") {
        if (ratio == std::floor(ratio)) return {0, 1};
        if (p.nearest == "round_prefer_floor") return {double(ratio <= 0.5), double(ratio > 0.5)};
        if (p.nearest == "round_prefer_ceil") return {double(ratio < 0.5), double(ratio >= 0.5)};
        if (p.nearest == "floor") return {1, 0};
        return {0, 1};
    }
    if (!p.antialias) return p.mode == "linear" ? std::vector<double>{1 - ratio, ratio} : cubicCoeffs(ratio, p.a);
    const double s = std::min(scale, 1.0);
    std::vector<double> c;
    if (p.mode == "linear") {
        const int64_t start = static_cast<int64_t>(std::floor(-1 / s) + 1), footprint = 2 - 2 * start;
        for (int64_t i = start; i < start + footprint; ++i) c.push_back(std::clamp(1 - std::fabs((i - ratio) * s), 0.0, 1.0));
    } else {
        const int64_t is = static_cast<int64_t>(std::floor(-2 / s) + 1), ie = 2 - is;
        for (int64_t i = is; i < ie; ++i) {
            const double x = std::fabs(s * (i - ratio)), A = p.a;
            c.push_back(x <= 1 ? (A + 2) * x * x * x - (A + 3) * x * x + 1 : x < 2 ? A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A : 0.0);
        }
    }
    double sum = 0;
    for (double v : c) sum += v;
    for (double& v : c) v /= sum;
    return c;
}

// interpolate_1d_with_x of the ONNX reference.
double interp1d(const std::vector<double>& data, double scale, int64_t outLen, double x, const RefParams& p, double r0, double r1) {
    const int64_t in = static_cast<int64_t>(data.size());
    const double outW = scale * in;
    double xo;
    if (p.ctm == "align_corners") xo = outW == 1 ? 0 : x * (in - 1) / (outW - 1);
    else if (p.ctm == "asymmetric") xo = x / scale;
    else if (p.ctm == "tf_half_pixel_for_nn") xo = (x + 0.5) / scale;
    else if (p.ctm == "tf_crop_and_resize") {
        xo = outLen == 1 ? (r1 - r0) * (in - 1) / 2 : x * (r1 - r0) * (in - 1) / (outLen - 1);
        xo += r0 * (in - 1);
        if (xo < 0 || xo > in - 1) return p.extrapolation;
    } else if (p.ctm == "pytorch_half_pixel") xo = outLen == 1 ? 0 : (x + 0.5) / scale - 0.5;
    else if (p.ctm == "half_pixel_symmetric") {
        const double adj = outLen / outW, center = in / 2.0;
        xo = center * (1 - adj) + (x + 0.5) / scale - 0.5;
    } else xo = (x + 0.5) / scale - 0.5;
    if (p.legacy && p.mode == "nearest") {
        // ONNX Runtime's rule before opset 11: truncate when enlarging, round up when shrinking.
        const int64_t i = static_cast<int64_t>(scale < 1 ? std::ceil(xo) : std::trunc(xo));
        return data[static_cast<size_t>(std::clamp<int64_t>(i, 0, in - 1))];
    }
    const double ratio = xo == std::floor(xo) ? 1.0 : xo - std::floor(xo);
    std::vector<double> c = coeffs(p, ratio, scale);
    const int64_t n = static_cast<int64_t>(c.size()), pad = (n + 1) / 2;
    // The n indexes of the edge-padded array nearest to x (ties to the smaller), ascending. The
    // distances are taken before shifting by the padding: ONNX's reference adds the padding
    // first, and x + pad can round onto a tie its coefficients did not see (x = 1 + 2^-52).
    std::vector<int64_t> all;
    for (int64_t i = 0; i < in + 2 * pad; ++i) all.push_back(i);
    std::stable_sort(all.begin(), all.end(), [&](int64_t a, int64_t b) {
        const double da = std::fabs(xo - static_cast<double>(a - pad)), db = std::fabs(xo - static_cast<double>(b - pad));
        return da != db ? da < db : a < b;
    });
    std::vector<int64_t> near(all.begin(), all.begin() + n);
    std::sort(near.begin(), near.end());
    if (p.exclude) {
        double sum = 0;
        for (int64_t t = 0; t < n; ++t) {
            const int64_t i = near[static_cast<size_t>(t)] - pad;
            if (i < 0 || i >= in) c[static_cast<size_t>(t)] = 0;
            sum += c[static_cast<size_t>(t)];
        }
        for (double& v : c) v /= sum;
    }
    double acc = 0;
    for (int64_t t = 0; t < n; ++t) acc += c[static_cast<size_t>(t)] * data[static_cast<size_t>(std::clamp<int64_t>(near[static_cast<size_t>(t)] - pad, 0, in - 1))];
    return acc;
}

// interpolate_nd_with_x: the first axis last, over the recursively interpolated rest.
double interpNd(const Tensor& x, size_t axis, int64_t base, const std::vector<double>& scales, const Shape& out, const std::vector<int64_t>& o,
                const RefParams& p, const std::vector<float>& roi) {
    const size_t rank = x.shape.size();
    int64_t stride = 1;
    for (size_t d = axis + 1; d < rank; ++d) stride *= x.shape[d];
    std::vector<double> line;
    for (int64_t i = 0; i < x.shape[axis]; ++i)
        line.push_back(axis + 1 == rank ? x.data[static_cast<size_t>(base + i)] : interpNd(x, axis + 1, base + i * stride, scales, out, o, p, roi));
    return interp1d(line, scales[axis], out[axis], static_cast<double>(o[axis]), p, roi.empty() ? 0 : roi[axis], roi.empty() ? 1 : roi[axis + rank]);
}

Tensor refResize(const Tensor& x, const std::vector<double>& scales, const Shape& out, const RefParams& p, const std::vector<float>& roi = {}) {
    Tensor y(out);
    for (int64_t i = 0; i < elementCount(out); ++i) y.data[static_cast<size_t>(i)] = static_cast<float>(interpNd(x, 0, 0, scales, out, unravel(i, out), p, roi));
    return y;
}

struct Case {
    RefParams p;
    Shape in;
    std::vector<float> scales;    // or
    std::vector<int64_t> sizes;
    std::vector<float> roi;
    int64_t opset = 13;
};

void addResize(OpGraph& g, const Case& c, int x, int y) {
    std::vector<int> ins = {x};
    const bool legacy = c.opset < 11;
    if (legacy) {
        ins.push_back(g.constant("scales", Tensor({static_cast<int64_t>(c.scales.size())}, c.scales)));
    } else {
        ins.push_back(c.roi.empty() ? -1 : g.constant("roi", Tensor({static_cast<int64_t>(c.roi.size())}, c.roi)));
        ins.push_back(c.scales.empty() ? -1 : g.constant("scales", Tensor({static_cast<int64_t>(c.scales.size())}, c.scales)));
        if (!c.sizes.empty()) ins.push_back(g.constantInts("sizes", c.sizes));
    }
    graph::Node& n = g.node("Resize", ins, {y});
    setString(n, "mode", c.p.mode);
    if (!legacy) {
        setString(n, "coordinate_transformation_mode", c.p.ctm);
        setString(n, "nearest_mode", c.p.nearest);
        setFloat(n, "cubic_coeff_a", static_cast<float>(c.p.a));
        setInt(n, "exclude_outside", c.p.exclude);
        setFloat(n, "extrapolation_value", c.p.extrapolation);
        if (c.p.antialias) setInt(n, "antialias", 1);
    }
}

void check(OpTest& t, const Case& c, const std::function<std::vector<Tensor>(OpGraph&, const std::vector<Tensor>&)>& run) {
    const Tensor x = randomTensor(c.in, 40000 + static_cast<uint32_t>(c.in.back()));
    std::vector<double> scales;
    Shape out = c.in;
    for (size_t d = 0; d < c.in.size(); ++d) {
        if (!c.sizes.empty()) {
            out[d] = c.sizes[d];
            scales.push_back(static_cast<double>(c.sizes[d]) / static_cast<double>(c.in[d]));
        } else {
            scales.push_back(c.scales[d]);
            out[d] = static_cast<int64_t>(std::floor(c.in[d] * static_cast<double>(c.scales[d])));
        }
    }
    OpGraph g(c.opset);
    addResize(g, c, g.input("x", c.in), g.output("y"));
    RefParams p = c.p;
    p.legacy = c.opset < 11;
    if (p.legacy) p.ctm = "asymmetric";
    EXPECT_TRUE(allClose(run(g, {x})[0], refResize(x, scales, out, p, c.roi), 1e-5));
    (void)t;
}

std::string describe(const Case& c) {
    return c.p.mode + " " + c.p.ctm + " " + c.p.nearest + " a=" + std::to_string(c.p.a) + (c.p.exclude ? " exclude" : "") +
           (c.p.antialias ? " antialias" : "") + " in " + shapeToString(c.in) + (c.sizes.empty() ? " scales" : " sizes " + shapeToString(c.sizes)) +
           " opset " + std::to_string(c.opset);
}

TEST_P(ResizeTest, EveryMode) {
    std::vector<Case> cases;
    const Shape in = {1, 2, 5, 7};
    const std::vector<float> up = {1, 1, 2.0f, 1.5f}, down = {1, 1, 0.6f, 0.5f};
    const std::vector<int64_t> sizesUp = {1, 2, 9, 12}, sizesDown = {1, 2, 3, 4};
    for (const char* nm : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})
        for (const char* ctm : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"}) {
            RefParams p;
            p.nearest = nm;
            p.ctm = ctm;
            cases.push_back({p, in, up, {}, {}});
            cases.push_back({p, in, {}, sizesDown, {}});
        }
    for (const char* mode : {"linear", "cubic"})
        for (const char* ctm : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"}) {
            RefParams p;
            p.mode = mode;
            p.ctm = ctm;
            const int64_t opset = std::string(ctm) == "half_pixel_symmetric" ? 19 : 13;
            cases.push_back({p, in, up, {}, {}, opset});
            cases.push_back({p, in, down, {}, {}, opset});
            cases.push_back({p, in, {}, sizesUp, {}, opset});
            cases.push_back({p, in, {}, {1, 2, 4, 1}, {}, opset});  // a single output column
        }
    for (double a : {-0.5, -0.75})
        for (bool exclude : {false, true}) {
            RefParams p;
            p.mode = "cubic";
            p.a = a;
            p.exclude = exclude;
            cases.push_back({p, in, up, {}, {}});
            cases.push_back({p, in, {}, sizesDown, {}});
        }
    RefParams nn;
    nn.ctm = "tf_half_pixel_for_nn";
    cases.push_back({nn, in, {}, sizesUp, {}, 11});
    for (const char* mode : {"linear", "nearest"}) {
        RefParams crop;
        crop.mode = mode;
        crop.ctm = "tf_crop_and_resize";
        crop.extrapolation = 10.0f;
        cases.push_back({crop, in, {}, {1, 2, 4, 6}, {0, 0, 0.4f, -0.2f, 1, 1, 0.6f, 1.3f}});
    }
    for (const char* mode : {"linear", "cubic"}) {
        RefParams aa;
        aa.mode = mode;
        aa.antialias = true;
        cases.push_back({aa, {1, 1, 11, 13}, {1, 1, 0.3f, 0.45f}, {}, {}, 18});
        cases.push_back({aa, {1, 1, 6, 6}, {}, {1, 1, 9, 4}, {}, 18});
    }
    RefParams tri;
    tri.mode = "linear";
    cases.push_back({tri, {2, 3, 4, 5}, {}, {2, 5, 7, 3}, {}});  // N-linear on three axes
    for (const char* mode : {"nearest", "linear"}) {
        RefParams legacy;
        legacy.mode = mode;
        cases.push_back({legacy, in, up, {}, {}, 10});
        cases.push_back({legacy, in, down, {}, {}, 10});
    }
    for (const auto& c : cases) {
        SCOPED_TRACE(describe(c));
        check(*this, c, [&](OpGraph& g, const std::vector<Tensor>& in) { return run(g, in); });
    }
}

// Opset 18: scales/sizes for some axes only, and sizes that keep the aspect ratio.
TEST_P(ResizeTest, AxesAndAspectRatio) {
    const Tensor x = randomTensor({1, 2, 6, 9}, 40100);
    struct Case {
        std::string policy;
        std::vector<int64_t> sizes, want;
    };
    for (const auto& c : std::vector<Case>{{"stretch", {4, 4}, {1, 2, 4, 4}}, {"not_larger", {4, 4}, {1, 2, 3, 4}}, {"not_smaller", {4, 4}, {1, 2, 4, 6}}}) {
        SCOPED_TRACE(c.policy);
        OpGraph g(18);
        graph::Node& n = g.node("Resize", {g.input("x", x.shape), -1, -1, g.constantInts("sizes", c.sizes)}, {g.output("y")});
        setString(n, "mode", "linear");
        setInts(n, "axes", {2, 3});
        setString(n, "keep_aspect_ratio_policy", c.policy);
        // One scale for both axes under the policies: the smaller / larger of sizes / in.
        const double s = c.policy == "stretch" ? 0 : c.policy == "not_larger" ? std::min(4.0 / 6, 4.0 / 9) : std::max(4.0 / 6, 4.0 / 9);
        const std::vector<double> scales = {1, 1, s ? s : 4.0 / 6, s ? s : 4.0 / 9};
        RefParams p;
        p.mode = "linear";
        EXPECT_TRUE(allClose(run1(g, {x}), refResize(x, scales, c.want, p), 1e-5));
    }
}

TEST_P(ResizeTest, Upsample) {
    const Tensor x = randomTensor({1, 2, 3, 4}, 40200);
    for (int64_t opset : {int64_t{7}, int64_t{9}})
        for (const char* mode : {"nearest", "linear"}) {
            SCOPED_TRACE(std::string(mode) + " opset " + std::to_string(opset));
            const std::vector<float> scales = {1, 1, 2, 3};
            OpGraph g(opset);
            std::vector<int> ins = {g.input("x", x.shape)};
            if (opset >= 9) ins.push_back(g.constant("scales", Tensor({4}, scales)));
            graph::Node& n = g.node("Upsample", ins, {g.output("y")});
            setString(n, "mode", mode);
            if (opset < 9) {
                graph::Attribute a;
                a.kind = graph::Attribute::Kind::Floats;
                a.floats = scales;
                n.attrs["scales"] = a;
            }
            RefParams p;
            p.mode = mode;
            p.ctm = "asymmetric";
            p.legacy = true;
            EXPECT_TRUE(allClose(run1(g, {x}), refResize(x, {1, 1, 2, 3}, {1, 2, 6, 12}, p), 1e-5));
        }
}

PERCEPT_OP_TEST_SUITE(ResizeTest);

// The shaders of this change's families in fp16 storage (strided copy, gather, scatter,
// resize, Trilu, the float16 cast, Pad's wrap mode), loosely against the fp32 CPU backend.
TEST(DataMovementFp16, EveryShaderRuns) {
    // One vector: begin() and end() of two temporaries would compare unrelated iterators.
    const std::vector<Backend> backends = opTestBackends();
    if (std::find(backends.begin(), backends.end(), Backend::Vulkan) == backends.end()) GTEST_SKIP() << "no Vulkan";
    OpGraph g(19);
    const Shape s = {1, 4, 6, 6};
    const int x = g.input("x", s);
    const int a = g.value("a"), b = g.value("b"), c = g.value("c"), d = g.value("d"), e = g.value("e"), f = g.value("f");
    g.node("Slice", {x, g.constantInts("st", {5, 0}), g.constantInts("en", {-100, 6}), g.constantInts("ax", {2, 3}), g.constantInts("sp", {-2, 1})}, {a});
    setString(g.node("Pad", {a, g.constantInts("pads", {0, 0, 2, 1, 0, 0, 1, 3})}, {b}), "mode", "wrap");  // [1,4,6,10]
    setInt(g.node("Gather", {b, g.constantInts("gi", {3, -1, 0})}, {c}), "axis", 3);                  // [1,4,6,3]
    graph::Node& r = g.node("Resize", {c, -1, g.constant("sc", Tensor({4}, {1, 1, 1.5f, 2}))}, {d});      // [1,4,9,6]
    setString(r, "mode", "cubic");
    setInt(g.node("Trilu", {d}, {e}), "upper", 0);
    setInt(g.node("Cast", {e}, {f}), "to", 10);
    auto idx = std::make_shared<graph::TensorData>();
    idx->dtype = graph::DType::Int64;
    idx->shape = {2, 2};
    idx->i = {0, 1, 0, -1};  // channels 1 and 3
    g.node("ScatterND", {f, g.g.addConstant("si", idx), g.constant("su", randomTensor({2, 9, 6}, 7))}, {g.output("y")});
    const Model m = detail::modelFromGraph(g.g, "fp16");
    const Tensor in = randomTensor(s, 8);
    SessionOptions vk;
    vk.backend = Backend::Vulkan;
    vk.fp16Storage = true;
    auto half = Session::create(m, vk);
    if (half->stats().device.find("fp16") == std::string::npos) GTEST_SKIP() << "no 16-bit storage on " << half->deviceName();
    EXPECT_TRUE(allClose(half->run(in), Session::create(m, SessionOptions{})->run(in), 1e-2));
}

}  // namespace
}  // namespace percept::optest
