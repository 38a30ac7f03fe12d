// Convolution as a blocked GEMM with the im2col fused into the packing of its right-hand side:
// Y (OC × N·OH·OW) = W (OC × IC·KH·KW) · im2col(X). The weights are packed once (per plan) into the
// micro-kernel's panel order; the input is packed a cache-sized block at a time, never materialised.
#pragma once
#include <cstdint>
#include <memory>

#include "../attr.h"
#include "../layer_kind.h"

namespace nw::layers {

// An M × K row-major matrix (conv weights: M = output channels, K = IC·KH·KW) in panel order.
struct PackedMatrix {
    int64_t rows = 0, cols = 0;
    std::shared_ptr<float[]> data;  // 64-byte aligned
};
PackedMatrix packWeights(const float* weights, int64_t rows, int64_t cols);

// One convolution group: input channels [channelOffset, channelOffset + K/(KH·KW)) of `x`
// (N × inChannels × H × W) into output channels [outOffset, outOffset + weights.rows) of `y`
// (N × outChannels × OH × OW). Bias per output row (may be null); `relu` applied last.
struct ConvGemmArgs {
    const float* x;
    int64_t N, inChannels, H, W, channelOffset;
    Window win;
    Pad4 pad;
    float* y;
    int64_t outChannels, OH, OW, outOffset;
    const float* bias;
    bool relu;
};
void convGemm(const PackedMatrix& weights, const ConvGemmArgs& args);

}  // namespace nw::layers
