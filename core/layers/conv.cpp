// Convolutions: Conv2d (with groups), DepthwiseConv2d, SeparableConv2d (depthwise + 1×1 pointwise).
#include "common.h"
#include "kinds.h"
#include <algorithm>
#include <optional>

#include "conv_direct.h"
#include "conv_gemm.h"
#include "simd.h"

#include "tensor.h"

namespace nw::layers {
using namespace simd;
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

// The weights of each group packed for the GEMM (and, for a separable conv, its depthwise kernels,
// since the plan frees the raw weights once packed).
struct PackedConv final : Prepared {
    std::vector<PackedMatrix> groups;
    std::optional<WinogradWeights> winograd;  // instead of `groups`, for 3×3 stride-1 convolutions with enough tiles
    Tensor depthwise;
};

// Winograd where it suits the layer on this input, else the weights of each group packed for the GEMM.
std::unique_ptr<PackedConv> packConv(const Tensor& w, int64_t groups, const Window& win = {}, const Shape& out = {}) {
    auto packed = std::make_unique<PackedConv>();
    const int64_t oc = w.shape[0], per = w.numel() / oc, ocg = oc / groups;
    if (!out.empty() && winogradSuits(win, groups, out[0], out[2], out[3])) {
        packed->winograd = packWinograd(w.ptr(), oc, per / 9);
        return packed;
    }
    for (int64_t g = 0; g < groups; ++g) packed->groups.push_back(packWeights(w.ptr() + g * ocg * per, ocg, per));
    return packed;
}

// Convolution as GEMM per group: Y_g (ocg × N·OH·OW) = W_g (ocg × icg·kh·kw) · im2col(X_g).
template <typename Map>
void convolveGemm(const Map& x, const PackedConv& w, const float* b, Tensor& y, const Window& win, const Pad4& p,
                  bool relu, bool accumulate = false, float* workspace = nullptr) {
    if (w.winograd)
        return convWinograd(*w.winograd,
                            {x.ptr(), x.shape[0], x.shape[1], x.shape[2], x.shape[3], 0, win, p, y.ptr(), y.shape[1],
                             y.shape[2], y.shape[3], 0, b, relu, accumulate},
                            workspace);
    const auto groups = static_cast<int64_t>(w.groups.size());
    const int64_t icg = x.shape[1] / groups, ocg = y.shape[1] / groups;
    for (int64_t g = 0; g < groups; ++g)
        convGemm(w.groups[static_cast<size_t>(g)],
                 {x.ptr(), x.shape[0], x.shape[1], x.shape[2], x.shape[3], g * icg, win, p, y.ptr(), y.shape[1],
                  y.shape[2], y.shape[3], g * ocg, b ? b + g * ocg : nullptr, relu, accumulate});
}

bool isDepthwise(int64_t channels, int64_t groups) { return groups == channels && groups > 1; }

// Conv2d's window and groups; a depthwise conv's groups are its input's channels.
std::unique_ptr<KernelParams> parseConv(const NodeAttrs& a, const Shape& in) {
    auto p = windowParams<convWindow>(a, in);
    p->groups = a.i("groups");
    return p;
}
std::unique_ptr<KernelParams> parseDepthwise(const NodeAttrs& a, const Shape& in) {
    auto p = windowParams<convWindow>(a, in);
    p->groups = in[1];
    return p;
}

// Weights are [weight] or [weight, bias]: a folded batch-norm adds a bias to a bias-free conv.
void convForward(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const WindowParams& params = k.params<WindowParams>();
    const Window win = params.win;
    const Pad4 p = params.pad;
    const int64_t groups = params.groups;
    const float* b = k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr;
    // Depthwise: a GEMM per channel would be tiny; the direct loop is faster.
    if (isDepthwise(x.shape[1], groups)) return depthwise(x, k.weights[0]->ptr(), b, k.out, win, p, k.relu);
    std::unique_ptr<PackedConv> local;  // packed here when no plan prepared it (tests, one-off runs)
    const auto* packed = static_cast<const PackedConv*>(k.prepared);
    if (!packed) packed = (local = packConv(*k.weights[0], groups, win, k.out.shape)).get();
    convolveGemm(x, *packed, b, k.out, win, p, k.relu, k.accumulate, k.workspace);
}

// Winograd's whole-layer scratch, where the layer takes that path.
int64_t convWorkspace(const NodeAttrs& a, const Shape& in, const Shape& out) {
    return winogradSuits(convWindow(a, in), a.i("groups"), out[0], out[2], out[3])
               ? winogradWorkspace(in[1], out[1], out[0], out[2], out[3])
               : 0;
}

std::unique_ptr<Prepared> prepareConv(const NodeAttrs& a, const Shape& in, const Shape& out,
                                      const std::vector<const Tensor*>& w) {
    const int64_t groups = a.i("groups");
    if (isDepthwise(in[1], groups)) return nullptr;  // the direct kernel reads the raw weights
    return packConv(*w[0], groups, convWindow(a, in), out);
}

// A following batch norm taken into the kernel: w' = w · scale per output channel (dimension 0),
// b' = b · scale + shift (scale = γ/√(σ²+ε), shift = β − μ · scale).
void foldIntoKernel(const ChannelAffine& a, Tensor& kernel, const Tensor* bias, Tensor& foldedBias) {
    const int64_t out = kernel.shape[0], per = kernel.numel() / out;
    for (int64_t o = 0; o < out; ++o) {
        const auto c = static_cast<size_t>(o);
        for (int64_t k = 0; k < per; ++k)
            kernel.data[static_cast<size_t>(o * per + k)] *= static_cast<float>(a.scale[c]);
        const double b = bias ? bias->data[c] : 0.0;
        foldedBias.data[c] = static_cast<float>(b * a.scale[c] + a.shift[c]);
    }
}

void convReference(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const WindowParams& params = k.params<WindowParams>();
    const Window win = params.win;
    const Pad4 p = params.pad;
    const int64_t groups = params.groups;
    convolve(x, k.weights[0]->ptr(), k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr, k.out, groups, win, p,
             k.relu);
}

// A gradient tensor's data, or null when it is not wanted.
float* data(Tensor* t) { return t ? t->ptr() : nullptr; }

// [weight] or [weight, bias], as the forward; depthwise by the direct loops, else as GEMMs.
void convBackward(const BackwardArgs& b, bool gemm) {
    const Tensor& x = *b.inputs[0];
    const WindowParams& params = b.params<WindowParams>();
    const Window win = params.win;
    const Pad4 p = params.pad;
    const int64_t groups = params.groups;
    float* db = b.dWeights.size() > 1 ? data(b.dWeights[1]) : nullptr;
    if (gemm && !isDepthwise(x.shape[1], groups))
        return convGemmBackward(
            {x, *b.weights[0], b.dOut, data(b.dInputs[0]), data(b.dWeights[0]), db, groups, win, p});
    convolveBackward(x, b.weights[0]->ptr(), b.dOut, data(b.dInputs[0]), data(b.dWeights[0]), db, groups, win, p);
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
        if (!c || !checkGroups(ctx, *c)) return std::nullopt;
        return convOutput(ctx, ctx.attrs.i("out_channels"));
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
    k.field = windowedField<convWindow>;
    k.parse = parseConv;
    k.forward = convForward;
    k.prepare = prepareConv;
    k.workspace = convWorkspace;
    k.reference = convReference;
    k.backward = [](const BackwardArgs& b) { convBackward(b, true); };
    k.backwardReference = [](const BackwardArgs& b) { convBackward(b, false); };
    k.foldAffine = foldIntoKernel;
    k.fusesRelu = true;
    // The GEMM and Winograd paths accumulate onto the output; grouped convolutions do not.
    k.fusesResidual = [](const NodeAttrs& a) { return a.i("groups") == 1; };
    k.formulas = {
        "C_out = out_channels; H_out = ⌊(H + pad_top + pad_bottom − dilation·(k_h − 1) − 1) / stride⌋ + 1, W_out alike "
        "(⌈…⌉ with ceil_mode)",
        "C_out · (C_in / groups) · k_h · k_w, + C_out with bias",
        "C_out · H_out · W_out · (C_in / groups) · k_h · k_w"};
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
    k.field = windowedField<convWindow>;
    k.parse = parseDepthwise;
    k.forward = convForward;
    k.reference = convReference;
    k.backward = [](const BackwardArgs& b) { convBackward(b, false); };
    k.foldAffine = foldIntoKernel;
    k.fusesRelu = true;
    k.formulas = {"C_out = C_in · depth_multiplier; H_out, W_out as Conv2d", "C_out · k_h · k_w, + C_out with bias",
                  "C_out · H_out · W_out · k_h · k_w"};
    return k;
}

namespace {
std::unique_ptr<PackedConv> packSeparable(const std::vector<const Tensor*>& w) {
    auto packed = packConv(*w[1], 1);
    packed->depthwise = *w[0];
    return packed;
}

// Training keeps the depthwise result in `saved`: the pointwise backward reads it.
void separableTrain(const TrainArgs& t) {
    const Tensor& x = *t.inputs[0];
    const WindowParams& params = t.params<WindowParams>();
    const Window win = params.win;
    const Pad4 p = params.pad;
    t.saved = Tensor({x.shape[0], t.weights[0]->shape[0], t.out.shape[2], t.out.shape[3]});
    depthwise(x, t.weights[0]->ptr(), nullptr, t.saved, win, p, false);
    const auto packed = packConv(*t.weights[1], 1);
    convolveGemm(t.saved, *packed, t.weights.size() > 2 ? t.weights[2]->ptr() : nullptr, t.out, Window{}, Pad4{},
                 false);
}

// The pointwise conv's gradients from the saved depthwise result, then the depthwise conv's.
void separableBackward(const BackwardArgs& b, bool gemm) {
    const Tensor& x = *b.inputs[0];
    const Tensor& mid = b.saved;
    const WindowParams& params = b.params<WindowParams>();
    const Window win = params.win;
    const Pad4 p = params.pad;
    const int64_t groups = params.groups;
    Tensor dMid(mid.shape);
    float* db = b.dWeights.size() > 2 ? data(b.dWeights[2]) : nullptr;
    if (gemm) convGemmBackward({mid, *b.weights[1], b.dOut, dMid.ptr(), data(b.dWeights[1]), db, 1, Window{}, Pad4{}});
    else convolveBackward(mid, b.weights[1]->ptr(), b.dOut, dMid.ptr(), data(b.dWeights[1]), db, 1, Window{}, Pad4{});
    convolveBackward(x, b.weights[0]->ptr(), dMid, data(b.dInputs[0]), data(b.dWeights[0]), nullptr, groups, win, p);
}
}  // namespace

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
    k.field = windowedField<convWindow>;
    k.parse = parseDepthwise;  // the depthwise part's
    k.forward = [](const KernelArgs& k) {
        const Tensor& x = *k.inputs[0];
        const WindowParams& params = k.params<WindowParams>();
        const Window win = params.win;
        const Pad4 p = params.pad;
        std::unique_ptr<PackedConv> local;
        const auto* packed = static_cast<const PackedConv*>(k.prepared);
        if (!packed) packed = (local = packSeparable(k.weights)).get();
        // The depthwise result goes to the workspace the plan gives (allocating and zeroing it per run
        // cost Xception's entry flow, 11 MB at 147×147, a tenth of its time).
        const Shape midShape{x.shape[0], packed->depthwise.shape[0], k.out.shape[2], k.out.shape[3]};
        Tensor own;
        if (!k.workspace) own = Tensor(midShape);
        MapView mid{midShape, k.workspace ? k.workspace : own.ptr()};
        depthwise(x, packed->depthwise.ptr(), nullptr, mid, win, p, false);
        // [depthwise, pointwise] or [depthwise, pointwise, bias]: a folded batch-norm adds the bias.
        convolveGemm(mid, *packed, k.weights.size() > 2 ? k.weights[2]->ptr() : nullptr, k.out, Window{}, Pad4{},
                     k.relu);
    };
    k.prepare = [](const NodeAttrs&, const Shape&, const Shape&,
                   const std::vector<const Tensor*>& w) -> std::unique_ptr<Prepared> { return packSeparable(w); };
    k.workspace = [](const NodeAttrs& a, const Shape& in, const Shape& out) {  // the depthwise result
        return out[0] * in[1] * a.i("depth_multiplier") * out[2] * out[3];
    };
    k.trainForward = separableTrain;
    k.backward = [](const BackwardArgs& b) { separableBackward(b, true); };
    k.backwardReference = [](const BackwardArgs& b) { separableBackward(b, false); };
    k.foldAffine = foldIntoKernel;  // the pointwise kernel, the last
    k.fusesRelu = true;
    k.reference = [](const KernelArgs& k) {
        const Tensor& x = *k.inputs[0];
        const WindowParams& params = k.params<WindowParams>();
        const Window win = params.win;
        const Pad4 p = params.pad;
        const int64_t groups = params.groups;
        Tensor mid({x.shape[0], k.weights[0]->shape[0], k.out.shape[2], k.out.shape[3]});
        convolve(x, k.weights[0]->ptr(), nullptr, mid, groups, win, p);
        convolve(mid, k.weights[1]->ptr(), k.weights.size() > 2 ? k.weights[2]->ptr() : nullptr, k.out, 1, Window{},
                 Pad4{}, k.relu);
    };
    k.formulas = {"C_out = out_channels; H_out, W_out as Conv2d (the depthwise part carries stride and padding)",
                  "C_in · k_h · k_w (depthwise) + C_out · C_in (pointwise), + C_out with bias",
                  "C_in · H_out · W_out · k_h · k_w + C_out · H_out · W_out · C_in"};
    return k;
}

}  // namespace nw::layers
