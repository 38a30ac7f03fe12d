// Direct convolutions: the plain loop every faster path is checked against, and the depthwise
// kernel (one filter per channel: too little work per output for a GEMM).
#pragma once
#include "layer_kind.h"
#include "tensor.h"

namespace nw::layers {

// A feature map held elsewhere (a plan's workspace): what the kernels below read of a Tensor.
struct MapView {
    Shape shape;
    float* data;
    float* ptr() const { return data; }
};

// Plain loops over output positions (groups dividing the channels); the reference for faster paths.
void convolve(const Tensor& x, const float* w, const float* b, Tensor& y, int64_t groups, const Window& win,
              const Pad4& p, bool relu = false);

// The gradients of `convolve` by plain loops: dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b for the output
// gradient dy (any of dx, dw, db may be null). The reference for the GEMM backward, and the backward
// of depthwise convolutions, which have too little work per output for a GEMM.
void convolveBackward(const Tensor& x, const float* w, const Tensor& dy, float* dx, float* dw, float* db,
                      int64_t groups, const Window& win, const Pad4& p);

// groups = C_in, C_out = C_in × multiplier; into a Tensor or a MapView (a plan's workspace).
template <typename Map>
void depthwise(const Tensor& x, const float* w, const float* b, Map& y, const Window& win, const Pad4& p, bool relu);

}  // namespace nw::layers
