// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016) over the blocked GEMM of conv_gemm.cpp: input
// tiles and kernels transformed, 16 GEMMs, the products transformed back.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "conv_gemm.h"
#include "simd.h"

namespace nw::layers {
using namespace simd;
namespace {
constexpr int64_t NR = kPanelColumns;
}  // namespace

namespace {
constexpr int64_t kMinWinogradTiles = 32;  // fewer tiles leave the GEMMs' 32-column panels half empty
}  // namespace

bool winogradSuits(const Window& win, int64_t groups, int64_t N, int64_t OH, int64_t OW) {
    return win.kh == 3 && win.kw == 3 && win.sh == 1 && win.sw == 1 && win.dh == 1 && win.dw == 1 && groups == 1 &&
           N * ((OH + 1) / 2) * ((OW + 1) / 2) >= kMinWinogradTiles;
}

WinogradWeights packWinograd(const float* w, int64_t OC, int64_t IC) {
    // U = G g Gᵀ, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    std::vector<float> u(static_cast<size_t>(16 * OC * IC));
    for (int64_t o = 0; o < OC; ++o)
        for (int64_t i = 0; i < IC; ++i) {
            const float* g = w + (o * IC + i) * 9;
            float t[4][3];  // G g
            for (int c = 0; c < 3; ++c) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; ++r) {
                const float v[4] = {t[r][0], 0.5f * (t[r][0] + t[r][1] + t[r][2]), 0.5f * (t[r][0] - t[r][1] + t[r][2]),
                                    t[r][2]};
                for (int c = 0; c < 4; ++c) u[static_cast<size_t>(((r * 4 + c) * OC + o) * IC + i)] = v[c];
            }
        }
    WinogradWeights out;
    for (int64_t xi = 0; xi < 16; ++xi) out.parts.push_back(packWeights(u.data() + xi * OC * IC, OC, IC));
    return out;
}

namespace {

// Y = Aᵀ m A (+ bias, ReLU) for kLanes tiles starting at `tw`, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; the
// two output rows' even and odd columns go to rows[0…3].
inline void outputTiles(const float* in, int64_t stride, int64_t tw, Vec bias, bool relu, float* const rows[4]) {
    Vec s[2][4];
    for (int j = 0; j < 4; ++j) {
        const Vec a0 = vload(in + (0 * 4 + j) * stride + tw), a1 = vload(in + (1 * 4 + j) * stride + tw);
        const Vec a2 = vload(in + (2 * 4 + j) * stride + tw), a3 = vload(in + (3 * 4 + j) * stride + tw);
        s[0][j] = a0 + a1 + a2;
        s[1][j] = a1 - a2 - a3;
    }
    for (int i = 0; i < 2; ++i) {
        Vec y0 = s[i][0] + s[i][1] + s[i][2] + bias, y1 = s[i][1] - s[i][2] - s[i][3] + bias;
        if (relu) y0 = vmax(y0, vzero()), y1 = vmax(y1, vzero());
        vstore(rows[2 * i] + tw, y0);
        vstore(rows[2 * i + 1] + tw, y1);
    }
}

// Calls f(n, th, tw0, len, offset) for the runs of tiles [t0, t1) (t = (n·tH + th)·tW + tw) that lie in
// one tile row; `offset` is the run's first tile relative to t0.
template <typename F>
inline void forTileRuns(int64_t t0, int64_t t1, int64_t tH, int64_t tW, F&& f) {
    for (int64_t t = t0; t < t1;) {
        const int64_t row = t / tW, tw = t % tW, len = std::min(tW - tw, t1 - t);
        f(row / tH, row % tH, tw, len, t - t0);
        t += len;
    }
}

// V_ξ[c][t − t0] = (Bᵀ d B)_ξ for channels [c0, c1) and tiles [t0, t1) of the zero-padded input; row c of
// V_ξ starts at v + ξ·xiStride + c·ldv. Per run of tiles in a tile row: each of its 4 input rows is
// copied with its padding, split into even and odd columns and transformed along the row (Z = d B) a
// vector of tiles at a time; then the columns (V = Bᵀ Z).
void winogradInput(const ConvGemmArgs& g, int64_t c0, int64_t c1, int64_t t0, int64_t t1, float* v, int64_t ldv,
                   int64_t xiStride) {
    const int64_t tH = (g.OH + 1) / 2, tW = (g.OW + 1) / 2, H = g.H, W = g.W;
    const int64_t tWr = (tW + kLanes - 1) / kLanes * kLanes;
    float* row = scratch(2, static_cast<size_t>(2 * tWr + 2)).data();
    float* z = scratch(3, static_cast<size_t>(16 * tWr)).data();  // Z[i][j] at z + (4i + j)·tWr
    for (int64_t c = c0; c < c1; ++c)
        forTileRuns(t0, t1, tH, tW, [&](int64_t n, int64_t th, int64_t tw0, int64_t len, int64_t offset) {
            const float* plane = g.x + (n * g.inChannels + c) * H * W;
            const int64_t lenR = (len + kLanes - 1) / kLanes * kLanes, span = 2 * lenR + 2;
            const int64_t col0 = 2 * tw0 - g.pad.left;  // input column of the run's first padded column
            for (int64_t i = 0; i < 4; ++i) {
                float* zi = z + 4 * i * tWr;
                const int64_t ih = 2 * th + i - g.pad.top;
                if (ih < 0 || ih >= H) {
                    for (int64_t j = 0; j < 4; ++j) std::fill_n(zi + j * tWr, lenR, 0.0f);
                    continue;
                }
                const int64_t lo = std::clamp<int64_t>(-col0, 0, span), hi = std::clamp<int64_t>(W - col0, lo, span);
                std::fill_n(row, lo, 0.0f);
                std::copy(plane + ih * W + col0 + lo, plane + ih * W + col0 + hi, row + lo);
                std::fill(row + hi, row + span, 0.0f);
                for (int64_t k = 0; k < lenR;
                     k += kLanes) {  // d B, Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
                    Vec d0, d1, d2, d3;
                    deinterleave(row + 2 * k, d0, d1);
                    deinterleave(row + 2 * k + 2, d2, d3);
                    vstore(zi + k, d0 - d2);
                    vstore(zi + tWr + k, d1 + d2);
                    vstore(zi + 2 * tWr + k, d2 - d1);
                    vstore(zi + 3 * tWr + k, d1 - d3);
                }
            }
            float* out = v + c * ldv + offset;
            for (int64_t j = 0; j < 4; ++j) {  // Bᵀ Z
                const float* z0 = z + j * tWr;
                const float *z1 = z0 + 4 * tWr, *z2 = z0 + 8 * tWr, *z3 = z0 + 12 * tWr;
                float *o0 = out + j * xiStride, *o1 = out + (4 + j) * xiStride;
                float *o2 = out + (8 + j) * xiStride, *o3 = out + (12 + j) * xiStride;
                for (int64_t k = 0; k < len; k += kLanes) {  // V's rows are packed: store no further than len
                    const Vec a0 = vload(z0 + k), a1 = vload(z1 + k), a2 = vload(z2 + k), a3 = vload(z3 + k);
                    vstoreUpTo(o0 + k, a0 - a2, len - k);
                    vstoreUpTo(o1 + k, a1 + a2, len - k);
                    vstoreUpTo(o2 + k, a2 - a1, len - k);
                    vstoreUpTo(o3 + k, a1 - a3, len - k);
                }
            }
        });
}

// Y = Aᵀ M_ξ A (+ bias, residual, ReLU) for output channels [o0, o1) and tiles [t0, t1); row o of M_ξ
// starts at m + ξ·xiStride + o·ldm, and M has kLanes floats of slack at its end (whole vectors are
// read past a run's last tile).
void winogradOutput(const ConvGemmArgs& g, int64_t o0, int64_t o1, int64_t t0, int64_t t1, const float* m, int64_t ldm,
                    int64_t xiStride) {
    const int64_t tH = (g.OH + 1) / 2, tW = (g.OW + 1) / 2;
    const int64_t tWr = (tW + kLanes - 1) / kLanes * kLanes;
    float* rows[4];  // the two output rows' even and odd columns
    rows[0] = scratch(2, static_cast<size_t>(4 * tWr)).data();
    for (int i = 1; i < 4; ++i) rows[i] = rows[i - 1] + tWr;
    const bool relu = g.relu && !g.accumulate;  // with a residual, the ReLU comes after the add
    const Vec zero = vzero();
    for (int64_t o = o0; o < o1; ++o)
        forTileRuns(t0, t1, tH, tW, [&](int64_t n, int64_t th, int64_t tw0, int64_t len, int64_t offset) {
            const Vec bias = vset(g.bias ? g.bias[o] : 0.0f);
            const float* in = m + o * ldm + offset;
            for (int64_t tw = 0; tw < len; tw += kLanes) outputTiles(in, xiStride, tw, bias, relu, rows);
            float* yo = g.y + (n * g.outChannels + g.outOffset + o) * g.OH * g.OW;
            const int64_t col0 = 2 * tw0, cols = std::min(2 * len, g.OW - col0);
            for (int64_t i = 0; i < 2 && 2 * th + i < g.OH; ++i) {  // interleave the even and odd columns
                float* dst = yo + (2 * th + i) * g.OW + col0;
                for (int64_t k = 0; 2 * k < cols; k += kLanes) {
                    const int64_t left = cols - 2 * k;
                    Vec lo, hi;
                    interleave(vload(rows[2 * i] + k), vload(rows[2 * i + 1] + k), lo, hi);
                    float* d = dst + 2 * k;
                    if (g.accumulate) {
                        lo = vadd(lo, vloadUpTo(d, left)), hi = vadd(hi, vloadUpTo(d + kLanes, left - kLanes));
                        if (g.relu) lo = vmax(lo, zero), hi = vmax(hi, zero);
                    }
                    vstoreUpTo(d, lo, left);
                    vstoreUpTo(d + kLanes, hi, left - kLanes);
                }
            }
        });
}

// The 16 GEMMs M_ξ (OC × cnt) = U_ξ · V_ξ (IC × cnt) on this thread.
void winogradProducts(const WinogradWeights& wts, const float* v, int64_t C, float* m, int64_t OC, int64_t cnt,
                      int64_t xi0, int64_t xi1) {
    for (int64_t xi = xi0; xi < xi1; ++xi)
        convGemm(wts.parts[static_cast<size_t>(xi)], {v + xi * C * cnt, 1, C, 1, cnt, 0, Window{}, Pad4{},
                                                      m + xi * OC * cnt, OC, 1, cnt, 0, nullptr, false});
}

// V and M of one chunk of tiles should stay in a core's L2 (1 MB here, on AMD Zen 4).
constexpr int64_t kChunkFloats = int64_t{1} << 18;

}  // namespace

namespace {
// The tiles per chunk whose V and M fit kChunkFloats, and whether to work in chunks: when re-reading
// the transformed weights U per chunk costs less than V and M's round trip through memory (few
// channels, many tiles: ResNet's 56×56 and 28×28 stages at batch 8, whose V and M exceed L3).
int64_t chunkTiles(int64_t C, int64_t OC) { return std::max(NR, kChunkFloats / (16 * (C + OC)) / NR * NR); }
bool chunked(int64_t C, int64_t OC, int64_t tiles) {
    const int64_t fit = chunkTiles(C, OC);
    return 2 * fit * (C + OC) > C * OC && tiles > fit;
}
int64_t winogradTiles(int64_t N, int64_t OH, int64_t OW) { return N * ((OH + 1) / 2) * ((OW + 1) / 2); }
}  // namespace

int64_t winogradWorkspace(int64_t C, int64_t OC, int64_t N, int64_t OH, int64_t OW) {
    const int64_t tiles = winogradTiles(N, OH, OW);
    return chunked(C, OC, tiles) ? 0 : 16 * (C + OC) * tiles + kLanes;  // V, then M with slack
}

void convWinograd(const WinogradWeights& wts, const ConvGemmArgs& g, float* workspace) {
    const int64_t C = g.inChannels, OC = g.outChannels, tiles = winogradTiles(g.N, g.OH, g.OW);
    // Chunked: each thread transforms a chunk of tiles, multiplies and transforms it back while it is in
    // L2. Whole layer: V and M go through memory once, U is read once.
    if (chunked(C, OC, tiles)) {
        const int64_t threads = onCallerThreadOnly() ? 1 : omp_get_max_threads();
        const int64_t perThread = ((tiles + threads - 1) / threads + NR - 1) / NR * NR;
        const int64_t chunk = std::min(chunkTiles(C, OC), perThread), chunks = (tiles + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic)
        for (int64_t q = 0; q < chunks; ++q) {
            const int64_t t0 = q * chunk, t1 = std::min(tiles, t0 + chunk), cnt = t1 - t0;
            float* v = scratch(0, static_cast<size_t>(16 * C * cnt)).data();
            float* m = scratch(1, static_cast<size_t>(16 * OC * cnt + kLanes)).data();
            winogradInput(g, 0, C, t0, t1, v, cnt, C * cnt);
            winogradProducts(wts, v, C, m, OC, cnt, 0, 16);
            winogradOutput(g, 0, OC, t0, t1, m, cnt, OC * cnt);
        }
        return;
    }
    std::vector<float> own;
    if (!workspace) {
        own.resize(static_cast<size_t>(winogradWorkspace(C, OC, g.N, g.OH, g.OW)));
        workspace = own.data();
    }
    float* v = workspace;
    float* m = workspace + 16 * C * tiles;
#pragma omp parallel
    {
        const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
        winogradInput(g, C * t / nt, C * (t + 1) / nt, 0, tiles, v, tiles, C * tiles);
#pragma omp barrier
#pragma omp for schedule(dynamic)
        for (int64_t xi = 0; xi < 16; ++xi) winogradProducts(wts, v, C, m, OC, tiles, xi, xi + 1);
        winogradOutput(g, OC * t / nt, OC * (t + 1) / nt, 0, tiles, m, tiles, OC * tiles);
    }
}

}  // namespace nw::layers
