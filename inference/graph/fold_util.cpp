// SPDX-License-Identifier: Apache-2.0
#include "graph/fold_util.h"

#include "graph/loop_nest.h"

namespace percept::graph::fold {

ConstPtr makeInts(Shape shape, std::vector<int64_t> vals, DType t) {
    auto d = std::make_shared<TensorData>();
    d->dtype = t;
    d->shape = std::move(shape);
    d->i = std::move(vals);
    return d;
}

ConstPtr makeFloats(Shape shape, std::vector<float> vals) {
    auto d = std::make_shared<TensorData>();
    d->dtype = DType::Float32;
    d->shape = std::move(shape);
    d->f = std::move(vals);
    return d;
}

bool foldable(const Shape& s) {
    int64_t count = 1;
    for (int64_t d : s) {
        if (d < 0) return false;
        if (d != 0 && count > kMaxFoldElements / d) return false;
        count *= d;
    }
    return count <= kMaxFoldElements;
}

void checkFoldShape(const Node& n, const Shape& s) {
    schema::checkShape(n, s);
    if (!foldable(s))
        schema::fail(n, "folding it at load time would make a constant of " + shapeToString(s) + " values, more than the engine folds (" +
                            std::to_string(kMaxFoldElements) + ")");
}

DType dtypeOfOnnx(const Node& n, int64_t t) {
    switch (t) {
        case 1:    // float
        case 10:   // float16
        case 11:   // double
        case 16:   // bfloat16
            return DType::Float32;
        case 2: case 3: case 4: case 5: case 6: case 7: case 12: case 13:  // (u)int8 .. (u)int64
            return DType::Int64;
        case 9: return DType::Bool;
        default: schema::fail(n, "element type " + std::to_string(t) + " is not supported");
    }
}

BroadcastWalk::BroadcastWalk(const Shape& out, const std::vector<Shape>& ins) : out_(out), c_(out.size(), 0), off_(ins.size(), 0) {
    for (const Shape& s : ins) st_.push_back(broadcastStrides(s, out.size()));
}

void BroadcastWalk::next() {
    for (size_t k = out_.size(); k-- > 0;) {
        for (size_t i = 0; i < st_.size(); ++i) off_[i] += st_[i][k];
        if (++c_[k] < out_[k]) return;
        for (size_t i = 0; i < st_.size(); ++i) off_[i] -= c_[k] * st_[i][k];
        c_[k] = 0;
    }
}

}  // namespace percept::graph::fold
