// Convolutions: Conv2d (with groups), DepthwiseConv2d, SeparableConv2d (depthwise + 1×1 pointwise).
#include "common.h"
#include "kinds.h"

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
    return k;
}

}  // namespace nw::layers
