// ConvTranspose2d: the gradient of a convolution with respect to its input, used to upsample
// (decoders, segmentation heads, GAN generators). PyTorch nn.ConvTranspose2d semantics.
#include "common.h"
#include "kinds.h"

#include <tuple>

#include "tensor.h"

namespace nw::layers {
namespace {

// Its attributes as the kernels read them (LayerKind::parse).
struct Geometry final : KernelParams {
    int64_t kh, kw, sh, sw, ph, pw, oph, opw, dh, dw, groups;
    explicit Geometry(const NodeAttrs& a) {
        std::tie(kh, kw) = a.i2("kernel_size");
        std::tie(sh, sw) = a.i2("stride");
        std::tie(ph, pw) = a.i2("padding");
        std::tie(oph, opw) = a.i2("output_padding");
        std::tie(dh, dw) = a.i2("dilation");
        groups = a.i("groups");
    }
};

// H_out = (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
int64_t transposedSize(int64_t in, int64_t k, int64_t s, int64_t p, int64_t op, int64_t d) {
    return (in - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

// Each output position gathers the input positions whose scattered kernel taps land on it: a tap
// (kh, kw) reaches (oh, ow) from ih = (oh + p − kh·d) / s when that divides. Parallel over the
// outputs, so no two threads write one element.
void gatherForward(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const Tensor& w = *k.weights[0];  // [C_in, C_out / groups, kh, kw]
    const float* bias = k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr;
    const Geometry& g = k.params<Geometry>();
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = k.out.shape[1], OH = k.out.shape[2], OW = k.out.shape[3];
    const int64_t groups = g.groups, icg = C / groups, ocg = OC / groups;
#pragma omp parallel for collapse(2) schedule(static) if (N * OC * OH * OW > kParallelWork)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t oc = 0; oc < OC; ++oc) {
            const int64_t group = oc / ocg, o = oc % ocg;
            float* yo = k.out.ptr() + (n * OC + oc) * OH * OW;
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    float acc = bias ? bias[oc] : 0.0f;
                    for (int64_t a = 0; a < g.kh; ++a) {
                        const int64_t th = oh + g.ph - a * g.dh;
                        if (th < 0 || th % g.sh) continue;
                        const int64_t ih = th / g.sh;
                        if (ih >= H) continue;
                        for (int64_t b = 0; b < g.kw; ++b) {
                            const int64_t tw = ow + g.pw - b * g.dw;
                            if (tw < 0 || tw % g.sw) continue;
                            const int64_t iw = tw / g.sw;
                            if (iw >= W) continue;
                            for (int64_t i = 0; i < icg; ++i) {
                                const int64_t ic = group * icg + i;
                                acc += x.ptr()[((n * C + ic) * H + ih) * W + iw] *
                                       w.ptr()[((ic * ocg + o) * g.kh + a) * g.kw + b];
                            }
                        }
                    }
                    yo[oh * OW + ow] = k.relu ? std::max(acc, 0.0f) : acc;
                }
        }
}

// The definition, the other way round: every input element scatters its kernel onto the output.
void scatterReference(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const Tensor& w = *k.weights[0];
    const float* bias = k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr;
    const Geometry& g = k.params<Geometry>();
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = k.out.shape[1], OH = k.out.shape[2], OW = k.out.shape[3];
    const int64_t groups = g.groups, icg = C / groups, ocg = OC / groups;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t oc = 0; oc < OC; ++oc)
            for (int64_t i = 0; i < OH * OW; ++i) k.out.ptr()[(n * OC + oc) * OH * OW + i] = bias ? bias[oc] : 0.0f;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t ic = 0; ic < C; ++ic)
            for (int64_t ih = 0; ih < H; ++ih)
                for (int64_t iw = 0; iw < W; ++iw) {
                    const float v = x.ptr()[((n * C + ic) * H + ih) * W + iw];
                    const int64_t group = ic / icg;
                    for (int64_t o = 0; o < ocg; ++o)
                        for (int64_t a = 0; a < g.kh; ++a)
                            for (int64_t b = 0; b < g.kw; ++b) {
                                const int64_t oh = ih * g.sh - g.ph + a * g.dh, ow = iw * g.sw - g.pw + b * g.dw;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                                const int64_t oc = group * ocg + o;
                                k.out.ptr()[((n * OC + oc) * OH + oh) * OW + ow] +=
                                    v * w.ptr()[((ic * ocg + o) * g.kh + a) * g.kw + b];
                            }
                }
    if (k.relu)
        for (float& v : k.out.data) v = std::max(v, 0.0f);
}

// The scatter above differentiated: each input element gathers the output gradient its kernel
// reached (dx) and adds its value times that gradient to the kernel taps (dw). Parallel over input
// channels, which own both their dx planes and their kernel rows.
void transposedBackward(const BackwardArgs& bk) {
    const Tensor& x = *bk.inputs[0];
    const Tensor& w = *bk.weights[0];
    const Tensor& dy = bk.dOut;
    float* dx = bk.dInputs[0] ? bk.dInputs[0]->ptr() : nullptr;
    float* dw = bk.dWeights[0] ? bk.dWeights[0]->ptr() : nullptr;
    const Geometry& g = bk.params<Geometry>();
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = dy.shape[1], OH = dy.shape[2], OW = dy.shape[3];
    const int64_t groups = g.groups, icg = C / groups, ocg = OC / groups;
#pragma omp parallel for schedule(static) if (N * C * H * W * ocg * g.kh * g.kw > kParallelWork)
    for (int64_t ic = 0; ic < C; ++ic) {
        const int64_t group = ic / icg;
        for (int64_t n = 0; n < N; ++n)
            for (int64_t ih = 0; ih < H; ++ih)
                for (int64_t iw = 0; iw < W; ++iw) {
                    const int64_t at = ((n * C + ic) * H + ih) * W + iw;
                    const float v = x.ptr()[at];
                    double sum = 0;
                    for (int64_t o = 0; o < ocg; ++o)
                        for (int64_t a = 0; a < g.kh; ++a)
                            for (int64_t b = 0; b < g.kw; ++b) {
                                const int64_t oh = ih * g.sh - g.ph + a * g.dh, ow = iw * g.sw - g.pw + b * g.dw;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                                const float d = dy.ptr()[((n * OC + group * ocg + o) * OH + oh) * OW + ow];
                                const int64_t tap = ((ic * ocg + o) * g.kh + a) * g.kw + b;
                                sum += d * w.ptr()[tap];
                                if (dw) dw[tap] += v * d;
                            }
                    if (dx) dx[at] += static_cast<float>(sum);
                }
    }
    if (bk.dWeights.size() > 1 && bk.dWeights[1])
        for (int64_t oc = 0; oc < OC; ++oc) {
            double sum = 0;
            for (int64_t n = 0; n < N; ++n)
                for (int64_t q = 0; q < OH * OW; ++q) sum += dy.ptr()[(n * OC + oc) * OH * OW + q];
            bk.dWeights[1]->ptr()[oc] += static_cast<float>(sum);
        }
}

// In input positions, an output sees ⌊dilation·(k − 1) / stride⌋ + 1 of them along an axis; its step
// on the network input is the input's divided by the stride (kept whole: at least 1, rounded down).
Field transposedField(const NodeAttrs& a, const Shape& in, const std::vector<Field>& inputs) {
    Field f = inputs[0];
    if (f.global || in.size() != 4) return f;
    const Geometry g(a);
    const Window seen{g.dh * (g.kh - 1) / g.sh + 1, g.dw * (g.kw - 1) / g.sw + 1, 1, 1, 1, 1};
    f = slideField(f, seen);
    f.jump_h = std::max<int64_t>(1, f.jump_h / g.sh);
    f.jump_w = std::max<int64_t>(1, f.jump_w / g.sw);
    return f;
}

}  // namespace

LayerKind convTranspose2d() {
    LayerKind k{"ConvTranspose2d", "Convolution",
                "Transposed 2-D convolution (PyTorch nn.ConvTranspose2d): each input position scatters the "
                "kernel onto the output, so stride s upsamples by s. Weight: C_in × C_out/groups × k_h × k_w."};
    k.attrs = {intAttr("in_channels", 0, 0, kMaxChannels, "input channels; 0 takes them from the input"),
               intAttr("out_channels", 16, 1, kMaxChannels, "output channels"),
               int2Attr("kernel_size", 3, 1, kMaxSpatial, "kernel height and width"),
               int2Attr("stride", 1, 1, kMaxSpatial, "upsampling factor: the step between scattered kernels"),
               int2Attr("padding", 0, 0, kMaxSpatial,
                        "rows and columns cropped off each side of the output (PyTorch's padding)"),
               int2Attr("output_padding", 0, 0, kMaxSpatial,
                        "rows and columns added on one side of the output; less than stride or dilation"),
               int2Attr("dilation", 1, 1, kMaxSpatial, "spacing between kernel taps"),
               intAttr("groups", 1, 1, kMaxChannels, "channel groups; must divide in and out channels"),
               boolAttr("bias", true, "add a learned bias per output channel")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        auto c = checkInChannels(ctx, "in_channels");
        if (!c || !checkGroups(ctx, *c)) return std::nullopt;
        const int64_t out = ctx.attrs.i("out_channels");
        const Geometry g(ctx.attrs);
        if ((g.oph >= g.sh && g.oph >= g.dh) || (g.opw >= g.sw && g.opw >= g.dw)) {
            const int64_t most = std::max(std::min(std::max(g.sh, g.dh), std::max(g.sw, g.dw)) - 1, int64_t{0});
            ctx.error("",
                      "output_padding (" + std::to_string(g.oph) + ", " + std::to_string(g.opw) +
                          ") must be smaller than the stride or the dilation (PyTorch's rule); at most " +
                          std::to_string(most),
                      AttrFix{"output_padding", most});
            return std::nullopt;
        }
        const Shape& in = ctx.in();
        const int64_t oh = transposedSize(in[2], g.kh, g.sh, g.ph, g.oph, g.dh);
        const int64_t ow = transposedSize(in[3], g.kw, g.sw, g.pw, g.opw, g.dw);
        if (oh < 1 || ow < 1) {
            ctx.error("", "padding " + std::to_string(g.ph) + "×" + std::to_string(g.pw) + " crops the " +
                              std::to_string(in[2]) + "×" + std::to_string(in[3]) + " input's output to nothing (" +
                              std::to_string(oh) + "×" + std::to_string(ow) + "); use less padding");
            return std::nullopt;
        }
        return std::vector<Shape>{{in[0], out, oh, ow}};
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        auto [kh, kw] = a.i2("kernel_size");
        const int64_t out = a.i("out_channels");
        std::vector<WeightSpec> w{{"weight", {in[1], out / a.i("groups"), kh, kw}, WeightRole::Weight}};
        if (a.b("bias")) w.push_back({"bias", {out}, WeightRole::Bias});
        return w;
    };
    // Every input element meets C_out/groups · k_h · k_w kernel taps.
    k.macs = [](const NodeAttrs& a, const Shape& in, const Shape&) {
        auto [kh, kw] = a.i2("kernel_size");
        return checkedProduct({in[1], in[2], in[3], a.i("out_channels") / a.i("groups"), kh, kw});
    };
    k.field = transposedField;
    k.parse = parseInto<Geometry>;
    k.forward = gatherForward;
    k.reference = scatterReference;
    k.backward = transposedBackward;
    k.fusesRelu = true;  // no affine fold: its kernel's dimension 0 is the input channel
    k.formulas = {
        "C_out = out_channels; H_out = (H − 1)·stride − 2·padding + dilation·(k_h − 1) + output_padding + 1, W_out "
        "alike",
        "C_in · (C_out / groups) · k_h · k_w, + C_out with bias", "C_in · H · W · (C_out / groups) · k_h · k_w"};
    return k;
}

}  // namespace nw::layers
