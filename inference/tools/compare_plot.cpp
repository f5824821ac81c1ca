// SPDX-License-Identifier: Apache-2.0
#include "compare_plot.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "plot_canvas.h"

namespace percept::tools {
namespace {

using Anchor = PlotCanvas::Anchor;

struct Family {
    const char* name;
    Rgb colour;
};
const Family kFamilies[] = {
    {"conv", {122, 146, 178}},        {"gemm / matmul", {219, 68, 55}}, {"pooling, SE", {244, 180, 0}},
    {"pointwise", {15, 157, 88}},    {"data movement", {171, 71, 188}}, {"other", {175, 175, 175}},
};

// Which family an op (as the engine's per-layer table names it, fused ops joined by '+') is.
int familyOf(const std::string& op) {
    auto starts = [&](const char* p) { return op.rfind(p, 0) == 0; };
    if (starts("Conv")) return 0;
    if (starts("Gemm") || starts("MatMul")) return 1;
    if (op.find("Pool") != std::string::npos || op.find("SqueezeExcite") != std::string::npos || starts("LRN")) return 2;
    for (const char* p : {"Add", "Mul", "Sub", "Div", "Relu", "Clip", "Sigmoid", "HardSwish", "HardSigmoid", "Gelu", "Tanh", "LeakyRelu",
                          "BatchNormalization", "LayerNormalization", "Erf", "Pow", "Sqrt"})
        if (starts(p)) return 3;
    for (const char* p : {"Concat", "Reshape", "Flatten", "Transpose", "Slice", "Split", "Gather", "Pad", "Squeeze", "Unsqueeze", "Resize"})
        if (starts(p)) return 4;
    return 5;
}

Rgb shade(Rgb c, bool darker) {
    if (!darker) return c;
    return {static_cast<uint8_t>(c.r * 0.78), static_cast<uint8_t>(c.g * 0.78), static_cast<uint8_t>(c.b * 0.78)};
}

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

const Rgb kBg{255, 255, 255}, kInk{30, 33, 40}, kGrey{110, 116, 128}, kRule{225, 228, 234};
const Rgb kBackendColour[2] = {{52, 120, 220}, {46, 160, 90}};  // the app's CPU / GPU chips
constexpr int kWidth = 1000, kTopLayers = 8;
constexpr double kLabelW = 90, kBarX = 110, kBarRight = kWidth - 310, kBarH = 24, kRowH = 17;

double blockHeight(const ModelCompare&) { return 34 + 2 * (kBarH + 8) + 26 + kTopLayers * kRowH + 26; }

void drawModel(PlotCanvas& c, const ModelCompare& m, double y) {
    std::string head = m.model + fmt("   %.3f GFLOP per inference", m.gflop);
    if (m.agreementValid)
        head += std::string("   outputs: ") + (m.agreement.sameTop1() ? "same top-1" : "DIFFERENT top-1") + fmt(", max |dprob| %.1e", m.agreement.maxAbsDiff);
    c.text(20, y + 18, head, 15, kInk, Anchor::Start, true);
    y += 34;
    // One stacked bar per backend, on a common scale.
    double scale = 0;
    for (const BackendRun& r : m.runs) {
        double sum = 0;
        for (const CompareLayer& l : r.layers) sum += l.ms;
        scale = std::max({scale, sum, r.medianMs});
    }
    const double barW = kBarRight - kBarX;
    for (size_t i = 0; i < m.runs.size(); ++i) {
        const BackendRun& r = m.runs[i];
        c.text(20, y + kBarH * 0.7, r.backend, 13, kBackendColour[std::min<size_t>(i, 1)], Anchor::Start, true);
        if (!r.refused.empty()) {
            c.text(kBarX, y + kBarH * 0.7, "refused: " + r.refused.substr(0, 90), 11, kGrey);
            y += kBarH + 8;
            continue;
        }
        double x = kBarX;
        for (size_t k = 0; k < r.layers.size(); ++k) {
            const double w = scale > 0 ? r.layers[k].ms / scale * barW : 0;
            if (w <= 0) continue;
            c.rect(x, y, w, kBarH, shade(kFamilies[familyOf(r.layers[k].op)].colour, k % 2 == 1));
            x += w;
        }
        c.text(x + 6, y + kBarH * 0.7, fmt("%.2f ms", r.medianMs), 12, kInk);
        std::string right = r.energyValid ? fmt("%.2f mJ", r.joulesPerInference * 1e3) + (r.energyMeasured ? " measured" : " estimated") : "-";
        right += fmt(", CPU %.2f ms", r.cpuMsPerInference);
        c.text(kWidth - 20, y + kBarH * 0.7, right, 11, kGrey, Anchor::End);
        y += kBarH + 8;
    }
    // The heaviest layers, matched by name across the backends.
    struct Row {
        std::string name;
        double ms[2] = {-1, -1};
    };
    std::map<std::string, Row> byName;
    for (size_t i = 0; i < std::min<size_t>(2, m.runs.size()); ++i)
        for (const CompareLayer& l : m.runs[i].layers) {
            Row& row = byName[l.name];
            row.name = l.name;
            row.ms[i] = l.ms;
        }
    std::vector<Row> rows;
    for (auto& [k, r] : byName) rows.push_back(r);
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return std::max(a.ms[0], a.ms[1]) > std::max(b.ms[0], b.ms[1]); });
    if (rows.size() > static_cast<size_t>(kTopLayers)) rows.resize(kTopLayers);
    double top = 0;
    for (const Row& r : rows) top = std::max({top, r.ms[0], r.ms[1]});
    c.text(20, y + 16, "heaviest layers (median ms on each backend):", 11, kGrey);
    y += 24;
    const double nameW = 230, lx = 20 + nameW, lw = kBarRight - lx;
    for (const Row& r : rows) {
        c.text(20, y + kRowH * 0.72, r.name.size() > 36 ? r.name.substr(0, 35) + "~" : r.name, 10, kInk);
        for (int i = 0; i < 2; ++i) {
            const double by = y + 1 + i * (kRowH / 2 - 1);
            if (r.ms[i] < 0) continue;
            const double w = top > 0 ? r.ms[i] / top * lw : 0;
            c.rect(lx, by, std::max(1.0, w), kRowH / 2 - 2, kBackendColour[i]);
            c.text(lx + w + 4, by + kRowH / 2 - 3, fmt("%.3f", r.ms[i]), 8, kGrey);
        }
        y += kRowH;
    }
}

}  // namespace

void drawCompareFigure(const std::vector<ModelCompare>& models, const std::string& path) {
    double h = 80;
    for (const ModelCompare& m : models) h += blockHeight(m) + 12;
    h += 40;
    auto c = PlotCanvas::forFile(path, kWidth, static_cast<int>(h), kBg);
    c->text(20, 30, "percept-bench --compare: time per layer on each backend, stacked in network order", 18, kInk, Anchor::Start, true);
    std::string devices;
    if (!models.empty())
        for (const BackendRun& r : models.front().runs) devices += (devices.empty() ? "" : "   |   ") + r.backend + ": " + r.device;
    c->text(20, 52, devices, 12, kGrey);
    double y = 70;
    for (const ModelCompare& m : models) {
        c->line(20, y, kWidth - 20, y, kRule);
        drawModel(*c, m, y + 4);
        y += blockHeight(m) + 12;
    }
    // Legend: op families, then the backends' colours.
    double x = 20;
    y += 14;
    for (const Family& f : kFamilies) {
        c->rect(x, y - 10, 14, 12, f.colour);
        c->text(x + 19, y, f.name, 11, kInk);
        x += 19 + PlotCanvas::textWidth(f.name, 11) + 22;
    }
    if (models.empty() || models.front().runs.size() < 2) {
        c->save(path);
        return;
    }
    for (int i = 0; i < 2; ++i) {
        c->rect(x, y - 10, 14, 12, kBackendColour[i]);
        const std::string label = models.front().runs[i].backend + " (layer rows)";
        c->text(x + 19, y, label, 11, kInk);
        x += 19 + PlotCanvas::textWidth(label, 11) + 22;
    }
    c->save(path);
}

}  // namespace percept::tools
