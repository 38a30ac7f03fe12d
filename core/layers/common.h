// Helpers shared by the layer declarations: attribute spec builders and window arithmetic.
#pragma once
#include "layer_kind.h"

namespace nw::layers {

AttrSpec intAttr(std::string name, int64_t def, int64_t min, int64_t max, std::string doc);
AttrSpec floatAttr(std::string name, double def, double min, double max, std::string doc);
AttrSpec boolAttr(std::string name, bool def, std::string doc);
AttrSpec choiceAttr(std::string name, std::string def, std::vector<std::string> choices, std::string doc);
AttrSpec int2Attr(std::string name, int64_t def, int64_t min, int64_t max, std::string doc);
AttrSpec paddingAttr(std::string doc);

// Element operations below this many run on the calling thread: on a tiny layer (LeNet's) an
// OpenMP fork/join costs more than the work it would share.
constexpr int64_t kParallelWork = int64_t{1} << 15;

// Largest channel count, kernel or spatial size a design may ask for; more is a typo or an attack.
constexpr int64_t kMaxChannels = 1 << 20;
constexpr int64_t kMaxSpatial = 1 << 16;

// Resolves the "padding" attribute for `w` on an input of in_h × in_w (Keras/TF "same": the extra
// row or column goes after, as TensorFlow does).
Pad4 resolvePadding(const NodeAttrs& a, const Window& w, int64_t in_h, int64_t in_w);

// Output H, W of a sliding window (conv or pool, PyTorch rules incl. ceil_mode), or nullopt after
// reporting a kernel larger than the padded input.
std::optional<std::pair<int64_t, int64_t>> windowOutput(const ShapeContext& ctx, const Window& w, const Pad4& p,
                                                        bool ceil_mode);

// LayerKind::parse for params P that take only the attributes: P(const NodeAttrs&).
template <class P>
std::unique_ptr<KernelParams> parseInto(const NodeAttrs& a, const Shape&) {
    return std::make_unique<P>(a);
}

// What a sliding-window kernel reads (convolutions, pooling): the window and its padding resolved for
// the input's H×W, parsed once per plan.
struct WindowParams final : KernelParams {
    Window win;
    Pad4 pad;
    int64_t groups = 1;       // convolutions' channel groups (depthwise: the input's channels)
    bool includePad = false;  // average pooling's count_include_pad
};
template <Window (*window)(const NodeAttrs&, const Shape&)>
std::unique_ptr<WindowParams> windowParams(const NodeAttrs& a, const Shape& in) {
    auto p = std::make_unique<WindowParams>();
    p->win = window(a, in);
    p->pad = resolvePadding(a, p->win, in[2], in[3]);
    return p;
}

// The receptive field through a sliding window, for LayerKind::field (kinds pass their window).
template <Window (*window)(const NodeAttrs&, const Shape&)>
Field windowedField(const NodeAttrs& a, const Shape& in, const std::vector<Field>& inputs) {
    return in.size() == 4 ? slideField(inputs[0], window(a, in)) : inputs[0];
}
// A node that sees its whole input (global pooling, dense layers).
inline Field wholeField(const NodeAttrs&, const Shape&, const std::vector<Field>& inputs) {
    return globalField(inputs[0]);
}

// The channel count a node is declared for (attribute `attr`, 0 = take it from the input), checked
// against the input; reports a mismatch with the right value.
std::optional<int64_t> checkInChannels(const ShapeContext& ctx, const char* attr);

// That `groups` divides the input channels and the out_channels attribute; reports which it does not.
bool checkGroups(const ShapeContext& ctx, int64_t inChannels);

}  // namespace nw::layers
