// SPDX-License-Identifier: Apache-2.0
// percept::train::Trainer: the frozen part's session (features at the cut), the training step's
// and the forward graph's sessions, and the loop over epochs and mini-batches on the host.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/model_internal.h"
#include "percept/error.h"
#include "percept/session.h"
#include "percept/train.h"
#include "train/onnx_export.h"
#include "train/train_graph.h"
#include "train/train_plan.h"

namespace percept::train {

const char* modeName(Mode m) { return m == Mode::Head ? "head" : "finetune"; }

Mode parseMode(const std::string& s) {
    if (s == "head") return Mode::Head;
    if (s == "finetune" || s == "fine-tune") return Mode::FineTune;
    throw Error("unknown teaching mode '" + s + "' (expected head or finetune)");
}

struct Trainer::Impl {
    Model base;
    std::vector<std::string> names;
    Options opt;
    Plan plan;
    std::unique_ptr<Session> extractor;
    int cutOutput = -1, baseOutput = -1;  // indices into the extractor's outputs (-1: the input itself)
    std::unique_ptr<Session> step, forward;
    std::vector<Tensor> params;           // trained values (the plan's order)
    std::vector<float> offsets;           // per new class, added to its scores (the open-set threshold)
    int64_t batch = 1;

    Impl(const Model& m) : base(m) {}
    int64_t totalClasses() const { return opt.extend ? plan.baseClasses + plan.classes : plan.classes; }
    int64_t classIndex(int label) const { return (opt.extend ? plan.baseClasses : 0) + label; }
    void checkExample(const Example& e, const char* which) const;
    std::vector<float> branchScores(const std::vector<const Features*>& batch);
    void calibrate(const std::vector<Example>& train);
};

namespace {

int64_t argmax(const float* v, int64_t n) { return std::max_element(v, v + n) - v; }

// Softmax of the base scores: the target of an example of none of the new classes (its new
// classes' share is 0), so the personalised model keeps the base model's answer there.
void baseDistribution(const Tensor& scores, float* out) {
    const float m = *std::max_element(scores.data.begin(), scores.data.end());
    double sum = 0.0;
    for (size_t k = 0; k < scores.data.size(); ++k) sum += out[k] = std::exp(scores.data[k] - m);
    for (size_t k = 0; k < scores.data.size(); ++k) out[k] = static_cast<float>(out[k] / sum);
}

std::unique_ptr<Session> sessionFor(graph::Graph g, const char* what, const SessionOptions& base) {
    SessionOptions o = base;
    o.profile = false;
    o.extraOutputs.clear();
    o.fp16Storage = false;  // gradients and optimizer states need fp32
    return Session::create(detail::modelFromGraph(std::move(g), what), o);
}

}  // namespace

void Trainer::Impl::checkExample(const Example& e, const char* which) const {
    if (e.features.cut.shape != base.graph().shapeOf(plan.cut))
        throw Error(std::string("a ") + which + " example's features have shape " + shapeToString(e.features.cut.shape) + ", expected " +
                    shapeToString(base.graph().shapeOf(plan.cut)) + " (features of another model or mode?)");
    if (e.label >= static_cast<int>(plan.classes)) throw Error(std::string("a ") + which + " example's class " + std::to_string(e.label) + " is out of range");
    if (e.label < 0 && !opt.extend) throw Error("examples of none of the new classes need the base model's classes kept (extend)");
    if (opt.extend && static_cast<int64_t>(e.features.base.data.size()) != plan.baseClasses)
        throw Error(std::string("a ") + which + " example has no base scores");
}

std::vector<float> Trainer::Impl::branchScores(const std::vector<const Features*>& feats) {
    const Shape xs = plan.branchShape(base.graph(), plan.cut, batch);
    const int64_t per = elementCount(xs) / batch;
    std::vector<Tensor> in;
    in.emplace_back(xs);
    for (size_t b = 0; b < feats.size(); ++b) std::copy(feats[b]->cut.data.begin(), feats[b]->cut.data.end(), in[0].data.begin() + static_cast<int64_t>(b) * per);
    for (const Tensor& p : params) in.push_back(p);
    std::vector<float> out = forward->run(in).at(0).data;  // [batch, K]
    for (size_t k = 0; k < out.size(); ++k) out[k] += offsets[k % offsets.size()];
    return out;
}

// The open-set threshold (Options::openSetMargin): per new class, the 10th percentile of its
// training examples' margins over the base model's best class, less the wanted margin, taken off
// its scores when positive.
void Trainer::Impl::calibrate(const std::vector<Example>& train) {
    const int64_t K = plan.classes;
    std::vector<std::vector<float>> margins(static_cast<size_t>(K));
    for (size_t b0 = 0; b0 < train.size(); b0 += static_cast<size_t>(batch)) {
        std::vector<const Features*> feats;
        std::vector<const Example*> which;
        for (size_t b = b0; b < train.size() && b < b0 + static_cast<size_t>(batch); ++b) {
            feats.push_back(&train[b].features);
            which.push_back(&train[b]);
        }
        const std::vector<float> scores = branchScores(feats);
        for (size_t b = 0; b < which.size(); ++b) {
            if (which[b]->label < 0) continue;
            const float best = *std::max_element(which[b]->features.base.data.begin(), which[b]->features.base.data.end());
            margins[static_cast<size_t>(which[b]->label)].push_back(scores[b * static_cast<size_t>(K) + static_cast<size_t>(which[b]->label)] - best);
        }
    }
    for (int64_t k = 0; k < K; ++k) {
        std::vector<float>& m = margins[static_cast<size_t>(k)];
        if (m.empty()) continue;
        std::sort(m.begin(), m.end());
        const float p10 = m[m.size() / 10];
        offsets[static_cast<size_t>(k)] = -std::max(0.0f, p10 - opt.openSetMargin);
    }
}

Trainer::Trainer(const Model& base, std::vector<std::string> classNames, const Options& options) : impl_(std::make_unique<Impl>(base)) {
    Impl& s = *impl_;
    s.names = std::move(classNames);
    s.opt = options;
    if (s.names.empty()) throw Error("teaching needs at least one new class");
    const int layers = options.mode == Mode::Head ? 1 : std::max(1, options.fineTuneLayers);
    s.plan = planTraining(base.graph(), layers, static_cast<int64_t>(s.names.size()), options.seed);
    // The frozen part: the base model asked for the values at the cut and its class scores.
    SessionOptions so = options.session;
    so.profile = false;
    const graph::Graph& g = base.graph();
    auto isInput = [&](int v) { return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end(); };
    if (!isInput(s.plan.cut)) {
        so.extraOutputs.push_back(g.value(s.plan.cut).name);
        s.cutOutput = 1;
    }
    if (s.plan.logits == g.outputs[0]) {
        s.baseOutput = 0;
    } else {
        so.extraOutputs.push_back(g.value(s.plan.logits).name);
        s.baseOutput = static_cast<int>(so.extraOutputs.size());
    }
    s.extractor = Session::create(base, so);
    for (const Param& p : s.plan.params) s.params.push_back(p.value);
    s.offsets.assign(static_cast<size_t>(s.plan.classes), 0.0f);
}

Trainer::~Trainer() = default;

Features Trainer::extract(const Tensor& input) {
    Impl& s = *impl_;
    std::vector<Tensor> out = s.extractor->run(std::vector<Tensor>{input});
    Features f;
    f.cut = s.cutOutput < 0 ? input : std::move(out.at(static_cast<size_t>(s.cutOutput)));
    f.base = std::move(out.at(static_cast<size_t>(s.baseOutput)));
    f.base.shape = {1, static_cast<int64_t>(f.base.data.size())};
    return f;
}

Report Trainer::fit(const std::vector<Example>& train, const std::vector<Example>& heldBack, const std::function<bool(const EpochReport&)>& progress) {
    Impl& s = *impl_;
    if (train.empty()) throw Error("teaching needs examples to train on");
    for (const Example& e : train) s.checkExample(e, "training");
    for (const Example& e : heldBack) s.checkExample(e, "held-back");
    const Options& o = s.opt;
    s.batch = std::max<int64_t>(1, std::min<int64_t>(o.batch, static_cast<int64_t>(train.size())));
    const int64_t B = s.batch, N0 = s.plan.baseClasses, Nt = s.totalClasses();
    const graph::Graph& g = s.base.graph();

    s.offsets.assign(static_cast<size_t>(s.plan.classes), 0.0f);
    GraphSpec spec;
    spec.batch = B;
    spec.extend = o.extend;
    spec.optimizer = o.optimizer;
    spec.momentum = o.momentum, spec.beta1 = o.beta1, spec.beta2 = o.beta2, spec.epsilon = o.epsilon;
    s.step = sessionFor(buildTrainGraph(g, s.plan, spec), "training step", o.session);
    spec.step = false;
    s.forward = sessionFor(buildTrainGraph(g, s.plan, spec), "taught branch", o.session);

    // Inputs of the step, updated in place between steps (train_graph.h gives the order).
    const int S = statesPerParam(o.optimizer);
    std::vector<Tensor> in;
    in.emplace_back(s.plan.branchShape(g, s.plan.cut, B));
    if (o.extend) in.emplace_back(Shape{B, N0});
    in.emplace_back(Shape{B, Nt});
    in.emplace_back(Shape{B, 1});
    in.emplace_back(Shape{1});
    in.emplace_back(Shape{1});
    const size_t firstParam = in.size();
    for (const Param& p : s.plan.params) {
        in.push_back(p.value);
        for (int k = 0; k < S; ++k) in.emplace_back(p.value.shape);
    }
    const size_t xi = 0, basei = 1, targeti = o.extend ? 2 : 1, weighti = targeti + 1, lri = weighti + 1;
    const int64_t per = elementCount(in[xi].shape) / B;

    // Examples of none of the new classes weigh, in all, negativeShare of the loss.
    const double negatives = static_cast<double>(std::count_if(train.begin(), train.end(), [](const Example& e) { return e.label < 0; }));
    const double positives = static_cast<double>(train.size()) - negatives;
    float negativeWeight = 1.0f;
    if (negatives > 0 && positives > 0 && o.negativeShare > 0.0f && o.negativeShare < 1.0f)
        negativeWeight = static_cast<float>(positives / negatives * o.negativeShare / (1.0 - o.negativeShare));
    const float lr0 = o.learningRate > 0 ? o.learningRate : (o.optimizer == Optimizer::Adam ? 1e-3f : 0.05f);
    const int64_t stepsPerEpoch = (static_cast<int64_t>(train.size()) + B - 1) / B, totalSteps = stepsPerEpoch * std::max(1, o.epochs);
    std::mt19937 rng(o.seed);
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    Report report;
    report.trainedLayers = static_cast<int>(s.plan.layers.size());
    for (const Param& p : s.plan.params) report.parameters += p.value.size();
    report.cut = g.value(s.plan.cut).name;
    for (const Example& e : train) report.featureBytes += (e.features.cut.data.size() + e.features.base.data.size()) * sizeof(float);
    for (const Example& e : heldBack) report.featureBytes += (e.features.cut.data.size() + e.features.base.data.size()) * sizeof(float);
    report.device = s.step->deviceName();
    using Clock = std::chrono::steady_clock;
    int64_t t = 0;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto start = Clock::now();
        std::shuffle(order.begin(), order.end(), rng);
        double lossSum = 0.0;
        int64_t labelled = 0, right = 0;
        for (int64_t b0 = 0; b0 < static_cast<int64_t>(train.size()); b0 += B) {
            const int64_t count = std::min<int64_t>(B, static_cast<int64_t>(train.size()) - b0);
            std::fill(in[targeti].data.begin(), in[targeti].data.end(), 0.0f);
            std::fill(in[weighti].data.begin(), in[weighti].data.end(), 0.0f);
            double weightSum = 0.0;
            for (int64_t b = 0; b < B; ++b) {
                // Padding rows repeat real examples with weight 0.
                const Example& e = train[order[static_cast<size_t>((b0 + std::min(b, count - 1)))]];
                std::copy(e.features.cut.data.begin(), e.features.cut.data.end(), in[xi].data.begin() + b * per);
                if (o.extend) std::copy(e.features.base.data.begin(), e.features.base.data.end(), in[basei].data.begin() + b * N0);
                if (b >= count) continue;
                float* target = in[targeti].data.data() + b * Nt;
                if (e.label >= 0) target[s.classIndex(e.label)] = 1.0f;
                else baseDistribution(e.features.base, target);
                in[weighti].data[static_cast<size_t>(b)] = e.label < 0 ? negativeWeight : 1.0f;
                weightSum += in[weighti].data[static_cast<size_t>(b)];
            }
            for (int64_t b = 0; b < count; ++b) in[weighti].data[static_cast<size_t>(b)] /= static_cast<float>(weightSum);
            // Cosine decay over all steps; Adam's bias corrections folded into its rate.
            ++t;
            const float lr = lr0 * 0.5f * (1.0f + std::cos(3.14159265f * static_cast<float>(t - 1) / static_cast<float>(totalSteps)));
            float rate = lr;
            if (o.optimizer == Optimizer::Adam)
                rate = lr * std::sqrt(1.0f - std::pow(o.beta2, static_cast<float>(t))) / (1.0f - std::pow(o.beta1, static_cast<float>(t)));
            in[lri].data[0] = rate;
            in[lri + 1].data[0] = o.optimizer == Optimizer::Adam ? lr * o.weightDecay : o.weightDecay;
            std::vector<Tensor> out = s.step->run(in);
            lossSum += out[0].data[0] * static_cast<double>(count);
            for (int64_t b = 0; b < count; ++b) {
                const Example& e = train[order[static_cast<size_t>(b0 + b)]];
                if (e.label < 0) continue;
                ++labelled;
                right += argmax(out[1].data.data() + b * Nt, Nt) == s.classIndex(e.label);
            }
            for (size_t k = 0; k + 2 < out.size(); ++k) in[firstParam + k] = std::move(out[k + 2]);
        }
        for (size_t k = 0; k < s.params.size(); ++k) s.params[k] = in[firstParam + k * static_cast<size_t>(1 + S)];
        EpochReport er;
        er.epoch = epoch;
        er.epochs = o.epochs;
        er.loss = lossSum / static_cast<double>(train.size());
        er.trainAccuracy = labelled ? static_cast<double>(right) / static_cast<double>(labelled) : 0.0;
        er.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        report.trainMs += er.ms;
        if (!heldBack.empty()) er.heldBackAccuracy = accuracy(heldBack);
        report.epochs = epoch;
        report.loss = er.loss;
        report.heldBackAccuracy = er.heldBackAccuracy;
        if (progress && !progress(er)) break;
    }
    if (o.extend && o.openSetMargin > 0.0f) {
        s.calibrate(train);
        if (!heldBack.empty()) report.heldBackAccuracy = accuracy(heldBack);
    }
    report.offsets = s.offsets;
    const Stats& st = s.step->stats();
    report.stepArenaBytes = st.peakArenaBytes;
    report.stepNaiveBytes = st.naiveActivationBytes;
    report.stepDeviceBytes = st.deviceMemoryBytes;
    return report;
}

std::vector<float> Trainer::scores(const Features& f) {
    Impl& s = *impl_;
    if (!s.forward) throw Error("the model has not been taught yet (fit() first)");
    std::vector<float> branch = s.branchScores({&f});
    branch.resize(static_cast<size_t>(s.plan.classes));
    if (!s.opt.extend) return branch;
    std::vector<float> out = f.base.data;
    out.insert(out.end(), branch.begin(), branch.end());
    return out;
}

double Trainer::accuracy(const std::vector<Example>& examples) {
    Impl& s = *impl_;
    if (!s.forward) throw Error("the model has not been taught yet (fit() first)");
    const int64_t K = s.plan.classes;
    int64_t labelled = 0, right = 0;
    for (size_t b0 = 0; b0 < examples.size(); b0 += static_cast<size_t>(s.batch)) {
        std::vector<const Features*> feats;
        for (size_t b = b0; b < examples.size() && b < b0 + static_cast<size_t>(s.batch); ++b) feats.push_back(&examples[b].features);
        const std::vector<float> branch = s.branchScores(feats);
        for (size_t b = 0; b < feats.size(); ++b) {
            const Example& e = examples[b0 + b];
            if (e.label < 0) continue;
            ++labelled;
            const float* row = branch.data() + static_cast<int64_t>(b) * K;
            const int64_t best = argmax(row, K);
            bool ok = best == e.label;
            if (ok && s.opt.extend) ok = row[best] > *std::max_element(e.features.base.data.begin(), e.features.base.data.end());
            right += ok;
        }
    }
    return labelled ? static_cast<double>(right) / static_cast<double>(labelled) : 0.0;
}

std::string Trainer::exportOnnx(const std::string& baseOnnx, const std::map<std::string, std::string>& metadata) const {
    const Impl& s = *impl_;
    std::map<std::string, std::string> meta = metadata;
    std::string classes;
    for (const std::string& n : s.names) classes += (classes.empty() ? "" : "\n") + n;
    meta["percept.teach.classes"] = classes;
    meta["percept.teach.mode"] = std::string(modeName(s.opt.mode)) + (s.opt.extend ? ", extended" : ", replaced");
    meta["percept.teach.cut"] = s.base.graph().value(s.plan.cut).name;
    return exportPersonalised(baseOnnx, s.base.graph(), s.plan, s.params, s.offsets, s.opt.extend, meta);
}

const std::vector<std::string>& Trainer::classNames() const { return impl_->names; }
const Options& Trainer::options() const { return impl_->opt; }
int64_t Trainer::baseClasses() const { return impl_->plan.baseClasses; }
std::string Trainer::cutName() const { return impl_->base.graph().value(impl_->plan.cut).name; }
Shape Trainer::cutShape() const { return impl_->base.graph().shapeOf(impl_->plan.cut); }

}  // namespace percept::train
