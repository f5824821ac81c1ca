#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# MobileNet v1 1.0/224 with random weights, for timing only: the shape of the model ncnn's int8
# benchmark figures are for (issue 11), which no shared file has (the shared MobileNet v1s are
# 0.5/160 and 0.25/128). Conv+BN+ReLU blocks (the exporter folds the BatchNorms), global average
# pool, a 1000-way Linear; opset 13.
#   usage: export_mobilenet_v1.py OUT.onnx
import sys

import torch
import torch.nn as nn


def block(cin, cout, stride, groups=1):
    k = 3 if groups > 1 or cin == 3 else 1
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def main(out):
    cfg = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] + [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    layers = block(3, 32, 2)
    for cin, cout, s in cfg:
        layers += block(cin, cin, s, groups=cin) + block(cin, cout, 1)

    class MobileNetV1(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.fc = nn.Linear(1024, 1000)

        def forward(self, x):
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))

    torch.manual_seed(0)
    net = MobileNetV1().eval()
    for m in net.modules():  # statistics that keep the activations in a sane range
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    torch.onnx.export(net, torch.randn(1, 3, 224, 224), out, opset_version=13, input_names=["data"], output_names=["logits"])


if __name__ == "__main__":
    main(sys.argv[1])
