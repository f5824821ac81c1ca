// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): QuantizeLinear and DequantizeLinear of constants, evaluated at load. Weights
// in a QDQ model are int8 constants read through DequantizeLinear; folding makes them the
// Float32 constants the float ops' schemas expect, and each keeps the integers and parameters
// it came from, so the QDQ fusion (fusion_qdq.cpp) takes the int8 weights back unchanged.
#include "graph/fold_util.h"
#include "graph/op_schema.h"
#include "graph/quant.h"

namespace percept::graph::fold {

ConstPtr foldQuantization(Graph& g, const Node& n) {
    const ConstPtr x = g.value(n.inputs.at(0)).constant;
    if (!foldable(x->shape)) return nullptr;  // runs as a node (its kernel reads the constant)
    Node c = n;
    schemaOf(n.op).infer(g, c);  // checks, canonical parameters, the output's type and quant
    const QuantParams p = quantParamsOf(c);
    const int64_t count = x->count();
    auto t = std::make_shared<TensorData>();
    t->shape = x->shape;
    if (n.op == OpKind::QuantizeLinear) {
        const DType to = g.value(c.outputs.at(0)).dtype;
        t->dtype = to;
        t->bytes.resize(static_cast<size_t>(count));
        for (int64_t e = 0; e < count; ++e) {
            const size_t ch = quantChannel(p, x->shape, e);
            t->bytes[static_cast<size_t>(e)] = static_cast<uint8_t>(quantizeOne(x->f[static_cast<size_t>(e)], p.scale[ch], p.zeroPoint[ch], to));
        }
        return t;
    }
    const std::vector<int64_t> q = x->asInts();
    t->dtype = DType::Float32;
    t->f.resize(static_cast<size_t>(count));
    for (int64_t e = 0; e < count; ++e) {
        const size_t ch = quantChannel(p, x->shape, e);
        t->f[static_cast<size_t>(e)] = static_cast<float>(static_cast<double>(q[static_cast<size_t>(e)] - p.zeroPoint[ch]) * p.scale[ch]);
    }
    auto from = std::make_shared<TensorData::Dequantized>();
    from->q = x;
    from->quant = p;
    t->dequantizedFrom = std::move(from);
    return t;
}

}  // namespace percept::graph::fold
