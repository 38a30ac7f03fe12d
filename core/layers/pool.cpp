// Pooling: MaxPool2d, AvgPool2d (PyTorch semantics incl. ceil_mode), AdaptiveAvgPool2d, GlobalAvgPool.
#include "common.h"
#include "kinds.h"

#include <algorithm>
#include <tuple>

namespace nw::layers {
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
    // PyTorch refuses padding beyond half the kernel; "same" padding never exceeds it.
    if (std::max(p.top, p.bottom) > w.kh / 2 || std::max(p.left, p.right) > w.kw / 2) {
        ctx.error("in", "padding " + formatAttrValue(ctx.attrs.get("padding")) + " exceeds half the kernel " +
                            std::to_string(w.kh) + "×" + std::to_string(w.kw) +
                            ": windows would see only padding");
        return std::nullopt;
    }
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

}  // namespace

LayerKind maxPool2d() {
    LayerKind k{"MaxPool2d", "Pooling", "Maximum over each window (PyTorch nn.MaxPool2d)."};
    k.attrs = poolAttrs();
    k.attrs.push_back(int2Attr("dilation", 1, 1, kMaxSpatial, "spacing between window taps"));
    k.inputs = {"in"};
    k.infer = poolInfer;
    k.field = FieldRule::Windowed;
    k.window = poolWindow;
    return k;
}

LayerKind avgPool2d() {
    LayerKind k{"AvgPool2d", "Pooling", "Mean over each window (PyTorch nn.AvgPool2d)."};
    k.attrs = poolAttrs();
    k.attrs.push_back(boolAttr("count_include_pad", true, "padded zeros count in the mean (PyTorch default)"));
    k.inputs = {"in"};
    k.infer = poolInfer;
    k.field = FieldRule::Windowed;
    k.window = poolWindow;
    return k;
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
    k.field = FieldRule::Windowed;
    // The widest adaptive window, ceil(in / out), for the receptive field.
    k.window = [](const NodeAttrs& a, const Shape& in) {
        auto [oh, ow] = a.i2("output_size");
        int64_t kh = (in[2] + oh - 1) / oh, kw = (in[3] + ow - 1) / ow;
        return Window{kh, kw, std::max<int64_t>(in[2] / oh, 1), std::max<int64_t>(in[3] / ow, 1), 1, 1};
    };
    return k;
}

LayerKind globalAvgPool() {
    LayerKind k{"GlobalAvgPool", "Pooling",
                "Mean over all of H×W (Keras GlobalAveragePooling2D): N×C×H×W → N×C, or N×C×1×1 with keepdims."};
    k.attrs = {boolAttr("keepdims", false, "keep H and W as 1×1")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        const Shape& in = ctx.in();
        if (ctx.attrs.b("keepdims")) return std::vector<Shape>{{in[0], in[1], 1, 1}};
        return std::vector<Shape>{{in[0], in[1]}};
    };
    k.field = FieldRule::Global;
    return k;
}

}  // namespace nw::layers
