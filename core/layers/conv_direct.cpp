#include "conv_direct.h"

#include <algorithm>
#include <vector>

#include "common.h"
#include "simd.h"

namespace nw::layers {
using namespace simd;

// Direct convolution, plain loops over output positions; the reference for faster paths.
void convolve(const Tensor& x, const float* w, const float* b, Tensor& y, int64_t groups, const Window& win,
              const Pad4& p, bool relu) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = y.shape[1], OH = y.shape[2], OW = y.shape[3];
    const int64_t icg = C / groups, ocg = OC / groups;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t oc = 0; oc < OC; ++oc) {
            const int64_t g = oc / ocg;
            float* yo = y.ptr() + (n * OC + oc) * OH * OW;
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    float acc = b ? b[oc] : 0.0f;
                    for (int64_t ic = 0; ic < icg; ++ic) {
                        const float* xi = x.ptr() + (n * C + g * icg + ic) * H * W;
                        const float* wk = w + (oc * icg + ic) * win.kh * win.kw;
                        for (int64_t i = 0; i < win.kh; ++i) {
                            const int64_t ih = oh * win.sh - p.top + i * win.dh;
                            if (ih < 0 || ih >= H) continue;
                            for (int64_t j = 0; j < win.kw; ++j) {
                                const int64_t iw = ow * win.sw - p.left + j * win.dw;
                                if (iw >= 0 && iw < W) acc += xi[ih * W + iw] * wk[i * win.kw + j];
                            }
                        }
                    }
                    yo[oh * OW + ow] = relu && acc < 0 ? 0.0f : acc;
                }
        }
}

void convolveBackward(const Tensor& x, const float* w, const Tensor& dy, float* dx, float* dw, float* db,
                      int64_t groups, const Window& win, const Pad4& p) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = dy.shape[1], OH = dy.shape[2], OW = dy.shape[3];
    const int64_t icg = C / groups, ocg = OC / groups, taps = win.kh * win.kw;
    const bool shared = N * OC * OH * OW * icg * taps >= kParallelWork;
    // Visits the taps of output (oh, ow) that fall inside the input: f(input offset, tap).
    auto eachTap = [&](int64_t oh, int64_t ow, auto&& f) {
        for (int64_t i = 0; i < win.kh; ++i) {
            const int64_t ih = oh * win.sh - p.top + i * win.dh;
            if (ih < 0 || ih >= H) continue;
            for (int64_t j = 0; j < win.kw; ++j) {
                const int64_t iw = ow * win.sw - p.left + j * win.dw;
                if (iw >= 0 && iw < W) f(ih * W + iw, i * win.kw + j);
            }
        }
    };
    if (dx) {  // each (sample, input channel) plane gathers from its group's output channels
#pragma omp parallel for collapse(2) schedule(static) if (shared)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t ic = 0; ic < C; ++ic) {
                const int64_t g = ic / icg, local = ic % icg;
                float* dxi = dx + (n * C + ic) * H * W;
                for (int64_t oc = g * ocg; oc < (g + 1) * ocg; ++oc) {
                    const float* dyo = dy.ptr() + (n * OC + oc) * OH * OW;
                    const float* wk = w + (oc * icg + local) * taps;
                    for (int64_t oh = 0; oh < OH; ++oh)
                        for (int64_t ow = 0; ow < OW; ++ow) {
                            const float d = dyo[oh * OW + ow];
                            eachTap(oh, ow, [&](int64_t at, int64_t tap) { dxi[at] += d * wk[tap]; });
                        }
                }
            }
    }
    if (!dw && !db) return;
        // Each output channel's kernel and bias sum over samples and positions.
#pragma omp parallel for schedule(static) if (shared)
    for (int64_t oc = 0; oc < OC; ++oc) {
        const int64_t g = oc / ocg;
        double bias = 0;
        std::vector<double> kernel(static_cast<size_t>(dw ? icg * taps : 0));  // sums of many terms
        for (int64_t n = 0; n < N; ++n) {
            const float* dyo = dy.ptr() + (n * OC + oc) * OH * OW;
            for (int64_t q = 0; q < OH * OW; ++q) bias += dyo[q];
            if (!dw) continue;
            for (int64_t local = 0; local < icg; ++local) {
                const float* xi = x.ptr() + (n * C + g * icg + local) * H * W;
                double* wk = kernel.data() + local * taps;
                for (int64_t oh = 0; oh < OH; ++oh)
                    for (int64_t ow = 0; ow < OW; ++ow) {
                        const float d = dyo[oh * OW + ow];
                        eachTap(oh, ow, [&](int64_t at, int64_t tap) { wk[tap] += d * xi[at]; });
                    }
            }
        }
        for (size_t k = 0; k < kernel.size(); ++k)
            dw[oc * icg * taps + static_cast<int64_t>(k)] += static_cast<float>(kernel[k]);
        if (db) db[oc] += static_cast<float>(bias);
    }
}

// Depthwise convolution (groups = C_in, C_out = C_in × multiplier). Stride 1: each channel is copied
// into a zero-padded plane read as one long row, so a vector of outputs takes its taps as plain vector
// loads at fixed offsets, summed in a register; this vectorises even on 7×7 or 19×19 maps. Other
// strides: per output row, a scaled, shifted input row is added for each tap.
constexpr int64_t kDepthwiseBlock = 4;
template <typename Map>
void depthwise(const Tensor& x, const float* w, const float* b, Map& y, const Window& win, const Pad4& p, bool relu) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = y.shape[1], OH = y.shape[2], OW = y.shape[3], mult = OC / C;
    const bool wide = win.sh == 1 && win.sw == 1;
    const int64_t Hp = H + p.top + p.bottom, Wp = W + p.left + p.right;
#pragma omp parallel if (N * OC * OH * OW * win.kh * win.kw >= kParallelWork)
    {
        // Slack for the last block of vectors, which may read and write past the plane.
        const int64_t slack = kDepthwiseBlock * kLanes;
        std::vector<float> padded(wide ? static_cast<size_t>(Hp * Wp + slack) : 0),
            rows(wide ? static_cast<size_t>(OH * Wp + slack) : 0);
        int64_t plane = -1;  // the input plane `padded` holds
#pragma omp for collapse(2) schedule(static)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t oc = 0; oc < OC; ++oc) {
                const float* xi = x.ptr() + (n * C + oc / mult) * H * W;
                const float* wk = w + oc * win.kh * win.kw;
                float* yo = y.ptr() + (n * OC + oc) * OH * OW;
                const float bias = b ? b[oc] : 0.0f;
                if (wide) {
                    if (plane != n * C + oc / mult) {  // shared by the channel's multiplier outputs
                        plane = n * C + oc / mult;
                        std::fill(padded.begin(), padded.end(), 0.0f);
                        for (int64_t h = 0; h < H; ++h)
                            copyShort(xi + h * W, W, padded.data() + (h + p.top) * Wp + p.left);
                    }
                    // The plane read as one row: output q (in the padded width) is Σ w_ij · padded[q + i·dh·Wp
                    // + j·dw]; a vector of q at a time, its taps summed in a register. The columns past
                    // OW in each row are computed and dropped.
                    // Four vectors at a time: four independent chains of multiply-adds hide their latency.
                    const int64_t span = (OH - 1) * Wp + OW;
                    for (int64_t q = 0; q < span; q += kDepthwiseBlock * kLanes) {
                        Vec acc[kDepthwiseBlock];
                        for (Vec& a : acc) a = vset(bias);
                        for (int64_t i = 0; i < win.kh; ++i)
                            for (int64_t j = 0; j < win.kw; ++j) {
                                const Vec wv = vset(wk[i * win.kw + j]);
                                const float* src = padded.data() + q + i * win.dh * Wp + j * win.dw;
                                for (int64_t v = 0; v < kDepthwiseBlock; ++v)
                                    acc[v] = vfma(wv, vload(src + v * kLanes), acc[v]);
                            }
                        for (int64_t v = 0; v < kDepthwiseBlock; ++v)
                            vstore(rows.data() + q + v * kLanes, relu ? vmax(acc[v], vzero()) : acc[v]);
                    }
                    for (int64_t oh = 0; oh < OH; ++oh) copyShort(rows.data() + oh * Wp, OW, yo + oh * OW);
                    continue;
                }
                for (int64_t oh = 0; oh < OH; ++oh) {
                    float* row = yo + oh * OW;
                    std::fill(row, row + OW, bias);
                    for (int64_t i = 0; i < win.kh; ++i) {
                        const int64_t ih = oh * win.sh - p.top + i * win.dh;
                        if (ih < 0 || ih >= H) continue;
                        const float* xr = xi + ih * W;
                        for (int64_t j = 0; j < win.kw; ++j) {
                            const float wv = wk[i * win.kw + j];
                            const int64_t off = j * win.dw - p.left;  // input column = ow · stride + off
                            const int64_t lo = off < 0 ? (-off + win.sw - 1) / win.sw : 0;
                            const int64_t hi = std::min(OW, W - 1 - off < 0 ? 0 : (W - 1 - off) / win.sw + 1);
                            for (int64_t ow = lo; ow < hi; ++ow) row[ow] += wv * xr[ow * win.sw + off];
                        }
                    }
                    if (relu)
                        for (int64_t ow = 0; ow < OW; ++ow) row[ow] = row[ow] < 0 ? 0.0f : row[ow];
                }
            }
    }
}

template void depthwise<Tensor>(const Tensor&, const float*, const float*, Tensor&, const Window&, const Pad4&, bool);
template void depthwise<MapView>(const Tensor&, const float*, const float*, MapView&, const Window&, const Pad4&, bool);

}  // namespace nw::layers
