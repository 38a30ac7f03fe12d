// Convolution as a blocked GEMM with the im2col fused into the packing of its right-hand side:
// Y (OC × N·OH·OW) = W (OC × IC·KH·KW) · im2col(X). The weights are packed once (per plan) into the
// micro-kernel's panel order; the input is packed a cache-sized block at a time, never materialised.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "attr.h"
#include "layer_kind.h"
#include "simd.h"
#include "tensor.h"

namespace nw::layers {

// The micro-kernel's column block: output positions per packed panel (two SIMD vectors). Winograd's
// chunks of tiles are multiples of it.
constexpr int64_t kPanelColumns = 2 * simd::kLanes;
// Per-thread scratch of at least n floats, kept between calls (which: 0 and 1 a Winograd chunk's V and
// M, 2 and 3 the transforms' rows, 4 the padded input of the small stride-1 path, 5, 6 and 7 the
// backward's transposed columns, output-gradient rows and one sample's im2col).
std::vector<float>& scratch(int which, size_t n);

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
    bool accumulate = false;  // add to what `y` holds (a fused residual), before the ReLU
};
void convGemm(const PackedMatrix& weights, const ConvGemmArgs& args);

// The gradients of a (grouped) convolution as GEMMs on the same micro-kernel, a chunk of samples at a
// time: per group, dX's columns = Wᵀ · dY (then scattered back onto the input, col2im) and
// dW += dY · im2col(X)ᵀ; db += Σ dY. Adds into dx, dw, db; any may be null.
struct ConvBackwardArgs {
    const Tensor& x;
    const Tensor& w;   // OC × IC/groups × KH × KW
    const Tensor& dy;  // N × OC × OH × OW
    float *dx, *dw, *db;
    int64_t groups;
    Window win;
    Pad4 pad;
};
void convGemmBackward(const ConvBackwardArgs& args);

// Winograd F(2×2, 3×3) for 3×3, stride-1, undilated, ungrouped convolutions (Lavin & Gray 2016):
// each 4×4 input tile and 3×3 kernel are transformed, 16 GEMMs (OC × IC by IC × tiles) replace the
// 36 multiplies per output pair by 16, and the result is transformed back. 2.25× fewer multiplies
// than im2col; worth it when there are enough tiles to keep the GEMMs' panels full.
struct WinogradWeights {
    std::vector<PackedMatrix> parts;  // 16: U_ξ = (G g Gᵀ)_ξ, OC × IC each
};
WinogradWeights packWinograd(const float* weights, int64_t outChannels, int64_t inChannels);
bool winogradSuits(const Window& win, int64_t groups, int64_t N, int64_t OH, int64_t OW);
// Floats of scratch convWinograd needs from its caller to transform the whole layer at once: 0 when it
// works in per-thread chunks of tiles that fit in L2 (few channels, many tiles).
int64_t winogradWorkspace(int64_t inChannels, int64_t outChannels, int64_t N, int64_t OH, int64_t OW);
// `workspace`: winogradWorkspace(...) floats, or null to allocate them here.
void convWinograd(const WinogradWeights& weights, const ConvGemmArgs& args, float* workspace = nullptr);

}  // namespace nw::layers
