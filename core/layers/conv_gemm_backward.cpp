// A convolution's backward pass on the forward's GEMM (conv_gemm.cpp): both products are plain
// matrix products, which the GEMM computes as 1×1 convolutions over row-major matrices.
#include <algorithm>
#include <vector>

#include "common.h"
#include "conv_gemm.h"
#include "simd.h"

namespace nw::layers {

namespace {

// C (rows × cols, row-major, `ldc` rows of the output from `offset`) = A · B, for packed A (rows × K)
// and row-major B (K × cols): a 1×1 convolution of one "sample" whose K channels are B's rows.
void multiply(const PackedMatrix& a, const float* b, int64_t cols, float* c, int64_t ldc, int64_t offset) {
    convGemm(a, {b, 1, a.cols, 1, cols, 0, Window{}, Pad4{}, c, ldc, 1, cols, offset, nullptr, false, false});
}

struct Geometry {
    int64_t C, H, W, OC, OH, OW, P, icg, ocg, taps, K;
};

// im2col(X)ᵀ of samples [n0, n0 + nb) of one group: a row per output position, K = icg·kh·kw columns.
void transposedColumns(const ConvBackwardArgs& g, const Geometry& d, int64_t group, int64_t n0, int64_t nb,
                       float* out) {
    const Window& w = g.win;
    for (int64_t r = 0; r < nb * d.P; ++r, out += d.K) {
        const float* xs = g.x.ptr() + ((n0 + r / d.P) * d.C + group * d.icg) * d.H * d.W;
        const int64_t oh = r % d.P / d.OW, ow = r % d.OW;
        int64_t k = 0;
        for (int64_t c = 0; c < d.icg; ++c, xs += d.H * d.W)
            for (int64_t i = 0; i < w.kh; ++i) {
                const int64_t ih = oh * w.sh - g.pad.top + i * w.dh;
                const bool rowInside = ih >= 0 && ih < d.H;
                for (int64_t j = 0; j < w.kw; ++j, ++k) {
                    const int64_t iw = ow * w.sw - g.pad.left + j * w.dw;
                    out[k] = rowInside && iw >= 0 && iw < d.W ? xs[ih * d.W + iw] : 0.0f;
                }
            }
    }
}

// Adds each column of im2col(dX) (sample-major: nb × K × P) onto the input position it came from.
void scatterColumns(const ConvBackwardArgs& g, const Geometry& d, int64_t group, int64_t n0, int64_t nb,
                    const float* cols) {
    const Window& w = g.win;
    for (int64_t n = 0; n < nb; ++n)
        for (int64_t c = 0; c < d.icg; ++c) {
            float* plane = g.dx + ((n0 + n) * d.C + group * d.icg + c) * d.H * d.W;
            for (int64_t t = 0; t < d.taps; ++t) {
                const float* col = cols + (n * d.K + c * d.taps + t) * d.P;
                const int64_t i = t / w.kw, j = t % w.kw;
                for (int64_t oh = 0; oh < d.OH; ++oh) {
                    const int64_t ih = oh * w.sh - g.pad.top + i * w.dh;
                    if (ih < 0 || ih >= d.H) continue;
                    float* row = plane + ih * d.W;
                    const float* src = col + oh * d.OW;
                    for (int64_t ow = 0; ow < d.OW; ++ow) {
                        const int64_t iw = ow * w.sw - g.pad.left + j * w.dw;
                        if (iw >= 0 && iw < d.W) row[iw] += src[ow];
                    }
                }
            }
        }
}

}  // namespace

// Samples are split into at most 8 chunks whatever the thread count, computed in parallel, each
// with its own part of dW; the parts are summed in chunk order, so the result does not depend on
// the number of threads.
void convGemmBackward(const ConvBackwardArgs& g) {
    const Tensor& x = g.x;
    Geometry d{};
    d.C = x.shape[1], d.H = x.shape[2], d.W = x.shape[3];
    d.OC = g.dy.shape[1], d.OH = g.dy.shape[2], d.OW = g.dy.shape[3], d.P = d.OH * d.OW;
    d.icg = d.C / g.groups, d.ocg = d.OC / g.groups, d.taps = g.win.kh * g.win.kw, d.K = d.icg * d.taps;
    const int64_t N = x.shape[0];
    // A chunk's im2col (K × P per sample) within about 4 MB.
    const int64_t chunk =
        std::clamp<int64_t>(std::min((int64_t{1} << 20) / std::max<int64_t>(d.K * d.P, 1), (N + 7) / 8), 1, N);
    const int64_t chunks = (N + chunk - 1) / chunk;
    std::vector<float> parts(g.dw ? static_cast<size_t>(chunks * d.ocg * d.K) : 0);
    for (int64_t group = 0; group < g.groups; ++group) {
        PackedMatrix wT;  // Wᵀ of the group: K × ocg
        if (g.dx) {
            std::vector<float> t(static_cast<size_t>(d.K * d.ocg));
            for (int64_t o = 0; o < d.ocg; ++o)
                for (int64_t k = 0; k < d.K; ++k)
                    t[static_cast<size_t>(k * d.ocg + o)] = g.w.ptr()[(group * d.ocg + o) * d.K + k];
            wT = packWeights(t.data(), d.K, d.ocg);
        }
#pragma omp parallel for schedule(dynamic) if (chunks > 1)
        for (int64_t ci = 0; ci < chunks; ++ci) {
            const int64_t n0 = ci * chunk, nb = std::min(chunk, N - n0);
            std::vector<float> cols(static_cast<size_t>(nb * d.K * d.P));
            if (g.dw) {
                // dW part (ocg × K) = dY (ocg × nb·P) · im2col(X)ᵀ (nb·P × K).
                std::vector<float> rows(static_cast<size_t>(d.ocg * nb * d.P));
                for (int64_t o = 0; o < d.ocg; ++o)
                    for (int64_t n = 0; n < nb; ++n)
                        std::copy_n(g.dy.ptr() + ((n0 + n) * d.OC + group * d.ocg + o) * d.P, d.P,
                                    rows.data() + (o * nb + n) * d.P);
                const PackedMatrix dyRows = packWeights(rows.data(), d.ocg, nb * d.P);
                transposedColumns(g, d, group, n0, nb, cols.data());
                multiply(dyRows, cols.data(), d.K, parts.data() + ci * d.ocg * d.K, d.ocg, 0);
            }
            if (g.dx) {
                // im2col(dX) (K × P per sample) = Wᵀ · dY, then each column added onto the input it came from.
                convGemm(wT, {g.dy.ptr() + n0 * d.OC * d.P, nb, d.OC, d.OH, d.OW, group * d.ocg, Window{}, Pad4{},
                              cols.data(), d.K, d.OH, d.OW, 0, nullptr, false, false});
                scatterColumns(g, d, group, n0, nb, cols.data());
            }
        }
        if (g.dw)
            for (int64_t ci = 0; ci < chunks; ++ci)
                for (int64_t o = 0; o < d.ocg; ++o) {
                    float* to = g.dw + (group * d.ocg + o) * d.K;
                    const float* from = parts.data() + (ci * d.ocg + o) * d.K;
                    for (int64_t k = 0; k < d.K; ++k) to[k] += from[k];
                }
    }
    if (!g.db) return;
#pragma omp parallel for schedule(static) if (N * d.OC * d.P >= kParallelWork)
    for (int64_t oc = 0; oc < d.OC; ++oc) {
        double total = 0;
        for (int64_t n = 0; n < N; ++n) total += simd::sum(g.dy.ptr() + (n * d.OC + oc) * d.P, d.P);
        g.db[oc] += static_cast<float>(total);
    }
}

}  // namespace nw::layers
