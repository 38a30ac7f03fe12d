// Pooling: MaxPool2d, AvgPool2d (PyTorch semantics incl. ceil_mode), AdaptiveAvgPool2d, GlobalAvgPool.
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "tensor.h"
#include "common.h"
#include "kinds.h"
#include "simd.h"

namespace nw::layers {
using namespace simd;
namespace {

Window poolWindow(const NodeAttrs& a, const Shape&) {
    auto [kh, kw] = a.i2("kernel_size");
    auto [sh, sw] = a.i2("stride");
    Window w{kh, kw, sh ? sh : kh, sw ? sw : kw, 1, 1};
    if (a.kind().attr("dilation")) std::tie(w.dh, w.dw) = a.i2("dilation");
    return w;
}

std::optional<std::vector<Shape>> poolInfer(ShapeContext& ctx) {
    if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
    Window w = poolWindow(ctx.attrs, ctx.in());
    Pad4 p = resolvePadding(ctx.attrs, w, ctx.in()[2], ctx.in()[3]);
    // A window wholly inside the padding has nothing to pool. PyTorch is stricter (at most half the
    // kernel) while ONNX allows more, so that is only a warning.
    const std::string pad = formatAttrValue(ctx.attrs.get("padding"));
    const std::string kernel = std::to_string(w.kh) + "×" + std::to_string(w.kw);
    if (std::max(p.top, p.bottom) >= w.kh || std::max(p.left, p.right) >= w.kw) {
        ctx.error("in",
                  "padding " + pad + " is not smaller than the kernel " + kernel + ": windows would see only padding");
        return std::nullopt;
    }
    if (std::max(p.top, p.bottom) > w.kh / 2 || std::max(p.left, p.right) > w.kw / 2)
        ctx.warning("in",
                    "padding " + pad + " exceeds half the kernel " + kernel + "; PyTorch would refuse this pooling");
    auto hw = windowOutput(ctx, w, p, ctx.attrs.b("ceil_mode"));
    if (!hw) return std::nullopt;
    return std::vector<Shape>{{ctx.in()[0], ctx.in()[1], hw->first, hw->second}};
}

std::vector<AttrSpec> poolAttrs() {
    return {int2Attr("kernel_size", 2, 1, kMaxSpatial, "window height and width"),
            int2Attr("stride", 0, 0, kMaxSpatial, "step between windows; 0 means the kernel size"),
            paddingAttr("padding: n, (h, w), (top, left, bottom, right), \"same\" or \"valid\""),
            boolAttr("ceil_mode", false, "round the output size up (PyTorch ceil_mode)")};
}

// PyTorch's pooling windows: rows [start, end) clipped to the input; `padded_end` also counts the
// padding (for count_include_pad).
struct PoolSpan {
    int64_t start, end, padded;
};
PoolSpan poolSpan(int64_t o, int64_t stride, int64_t pad_before, int64_t pad_after, int64_t kernel, int64_t size) {
    int64_t s = o * stride - pad_before;
    int64_t e = std::min(s + kernel, size + pad_after);
    int64_t padded = e - s;
    return {std::max<int64_t>(s, 0), std::min(e, size), padded};
}

template <typename Reduce>
void poolForward(const KernelArgs& k, Reduce reduce) {
    const Tensor& x = *k.inputs[0];
    Tensor& y = k.out;
    const WindowParams& params = k.params<WindowParams>();
    const Window& w = params.win;
    const Pad4& p = params.pad;
    const int64_t H = x.shape[2], W = x.shape[3], OH = y.shape[2], OW = y.shape[3];
    const int64_t planes = x.shape[0] * x.shape[1];
#pragma omp parallel for schedule(static) if (planes * OH * OW * w.kh * w.kw >= kParallelWork)
    for (int64_t c = 0; c < planes; ++c) {
        const float* xi = x.ptr() + c * H * W;
        float* yo = y.ptr() + c * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow) yo[oh * OW + ow] = reduce(xi, H, W, oh, ow, w, p);
    }
}

float maxWindow(const float* xi, int64_t H, int64_t W, int64_t oh, int64_t ow, const Window& w, const Pad4& p) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < w.kh; ++i) {
        int64_t ih = oh * w.sh - p.top + i * w.dh;
        if (ih < 0 || ih >= H) continue;
        for (int64_t j = 0; j < w.kw; ++j) {
            int64_t iw = ow * w.sw - p.left + j * w.dw;
            if (iw >= 0 && iw < W) m = std::max(m, xi[ih * W + iw]);
        }
    }
    return m;
}

template <bool IncludePad>
float meanWindow(const float* xi, int64_t H, int64_t W, int64_t oh, int64_t ow, const Window& w, const Pad4& p) {
    PoolSpan r = poolSpan(oh, w.sh, p.top, p.bottom, w.kh, H), c = poolSpan(ow, w.sw, p.left, p.right, w.kw, W);
    float sum = 0;
    for (int64_t ih = r.start; ih < r.end; ++ih)
        for (int64_t iw = c.start; iw < c.end; ++iw) sum += xi[ih * W + iw];
    int64_t count = IncludePad ? r.padded * c.padded : (r.end - r.start) * (c.end - c.start);
    return count > 0 ? sum / static_cast<float>(count) : 0.0f;
}

// Max pooling, separably: per output row, the maximum over the window's input rows (contiguous, one
// vector op per element and row) into a row padded with −∞, then the maximum over the window's
// columns of that row (shifted vectors; every other element for stride 2). `maxWindow` is its plain
// reference.
void maxPoolRows(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    Tensor& y = k.out;
    const WindowParams& params = k.params<WindowParams>();
    const Window& w = params.win;
    const Pad4& p = params.pad;
    const int64_t H = x.shape[2], W = x.shape[3], OH = y.shape[2], OW = y.shape[3];
    const int64_t planes = x.shape[0] * x.shape[1];
    constexpr float kLow = -std::numeric_limits<float>::infinity();
    // Padded row: p.left −∞, the W columns, −∞ to past the last window (ceil_mode) plus two vectors.
    const int64_t span = std::max(p.left + W, (OW - 1) * w.sw + (w.kw - 1) * w.dw + 1) + 2 * w.sw * kLanes;
#pragma omp parallel if (planes * OH * OW * w.kh * w.kw >= kParallelWork)
    {
        std::vector<float> padded(static_cast<size_t>(span), kLow);
        float* cols = padded.data() + p.left;
#pragma omp for schedule(static)
        for (int64_t c = 0; c < planes; ++c) {
            const float* xi = x.ptr() + c * H * W;
            for (int64_t oh = 0; oh < OH; ++oh) {
                bool any = false;
                for (int64_t i = 0; i < w.kh; ++i) {
                    const int64_t ih = oh * w.sh - p.top + i * w.dh;
                    if (ih < 0 || ih >= H) continue;
                    const float* xr = xi + ih * W;
                    if (!any) std::copy(xr, xr + W, cols);
                    else
                        for (int64_t t = 0; t < W; ++t) cols[t] = std::max(cols[t], xr[t]);
                    any = true;
                }
                if (!any) std::fill_n(cols, W, kLow);
                float* row = y.ptr() + (c * OH + oh) * OW;
                int64_t ow = 0;
                if (w.sw <= 2)  // the last vector may be partial: the padded row has room to read past
                    for (; ow < OW; ow += kLanes) {
                        Vec m = vset(kLow);
                        for (int64_t j = 0; j < w.kw; ++j) {
                            const float* base = padded.data() + j * w.dw + ow * w.sw;
                            m = vmax(m, w.sw == 1 ? vload(base) : evens(base));
                        }
                        vstoreUpTo(row + ow, m, OW - ow);
                    }
                for (; ow < OW; ++ow) {
                    float m = kLow;
                    for (int64_t j = 0; j < w.kw; ++j)
                        m = std::max(m, padded[static_cast<size_t>(ow * w.sw + j * w.dw)]);
                    row[ow] = m;
                }
            }
        }
    }
}

// Mean over each H×W plane (GlobalAvgPool, and AdaptiveAvgPool2d's windows).
void adaptiveMean(const Tensor& x, Tensor& y, int64_t OH, int64_t OW) {
    const int64_t H = x.shape[2], W = x.shape[3], planes = x.shape[0] * x.shape[1];
    if (OH == 1 && OW == 1) {  // global: each plane summed a vector at a time (the networks' heads)
        const int64_t n = H * W;
#pragma omp parallel for schedule(static) if (planes * n >= kParallelWork)
        for (int64_t c = 0; c < planes; ++c) {
            const float* xi = x.ptr() + c * n;
            Vec acc = vzero();
            for (int64_t k = 0; k < n; k += kLanes) acc = vadd(acc, vloadUpTo(xi + k, n - k));
            alignas(64) float lanes[kLanes];
            vstore(lanes, acc);
            double sum = 0;
            for (float v : lanes) sum += v;
            y.ptr()[c] = static_cast<float>(sum / static_cast<double>(n));
        }
        return;
    }
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelWork)
    for (int64_t c = 0; c < planes; ++c) {
        const float* xi = x.ptr() + c * H * W;
        float* yo = y.ptr() + c * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
            int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
            for (int64_t ow = 0; ow < OW; ++ow) {
                int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
                double sum = 0;
                for (int64_t ih = h0; ih < h1; ++ih)
                    for (int64_t iw = w0; iw < w1; ++iw) sum += xi[ih * W + iw];
                yo[oh * OW + ow] = static_cast<float>(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
            }
        }
    }
}

// A windowed pooling's backward: per plane and output, `route` adds the output's gradient `g` to the
// inputs its window took the result from (a lambda, so that it is inlined into the loop).
template <typename Route>
void poolBackward(const BackwardArgs& b, Route route) {
    if (!b.dInputs[0]) return;
    const Tensor& x = *b.inputs[0];
    const WindowParams& params = b.params<WindowParams>();
    const Window& w = params.win;
    const Pad4& p = params.pad;
    const int64_t H = x.shape[2], W = x.shape[3], OH = b.dOut.shape[2], OW = b.dOut.shape[3];
    const int64_t planes = x.shape[0] * x.shape[1];
#pragma omp parallel for schedule(static) if (planes * OH * OW * w.kh * w.kw >= kParallelWork)
    for (int64_t c = 0; c < planes; ++c) {
        const float* dy = b.dOut.ptr() + c * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow)
                route(x.ptr() + c * H * W, b.dInputs[0]->ptr() + c * H * W, H, W, oh, ow, w, p, dy[oh * OW + ow]);
    }
}

// To the first maximum of the window in row-major order (PyTorch's choice among ties).
void toMaximum(const float* xi, float* dx, int64_t H, int64_t W, int64_t oh, int64_t ow, const Window& w, const Pad4& p,
               float g) {
    int64_t best = -1;
    for (int64_t i = 0; i < w.kh; ++i) {
        const int64_t ih = oh * w.sh - p.top + i * w.dh;
        if (ih < 0 || ih >= H) continue;
        for (int64_t j = 0; j < w.kw; ++j) {
            const int64_t iw = ow * w.sw - p.left + j * w.dw;
            if (iw >= 0 && iw < W && (best < 0 || xi[ih * W + iw] > xi[best])) best = ih * W + iw;
        }
    }
    if (best >= 0) dx[best] += g;
}

// Shared equally by the inputs the mean counted (count_include_pad: the padding takes its share too,
// which is dropped).
template <bool IncludePad>
void toMean(const float*, float* dx, int64_t H, int64_t W, int64_t oh, int64_t ow, const Window& w, const Pad4& p,
            float g) {
    const PoolSpan r = poolSpan(oh, w.sh, p.top, p.bottom, w.kh, H), s = poolSpan(ow, w.sw, p.left, p.right, w.kw, W);
    const int64_t count = IncludePad ? r.padded * s.padded : (r.end - r.start) * (s.end - s.start);
    if (count <= 0) return;
    const float share = g / static_cast<float>(count);
    for (int64_t ih = r.start; ih < r.end; ++ih)
        for (int64_t iw = s.start; iw < s.end; ++iw) dx[ih * W + iw] += share;
}

// The adaptive windows of adaptiveMean, each output's gradient shared over its window.
void adaptiveMeanBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    const Tensor& x = *b.inputs[0];
    const int64_t H = x.shape[2], W = x.shape[3], planes = x.shape[0] * x.shape[1];
    const int64_t OH = b.dOut.numel() / planes == 1 ? 1 : b.dOut.shape[2];
    const int64_t OW = b.dOut.numel() / planes == 1 ? 1 : b.dOut.shape[3];
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelWork)
    for (int64_t c = 0; c < planes; ++c) {
        float* dx = b.dInputs[0]->ptr() + c * H * W;
        const float* dy = b.dOut.ptr() + c * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
            const int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
            for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
                const float share = dy[oh * OW + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
                for (int64_t ih = h0; ih < h1; ++ih)
                    for (int64_t iw = w0; iw < w1; ++iw) dx[ih * W + iw] += share;
            }
        }
    }
}

}  // namespace

LayerKind maxPool2d() {
    LayerKind k{"MaxPool2d", "Pooling", "Maximum over each window (PyTorch nn.MaxPool2d)."};
    k.attrs = poolAttrs();
    k.attrs.push_back(int2Attr("dilation", 1, 1, kMaxSpatial, "spacing between window taps"));
    k.inputs = {"in"};
    k.infer = poolInfer;
    k.field = windowedField<poolWindow>;
    k.parse = [](const NodeAttrs& a, const Shape& in) -> std::unique_ptr<KernelParams> {
        return windowParams<poolWindow>(a, in);
    };
    k.forward = maxPoolRows;
    k.reference = [](const KernelArgs& k) { poolForward(k, maxWindow); };
    k.backward = [](const BackwardArgs& b) { poolBackward(b, [](auto... a) { toMaximum(a...); }); };
    k.formulas = {
        "C unchanged; H_out = ⌊(H + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1 (⌈…⌉ with ceil_mode), W_out alike",
        "none", "none (comparisons, not MACs)"};
    return k;
}

LayerKind avgPool2d() {
    LayerKind k{"AvgPool2d", "Pooling", "Mean over each window (PyTorch nn.AvgPool2d)."};
    k.attrs = poolAttrs();
    k.attrs.push_back(boolAttr("count_include_pad", true, "padded zeros count in the mean (PyTorch default)"));
    k.inputs = {"in"};
    k.infer = poolInfer;
    k.field = windowedField<poolWindow>;
    k.parse = [](const NodeAttrs& a, const Shape& in) -> std::unique_ptr<KernelParams> {
        auto p = windowParams<poolWindow>(a, in);
        p->includePad = a.b("count_include_pad");
        return p;
    };
    k.forward = [](const KernelArgs& k) {
        if (k.params<WindowParams>().includePad) poolForward(k, meanWindow<true>);
        else poolForward(k, meanWindow<false>);
    };
    k.backward = [](const BackwardArgs& b) {
        if (b.params<WindowParams>().includePad) poolBackward(b, [](auto... a) { toMean<true>(a...); });
        else poolBackward(b, [](auto... a) { toMean<false>(a...); });
    };
    k.formulas = {"C unchanged; H_out = ⌊(H + 2·padding − k) / stride⌋ + 1 (⌈…⌉ with ceil_mode), W_out alike", "none",
                  "none (additions, not MACs)"};
    return k;
}

// The widest adaptive window, ceil(in / out), for the receptive field.
static Window adaptiveWindow(const NodeAttrs& a, const Shape& in) {
    auto [oh, ow] = a.i2("output_size");
    int64_t kh = (in[2] + oh - 1) / oh, kw = (in[3] + ow - 1) / ow;
    return Window{kh, kw, std::max<int64_t>(in[2] / oh, 1), std::max<int64_t>(in[3] / ow, 1), 1, 1};
}

LayerKind adaptiveAvgPool2d() {
    LayerKind k{"AdaptiveAvgPool2d", "Pooling",
                "Mean over adaptive windows giving a fixed output size (PyTorch nn.AdaptiveAvgPool2d)."};
    k.attrs = {int2Attr("output_size", 1, 1, kMaxSpatial, "output height and width")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        auto [oh, ow] = ctx.attrs.i2("output_size");
        return std::vector<Shape>{{ctx.in()[0], ctx.in()[1], oh, ow}};
    };
    k.field = windowedField<adaptiveWindow>;
    k.forward = [](const KernelArgs& k) { adaptiveMean(*k.inputs[0], k.out, k.out.shape[2], k.out.shape[3]); };
    k.backward = adaptiveMeanBackward;
    k.formulas = {"N × C × output_size (windows from ⌊i·H/H_out⌋ to ⌈(i+1)·H/H_out⌉)", "none", "none"};
    return k;
}

// Pooling over all of H×W: N×C×H×W → N×C, or N×C×1×1 with keepdims.
static LayerKind globalPool(std::string name, std::string doc, void (*forward)(const KernelArgs&),
                            void (*backward)(const BackwardArgs&)) {
    LayerKind k{std::move(name), "Pooling", std::move(doc)};
    k.attrs = {boolAttr("keepdims", false, "keep H and W as 1×1")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        const Shape& in = ctx.in();
        if (ctx.attrs.b("keepdims")) return std::vector<Shape>{{in[0], in[1], 1, 1}};
        return std::vector<Shape>{{in[0], in[1]}};
    };
    k.field = wholeField;
    k.forward = forward;
    k.backward = backward;
    k.formulas = {"N × C (N × C × 1 × 1 with keepdims)", "none", "none"};
    return k;
}

LayerKind globalAvgPool() {
    return globalPool(
        "GlobalAvgPool",
        "Mean over all of H×W (Keras GlobalAveragePooling2D): N×C×H×W → N×C, or N×C×1×1 with keepdims.",
        [](const KernelArgs& k) { adaptiveMean(*k.inputs[0], k.out, 1, 1); }, adaptiveMeanBackward);
}

LayerKind globalMaxPool() {
    return globalPool(
        "GlobalMaxPool", "Maximum over all of H×W: N×C×H×W → N×C, or N×C×1×1 with keepdims.",
        [](const KernelArgs& k) {
            const Tensor& x = *k.inputs[0];
            const int64_t planes = x.shape[0] * x.shape[1], n = x.shape[2] * x.shape[3];
#pragma omp parallel for schedule(static) if (planes * n >= kParallelWork)
            for (int64_t c = 0; c < planes; ++c) {
                const float* xi = x.ptr() + c * n;
                float m = -INFINITY;
                for (int64_t i = 0; i < n; ++i) m = std::max(m, xi[i]);
                k.out.ptr()[c] = m;
            }
        },
        [](const BackwardArgs& b) {  // to each plane's first maximum
            if (!b.dInputs[0]) return;
            const Tensor& x = *b.inputs[0];
            const int64_t planes = x.shape[0] * x.shape[1], n = x.shape[2] * x.shape[3];
            for (int64_t c = 0; c < planes; ++c) {
                const float* xi = x.ptr() + c * n;
                b.dInputs[0]->ptr()[c * n + (std::max_element(xi, xi + n) - xi)] += b.dOut.ptr()[c];
            }
        });
}

}  // namespace nw::layers
