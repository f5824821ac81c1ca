// SPDX-License-Identifier: Apache-2.0
#include "graph/window.h"

#include "percept/error.h"

namespace percept::graph {

Spatial3 spatial3(const Node& n, const Shape& x, const Shape& y) {
    if (x.size() < 3 || x.size() > 5 || y.size() != x.size())
        throw Error(n.describe() + ": only 1-D, 2-D and 3-D windows are supported (input " + shapeToString(x) + ", output " + shapeToString(y) + ")");
    const size_t sp = x.size() - 2;
    const auto kernel = n.attrInts("kernel_shape"), strides = n.attrInts("strides"), dil = n.attrInts("dilations"), pads = n.attrInts("pads");
    if (kernel.size() != sp || strides.size() != sp || dil.size() != sp || pads.size() != 2 * sp)
        throw Error(n.describe() + ": kernel_shape/strides/dilations/pads must describe " + std::to_string(sp) +
                    " spatial axes (the schema writes them)");
    Spatial3 s;
    s.spatialAxes = static_cast<int>(sp);
    const size_t lead = 3 - sp;  // leading axes of size 1
    for (size_t k = 0; k < sp; ++k) {
        s.in[lead + k] = x[2 + k], s.out[lead + k] = y[2 + k];
        s.kernel[lead + k] = kernel[k], s.stride[lead + k] = strides[k], s.dilation[lead + k] = dil[k];
        s.padBegin[lead + k] = pads[k], s.padEnd[lead + k] = pads[sp + k];
    }
    return s;
}

}  // namespace percept::graph
