// SPDX-License-Identifier: Apache-2.0
#pragma once
// A dense fp32 tensor in NCHW order, owning its data. This is what goes in and out of a
// Session; inside the engine activations live in a planned arena instead.
#include <cstdint>
#include <string>
#include <vector>

namespace percept {

using Shape = std::vector<int64_t>;

int64_t elementCount(const Shape& shape);
std::string shapeToString(const Shape& shape);

struct Tensor {
    Shape shape;
    std::vector<float> data;

    Tensor() = default;
    explicit Tensor(Shape s) : shape(std::move(s)), data(static_cast<size_t>(elementCount(shape)), 0.0f) {}
    Tensor(Shape s, std::vector<float> d) : shape(std::move(s)), data(std::move(d)) {}

    int64_t size() const { return static_cast<int64_t>(data.size()); }
};

}  // namespace percept
