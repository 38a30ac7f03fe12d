// One factory per layer kind; registry.cpp lists them, one line each.
#pragma once
#include "layer_kind.h"

namespace nw::layers {
LayerKind input();
LayerKind output();
LayerKind conv2d();
LayerKind depthwiseConv2d();
LayerKind separableConv2d();
LayerKind convTranspose2d();
LayerKind maxPool2d();
LayerKind avgPool2d();
LayerKind adaptiveAvgPool2d();
LayerKind globalAvgPool();
LayerKind globalMaxPool();
LayerKind batchNorm2d();
LayerKind lrn();
LayerKind relu();
LayerKind leakyRelu();
LayerKind relu6();
LayerKind hardSigmoid();
LayerKind hardSwish();
LayerKind sigmoid();
LayerKind tanh();
LayerKind softmax();
LayerKind dropout();
LayerKind flatten();
LayerKind linear();
LayerKind concat();
LayerKind add();
LayerKind mul();
LayerKind zeroPadChannels();
}  // namespace nw::layers
