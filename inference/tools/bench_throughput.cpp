// SPDX-License-Identifier: Apache-2.0
#include "bench_throughput.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "agreement.h"

#include "timing.h"

namespace percept::tools {
namespace {

}  // namespace

void benchThroughput(const std::string& name, const Model& model, const SessionOptions& options, const ThroughputOptions& o) {
    if (model.inputs().size() != 1) throw Error(name + ": --batch needs a model with one input");
    SessionOptions one = options, many = options;
    one.batch = 1;
    many.batch = o.batch;
    auto single = Session::create(model, one);
    auto batched = Session::create(model, many);

    // N different images, so a batch that mixed them up would show.
    Shape shape = model.inputs()[0].shape;
    std::vector<Tensor> images;
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int k = 0; k < o.batch; ++k) {
        Tensor t(shape);
        for (float& v : t.data) v = dist(rng);
        images.push_back(std::move(t));
    }
    for (int w = 0; w < o.warmup; ++w) {
        single->run(images[0]);
        batched->runBatch(images);
    }
    // Interleaved rounds: per round, one batch run and N single-image runs.
    std::vector<double> msOne, msBatch, ratio;
    for (int r = 0; r < o.runs; ++r) {
        auto t0 = Clock::now();
        batched->runBatch(images);
        const double b = msSince(t0);
        t0 = Clock::now();
        for (const Tensor& im : images) single->run(im);
        const double s = msSince(t0) / o.batch;  // per image
        msBatch.push_back(b);
        msOne.push_back(s);
        ratio.push_back(s * o.batch / b);  // images/s at batch N over images/s at batch 1
    }
    // Every image's result in the batch against its result alone.
    const std::vector<Tensor> results = batched->runBatch(images);
    double worst = 0.0;
    bool sameTop1 = true;
    for (size_t k = 0; k < images.size(); ++k) {
        const Tensor alone = single->run(images[k]);
        const Agreement a = compareOutputs(results[k].data.data(), alone.data.data(), alone.data.size());
        worst = std::max(worst, a.maxRelDiff);
        sameTop1 = sameTop1 && a.sameTop1();
    }
    const double medOne = median(msOne), medBatch = median(msBatch), medRatio = median(ratio);
    const double lo = *std::min_element(ratio.begin(), ratio.end()), hi = *std::max_element(ratio.begin(), ratio.end());
    const double ipsOne = 1000.0 / medOne, ipsBatch = 1000.0 * o.batch / medBatch;
    if (o.json) {
        nlohmann::json j;
        j["model"] = name;
        j["backend"] = backendName(options.backend);
        j["device"] = batched->deviceName();
        j["threads"] = options.threads;
        j["batch"] = o.batch;
        j["runs"] = o.runs;
        j["ms_per_image_batch1"] = medOne;
        j["ms_per_batch"] = medBatch;
        j["images_per_s_batch1"] = ipsOne;
        j["images_per_s"] = ipsBatch;
        j["ratio_vs_batch1"] = {{"median", medRatio}, {"min", lo}, {"max", hi}};
        j["max_rel_diff_vs_batch1"] = worst;
        j["same_top1_as_batch1"] = sameTop1;
        if (options.backend == Backend::Vulkan)
            j["commands"] = {{"dispatches", batched->stats().dispatches}, {"barriers", batched->stats().barriers}};
        std::cout << j.dump() << std::endl;
        return;
    }
    std::printf("\n== %s  [%s, %d thread%s]  throughput at batch %d\n", name.c_str(), batched->deviceName().c_str(), options.threads,
                options.threads == 1 ? "" : "s", o.batch);
    std::printf("batch 1    : median %8.3f ms per image      = %8.1f images/s\n", medOne, ipsOne);
    std::printf("batch %-4d : median %8.3f ms per batch      = %8.1f images/s   ratio %.2fx (rounds %.2f..%.2f, %d runs)\n", o.batch,
                medBatch, ipsBatch, medRatio, lo, hi, o.runs);
    std::printf("agreement  : max |batched - alone| = %.2g x max |alone| over %d images, top-1 %s\n", worst, o.batch,
                sameTop1 ? "same" : "DIFFERENT");
}

}  // namespace percept::tools
