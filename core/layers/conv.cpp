// Convolutions: Conv2d (with groups), DepthwiseConv2d, SeparableConv2d (depthwise + 1×1 pointwise).
#include "common.h"
#include "kinds.h"
#include <Eigen/Core>
#include <algorithm>

#include "../tensor.h"

namespace nw::layers {
namespace {

Window convWindow(const NodeAttrs& a, const Shape&) {
    auto [kh, kw] = a.i2("kernel_size");
    auto [sh, sw] = a.i2("stride");
    auto [dh, dw] = a.i2("dilation");
    return {kh, kw, sh, sw, dh, dw};
}

// Output [N, out_channels, H', W'] of a conv-like node, or nullopt after reporting why not.
std::optional<std::vector<Shape>> convOutput(ShapeContext& ctx, int64_t out_channels) {
    Window w = convWindow(ctx.attrs, ctx.in());
    Pad4 p = resolvePadding(ctx.attrs, w, ctx.in()[2], ctx.in()[3]);
    auto hw = windowOutput(ctx, w, p, false);
    if (!hw) return std::nullopt;
    return std::vector<Shape>{{ctx.in()[0], out_channels, hw->first, hw->second}};
}

std::vector<AttrSpec> windowAttrs() {
    return {int2Attr("kernel_size", 3, 1, kMaxSpatial, "window height and width"),
            int2Attr("stride", 1, 1, kMaxSpatial, "step between windows"),
            paddingAttr("zeros added around the input: n, (h, w), (top, left, bottom, right), "
                        "\"same\" (Keras/TensorFlow: output = ceil(input / stride)) or \"valid\""),
            int2Attr("dilation", 1, 1, kMaxSpatial, "spacing between kernel taps")};
}

std::optional<int64_t> windowMacs(const NodeAttrs& a, const Shape& out, int64_t per_position) {
    auto [kh, kw] = a.i2("kernel_size");
    return checkedProduct({out[1], out[2], out[3], per_position, kh, kw});
}


// Direct convolution, plain loops over output positions; the reference for faster paths.
void convolve(const Tensor& x, const float* w, const float* b, Tensor& y, int64_t groups, const Window& win,
              const Pad4& p, bool relu = false) {
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

// im2col matrices larger than kLargeFloats are built and multiplied in tiles of about kTileFloats,
// so each tile is still in cache for the GEMM; smaller ones in one piece (fewer, larger GEMMs).
constexpr int64_t kLargeFloats = int64_t{1} << 22, kTileFloats = int64_t{1} << 20;

// im2col for output positions [p0, p0 + T): the receptive fields of one channel group as the columns
// of a (icg·kh·kw) × T matrix. Done a tile at a time so the matrix stays in cache for the GEMM.
void im2col(const float* x, int64_t icg, int64_t H, int64_t W, const Window& win, const Pad4& p, int64_t OW, int64_t p0,
            int64_t T, float* col) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t ic = 0; ic < icg; ++ic)
        for (int64_t i = 0; i < win.kh; ++i)
            for (int64_t j = 0; j < win.kw; ++j) {
                float* row = col + ((ic * win.kh + i) * win.kw + j) * T;
                const float* xc = x + ic * H * W;
                for (int64_t t = 0; t < T; ++t) {
                    const int64_t oh = (p0 + t) / OW, ow = (p0 + t) % OW;
                    const int64_t ih = oh * win.sh - p.top + i * win.dh, iw = ow * win.sw - p.left + j * win.dw;
                    row[t] = ih >= 0 && ih < H && iw >= 0 && iw < W ? xc[ih * W + iw] : 0.0f;
                }
            }
}

// Convolution as GEMM per sample and group: Y_g (ocg × OH·OW) = W_g (ocg × icg·kh·kw) · im2col(X_g).
// A 1×1, stride-1, unpadded convolution needs no im2col: the input already is that matrix.
void convolveGemm(const Tensor& x, const float* w, const float* b, Tensor& y, int64_t groups, const Window& win,
                  const Pad4& p, bool relu = false) {
    using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = y.shape[1], OH = y.shape[2], OW = y.shape[3];
    const int64_t icg = C / groups, ocg = OC / groups, K = icg * win.kh * win.kw, P = OH * OW;
    const bool direct = win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && p.top == 0 && p.left == 0 &&
                        p.bottom == 0 && p.right == 0;
    using Stride = Eigen::OuterStride<>;
    const int64_t tile = direct || K * P <= kLargeFloats
                             ? P
                             : std::clamp<int64_t>(kTileFloats / std::max<int64_t>(K, 1) / 16 * 16, 256, P);
    std::vector<float> col(direct ? 0 : static_cast<size_t>(K * tile));
    for (int64_t n = 0; n < N; ++n)
        for (int64_t g = 0; g < groups; ++g) {
            const float* xg = x.ptr() + (n * C + g * icg) * H * W;
            Eigen::Map<const Matrix> wm(w + g * ocg * K, ocg, K);
            float* yg = y.ptr() + (n * OC + g * ocg) * P;
            for (int64_t p0 = 0; p0 < P; p0 += tile) {
                const int64_t T = std::min(tile, P - p0);
                if (!direct) im2col(xg, icg, H, W, win, p, OW, p0, T, col.data());
                Eigen::Map<const Matrix, 0, Stride> xm(direct ? xg + p0 : col.data(), K, T, Stride(direct ? P : T));
                Eigen::Map<Matrix, 0, Stride> ym(yg + p0, ocg, T, Stride(P));
                ym.noalias() = wm * xm;
                if (b || relu)  // one pass for bias and activation while the tile is in cache
                    for (int64_t o = 0; o < ocg; ++o) {
                        float* row = yg + o * P + p0;
                        const float bias = b ? b[g * ocg + o] : 0.0f;
                        for (int64_t i = 0; i < T; ++i) {
                            float v = row[i] + bias;
                            row[i] = relu && v < 0 ? 0.0f : v;
                        }
                    }
            }
        }
}

// Depthwise convolution (groups = C_in, C_out = C_in × multiplier) as row operations: for each kernel
// tap, a scaled, shifted input row is added to the output row — contiguous, so it vectorises.
void depthwise(const Tensor& x, const float* w, const float* b, Tensor& y, const Window& win, const Pad4& p, bool relu) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = y.shape[1], OH = y.shape[2], OW = y.shape[3], mult = OC / C;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t oc = 0; oc < OC; ++oc) {
            const float* xi = x.ptr() + (n * C + oc / mult) * H * W;
            const float* wk = w + oc * win.kh * win.kw;
            float* yo = y.ptr() + (n * OC + oc) * OH * OW;
            for (int64_t oh = 0; oh < OH; ++oh) {
                float* row = yo + oh * OW;
                std::fill(row, row + OW, b ? b[oc] : 0.0f);
                for (int64_t i = 0; i < win.kh; ++i) {
                    const int64_t ih = oh * win.sh - p.top + i * win.dh;
                    if (ih < 0 || ih >= H) continue;
                    const float* xr = xi + ih * W;
                    for (int64_t j = 0; j < win.kw; ++j) {
                        const float wv = wk[i * win.kw + j];
                        const int64_t off = j * win.dw - p.left;  // input column = ow · stride + off
                        const int64_t lo = off < 0 ? (-off + win.sw - 1) / win.sw : 0;
                        const int64_t hi = std::min(OW, W - 1 - off < 0 ? 0 : (W - 1 - off) / win.sw + 1);
                        if (win.sw == 1)
                            for (int64_t ow = lo; ow < hi; ++ow) row[ow] += wv * xr[ow + off];
                        else
                            for (int64_t ow = lo; ow < hi; ++ow) row[ow] += wv * xr[ow * win.sw + off];
                    }
                }
                if (relu)
                    for (int64_t ow = 0; ow < OW; ++ow) row[ow] = row[ow] < 0 ? 0.0f : row[ow];
            }
        }
}

// Weights are [weight] or [weight, bias]: a folded batch-norm adds a bias to a bias-free conv.
void convForward(const KernelArgs& k, int64_t groups) {
    const Tensor& x = *k.inputs[0];
    Window win = convWindow(k.attrs, x.shape);
    Pad4 p = resolvePadding(k.attrs, win, x.shape[2], x.shape[3]);
    const float* b = k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr;
    // Depthwise: a GEMM per channel would be tiny; the direct loop is faster.
    if (groups == x.shape[1] && groups > 1) depthwise(x, k.weights[0]->ptr(), b, k.out, win, p, k.relu);
    else convolveGemm(x, k.weights[0]->ptr(), b, k.out, groups, win, p, k.relu);
}

void convReference(const KernelArgs& k, int64_t groups) {
    const Tensor& x = *k.inputs[0];
    Window win = convWindow(k.attrs, x.shape);
    Pad4 p = resolvePadding(k.attrs, win, x.shape[2], x.shape[3]);
    convolve(x, k.weights[0]->ptr(), k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr, k.out, groups, win, p, k.relu);
}

}  // namespace

LayerKind conv2d() {
    LayerKind k{"Conv2d", "Convolution", "2-D convolution (PyTorch nn.Conv2d); groups = in_channels is depthwise."};
    k.attrs = {intAttr("in_channels", 0, 0, kMaxChannels, "input channels; 0 takes them from the input"),
               intAttr("out_channels", 16, 1, kMaxChannels, "number of filters")};
    for (auto& s : windowAttrs()) k.attrs.push_back(s);
    k.attrs.push_back(intAttr("groups", 1, 1, kMaxChannels, "channel groups; must divide in and out channels"));
    k.attrs.push_back(boolAttr("bias", true, "add a learned bias per output channel"));
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        auto c = checkInChannels(ctx, "in_channels");
        if (!c) return std::nullopt;
        int64_t g = ctx.attrs.i("groups"), out = ctx.attrs.i("out_channels");
        if (*c % g != 0 || out % g != 0) {
            ctx.error("in", "groups = " + std::to_string(g) + " does not divide " +
                                (*c % g ? "in_channels = " + std::to_string(*c) : "out_channels = " + std::to_string(out)));
            return std::nullopt;
        }
        return convOutput(ctx, out);
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        auto [kh, kw] = a.i2("kernel_size");
        int64_t out = a.i("out_channels");
        std::vector<WeightSpec> w{{"weight", {out, in[1] / a.i("groups"), kh, kw}, WeightRole::Weight}};
        if (a.b("bias")) w.push_back({"bias", {out}, WeightRole::Bias});
        return w;
    };
    k.macs = [](const NodeAttrs& a, const Shape& in, const Shape& out) {
        return windowMacs(a, out, in[1] / a.i("groups"));
    };
    k.field = FieldRule::Windowed;
    k.window = convWindow;
    k.forward = [](const KernelArgs& k) { convForward(k, k.attrs.i("groups")); };
    k.reference = [](const KernelArgs& k) { convReference(k, k.attrs.i("groups")); };
    k.foldsBatchNorm = k.fusesRelu = true;
    return k;
}

LayerKind depthwiseConv2d() {
    LayerKind k{"DepthwiseConv2d", "Convolution",
                "One filter per input channel (groups = channels), depth_multiplier outputs each."};
    k.attrs = {intAttr("in_channels", 0, 0, kMaxChannels, "input channels; 0 takes them from the input"),
               intAttr("depth_multiplier", 1, 1, 1024, "output channels per input channel")};
    for (auto& s : windowAttrs()) k.attrs.push_back(s);
    k.attrs.push_back(boolAttr("bias", false, "add a learned bias per output channel"));
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        auto c = checkInChannels(ctx, "in_channels");
        if (!c) return std::nullopt;
        return convOutput(ctx, *c * ctx.attrs.i("depth_multiplier"));
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        auto [kh, kw] = a.i2("kernel_size");
        int64_t out = in[1] * a.i("depth_multiplier");
        std::vector<WeightSpec> w{{"weight", {out, 1, kh, kw}, WeightRole::Weight}};
        if (a.b("bias")) w.push_back({"bias", {out}, WeightRole::Bias});
        return w;
    };
    k.macs = [](const NodeAttrs& a, const Shape&, const Shape& out) { return windowMacs(a, out, 1); };
    k.field = FieldRule::Windowed;
    k.window = convWindow;
    k.forward = [](const KernelArgs& k) { convForward(k, k.inputs[0]->shape[1]); };
    k.reference = [](const KernelArgs& k) { convReference(k, k.inputs[0]->shape[1]); };
    k.foldsBatchNorm = k.fusesRelu = true;
    return k;
}

LayerKind separableConv2d() {
    LayerKind k{"SeparableConv2d", "Convolution",
                "Depthwise k×k conv (groups = channels) then a 1×1 pointwise conv, as in Xception. "
                "Weights: depthwise.weight, pointwise.weight (and pointwise.bias)."};
    k.attrs = {intAttr("in_channels", 0, 0, kMaxChannels, "input channels; 0 takes them from the input"),
               intAttr("out_channels", 16, 1, kMaxChannels, "channels after the pointwise conv"),
               intAttr("depth_multiplier", 1, 1, 1024, "depthwise outputs per input channel")};
    for (auto& s : windowAttrs()) k.attrs.push_back(s);
    k.attrs.push_back(boolAttr("bias", false, "bias after the pointwise conv"));
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        if (!checkInChannels(ctx, "in_channels")) return std::nullopt;
        return convOutput(ctx, ctx.attrs.i("out_channels"));
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        auto [kh, kw] = a.i2("kernel_size");
        int64_t mid = in[1] * a.i("depth_multiplier"), out = a.i("out_channels");
        std::vector<WeightSpec> w{{"depthwise.weight", {mid, 1, kh, kw}, WeightRole::Weight},
                                  {"pointwise.weight", {out, mid, 1, 1}, WeightRole::Weight}};
        if (a.b("bias")) w.push_back({"pointwise.bias", {out}, WeightRole::Bias});
        return w;
    };
    k.macs = [](const NodeAttrs& a, const Shape& in, const Shape& out) -> std::optional<int64_t> {
        int64_t mid = in[1] * a.i("depth_multiplier");
        auto depthwise = windowMacs(a, {out[0], mid, out[2], out[3]}, 1);
        auto pointwise = checkedProduct({out[1], out[2], out[3], mid});
        if (!depthwise || !pointwise) return std::nullopt;
        return checkedAdd(*depthwise, *pointwise);
    };
    k.field = FieldRule::Windowed;
    k.window = convWindow;
    k.forward = [](const KernelArgs& k) {
        const Tensor& x = *k.inputs[0];
        Window win = convWindow(k.attrs, x.shape);
        Pad4 p = resolvePadding(k.attrs, win, x.shape[2], x.shape[3]);
        Tensor mid({x.shape[0], k.weights[0]->shape[0], k.out.shape[2], k.out.shape[3]});
        depthwise(x, k.weights[0]->ptr(), nullptr, mid, win, p, false);
        // [depthwise, pointwise] or [depthwise, pointwise, bias]: a folded batch-norm adds the bias.
        convolveGemm(mid, k.weights[1]->ptr(), k.weights.size() > 2 ? k.weights[2]->ptr() : nullptr, k.out, 1, Window{},
                     Pad4{}, k.relu);
    };
    k.foldsBatchNorm = k.fusesRelu = true;
    k.reference = [](const KernelArgs& k) {
        const Tensor& x = *k.inputs[0];
        Window win = convWindow(k.attrs, x.shape);
        Pad4 p = resolvePadding(k.attrs, win, x.shape[2], x.shape[3]);
        Tensor mid({x.shape[0], k.weights[0]->shape[0], k.out.shape[2], k.out.shape[3]});
        convolve(x, k.weights[0]->ptr(), nullptr, mid, x.shape[1], win, p);
        convolve(mid, k.weights[1]->ptr(), k.weights.size() > 2 ? k.weights[2]->ptr() : nullptr, k.out, 1, Window{}, Pad4{},
                 k.relu);
    };
    return k;
}

}  // namespace nw::layers
