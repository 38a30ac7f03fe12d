// A convolution's backward pass on the forward's GEMM (conv_gemm.cpp): both products are plain
// matrix products, which the GEMM computes as 1×1 convolutions over row-major matrices.
#include <algorithm>
#include <vector>

#include "common.h"
#include "conv_gemm.h"

namespace nw::layers {

namespace {

// C (rows × cols, row-major, `ldc`-wide rows from `offset`) += or = A · B, for packed A (rows × K)
// and row-major B (K × cols): a 1×1 convolution of one "sample" whose K channels are B's rows.
void multiply(const PackedMatrix& a, const float* b, int64_t cols, float* c, int64_t ldc, int64_t offset,
              bool accumulate) {
    convGemm(a, {b, 1, a.cols, 1, cols, 0, Window{}, Pad4{}, c, ldc, 1, cols, offset, nullptr, false, accumulate});
}

}  // namespace

void convGemmBackward(const ConvBackwardArgs& g) {
    const Tensor& x = g.x;
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = g.dy.shape[1], OH = g.dy.shape[2], OW = g.dy.shape[3], P = OH * OW;
    const int64_t icg = C / g.groups, ocg = OC / g.groups, taps = g.win.kh * g.win.kw, K = icg * taps;
    // Samples per chunk: the chunk's im2col (K × P per sample) within about 16 MB.
    const int64_t chunk = std::clamp<int64_t>((int64_t{1} << 22) / std::max<int64_t>(K * P, 1), 1, N);
    std::vector<float> cols(static_cast<size_t>(chunk * K * P)), rows;
    // Input position (ih, iw) of output position q and tap t, or −1 in the padding.
    auto source = [&](int64_t q, int64_t t) -> int64_t {
        const int64_t ih = q / OW * g.win.sh - g.pad.top + t / g.win.kw * g.win.dh;
        const int64_t iw = q % OW * g.win.sw - g.pad.left + t % g.win.kw * g.win.dw;
        return ih < 0 || ih >= H || iw < 0 || iw >= W ? -1 : ih * W + iw;
    };
    for (int64_t group = 0; group < g.groups; ++group) {
        PackedMatrix wT;  // Wᵀ of the group: K × ocg
        if (g.dx) {
            std::vector<float> t(static_cast<size_t>(K * ocg));
            for (int64_t o = 0; o < ocg; ++o)
                for (int64_t k = 0; k < K; ++k)
                    t[static_cast<size_t>(k * ocg + o)] = g.w.ptr()[(group * ocg + o) * K + k];
            wT = packWeights(t.data(), K, ocg);
        }
        for (int64_t n0 = 0; n0 < N; n0 += chunk) {
            const int64_t nb = std::min(chunk, N - n0);
            if (g.dw) {
                // dW (ocg × K) += dY (ocg × nb·P) · im2col(X)ᵀ (nb·P × K), that transposed im2col built whole.
                rows.resize(static_cast<size_t>(ocg * nb * P));
                for (int64_t o = 0; o < ocg; ++o)
                    for (int64_t n = 0; n < nb; ++n)
                        std::copy_n(g.dy.ptr() + ((n0 + n) * OC + group * ocg + o) * P, P,
                                    rows.data() + (o * nb + n) * P);
                const PackedMatrix dyRows = packWeights(rows.data(), ocg, nb * P);
#pragma omp parallel for schedule(static) if (nb * P * K >= kParallelWork)
                for (int64_t r = 0; r < nb * P; ++r) {
                    const float* xs = x.ptr() + ((n0 + r / P) * C + group * icg) * H * W;
                    float* out = cols.data() + r * K;
                    for (int64_t k = 0; k < K; ++k) {
                        const int64_t at = source(r % P, k % taps);
                        out[k] = at < 0 ? 0.0f : xs[k / taps * H * W + at];
                    }
                }
                multiply(dyRows, cols.data(), K, g.dw, OC, group * ocg, true);
            }
            if (g.dx) {
                // im2col(dX) (K × P per sample) = Wᵀ · dY, then each column added onto the input it came from.
                convGemm(wT, {g.dy.ptr() + n0 * OC * P, nb, OC, OH, OW, group * ocg, Window{}, Pad4{}, cols.data(), K,
                              OH, OW, 0, nullptr, false, false});
#pragma omp parallel for collapse(2) schedule(static) if (nb * K * P >= kParallelWork)
                for (int64_t n = 0; n < nb; ++n)
                    for (int64_t c = 0; c < icg; ++c) {
                        float* plane = g.dx + ((n0 + n) * C + group * icg + c) * H * W;
                        for (int64_t t = 0; t < taps; ++t) {
                            const float* col = cols.data() + (n * K + c * taps + t) * P;
                            for (int64_t q = 0; q < P; ++q)
                                if (const int64_t at = source(q, t); at >= 0) plane[at] += col[q];
                        }
                    }
            }
        }
    }
    if (!g.db) return;
#pragma omp parallel for schedule(static) if (N * OC * P >= kParallelWork)
    for (int64_t oc = 0; oc < OC; ++oc) {
        double sum = 0;
        for (int64_t n = 0; n < N; ++n)
            for (int64_t q = 0; q < P; ++q) sum += g.dy.ptr()[(n * OC + oc) * P + q];
        g.db[oc] += static_cast<float>(sum);
    }
}

}  // namespace nw::layers
