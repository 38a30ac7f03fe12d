// Layers that rearrange or merge tensors: Flatten, Concat, Add, Mul, ZeroPadChannels.
#include "common.h"
#include "kinds.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor.h"

namespace nw::layers {

namespace {

// Concatenation along axis 1: each input contributes a block of C_i × inner values per sample.
void concatForward(const KernelArgs& k) {
    const int64_t N = k.out.shape[0];
    int64_t inner = 1;
    for (size_t i = 2; i < k.out.shape.size(); ++i) inner *= k.out.shape[i];
    const int64_t total = k.out.shape[1] * inner;
    std::vector<int64_t> offsets{0};  // where each input's block starts in a sample
    for (const Tensor* in : k.inputs) offsets.push_back(offsets.back() + in->shape[1] * inner);
    const auto inputs = static_cast<int64_t>(k.inputs.size());
    // The copies are independent: both threads take some (GoogLeNet's concats move megabytes).
#pragma omp parallel for collapse(2) schedule(static) if (N * total >= kParallelWork)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inputs; ++i) {
            const auto at = static_cast<size_t>(i);
            const int64_t block = offsets[at + 1] - offsets[at];
            std::memcpy(k.out.ptr() + n * total + offsets[at], k.inputs[at]->ptr() + n * block,
                        static_cast<size_t>(block) * sizeof(float));
        }
}

// One pass over the inputs, with the fused ReLU of a residual unit's end.
void addForward(const KernelArgs& k) {
    float* y = k.out.ptr();
    const int64_t n = k.out.numel();
    const float* a = k.inputs[0]->ptr();
    const float* b = k.inputs[1]->ptr();
    const bool more = k.inputs.size() > 2, relu = k.relu;
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t j = 0; j < n; ++j) {
        float v = a[j] + b[j];
        if (more)
            for (size_t i = 2; i < k.inputs.size(); ++i) v += k.inputs[i]->ptr()[j];
        y[j] = relu && v < 0 ? 0.0f : v;
    }
}

struct SubsampleParams final : KernelParams {
    int64_t stride;
    explicit SubsampleParams(const NodeAttrs& a) : stride(a.i("stride")) {}
};

// Keep every stride-th row and column, then append zero channels (ResNet option A).
void zeroPadForward(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    Tensor& y = k.out;
    std::fill(y.data.begin(), y.data.end(), 0.0f);
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OC = y.shape[1], OH = y.shape[2], OW = y.shape[3], s = k.params<SubsampleParams>().stride;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow)
                    y.ptr()[((n * OC + c) * OH + oh) * OW + ow] = x.ptr()[((n * C + c) * H + oh * s) * W + ow * s];
}

// Element-wise product; an N×C×1×1 operand scales each channel plane of the other (squeeze-and-excitation).
void mulForward(const KernelArgs& k) {
    const Tensor* a = k.inputs[0];
    const Tensor* b = k.inputs[1];
    if (a->numel() < b->numel()) std::swap(a, b);
    float* y = k.out.ptr();
    const int64_t n = k.out.numel();
    if (a->numel() == b->numel()) {
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
        for (int64_t j = 0; j < n; ++j) y[j] = a->ptr()[j] * b->ptr()[j];
        return;
    }
    const int64_t planes = b->numel(), plane = n / planes;
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t p = 0; p < planes; ++p) {
        const float s = b->ptr()[p];
        const float* x = a->ptr() + p * plane;
        for (int64_t j = 0; j < plane; ++j) y[p * plane + j] = x[j] * s;
    }
}

void copyForward(const KernelArgs& k) { std::copy_n(k.inputs[0]->ptr(), k.out.numel(), k.out.ptr()); }

// dx += dy for each input given (element for element: Flatten's and Add's inputs).
void passBackward(const BackwardArgs& b) {
    const float* dy = b.dOut.ptr();
    const int64_t n = b.dOut.numel();
    for (Tensor* dx : b.dInputs)
        if (dx) {
            float* d = dx->ptr();
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
            for (int64_t j = 0; j < n; ++j) d[j] += dy[j];
        }
}

// Each input's block of channels of dy, back to it.
void concatBackward(const BackwardArgs& b) {
    const int64_t N = b.dOut.shape[0], total = b.dOut.numel() / N;
    int64_t offset = 0;
    for (size_t i = 0; i < b.inputs.size(); ++i) {
        const int64_t block = b.inputs[i]->numel() / N;
        if (Tensor* dx = b.dInputs[i])
            for (int64_t n = 0; n < N; ++n) {
                const float* dy = b.dOut.ptr() + n * total + offset;
                float* d = dx->ptr() + n * block;
                for (int64_t j = 0; j < block; ++j) d[j] += dy[j];
            }
        offset += block;
    }
}

// d(a·b): da += dy·b; for a per-channel scale b (N×C×1×1), db += Σ over the plane of dy·a.
void mulBackward(const BackwardArgs& b) {
    const bool swapped = b.inputs[0]->numel() < b.inputs[1]->numel();
    const Tensor& big = *b.inputs[swapped ? 1 : 0];
    const Tensor& small = *b.inputs[swapped ? 0 : 1];
    Tensor* dBig = b.dInputs[swapped ? 1 : 0];
    Tensor* dSmall = b.dInputs[swapped ? 0 : 1];
    const int64_t planes = small.numel(), plane = big.numel() / planes;
    const float* dy = b.dOut.ptr();
#pragma omp parallel for schedule(static) if (big.numel() >= kParallelWork)
    for (int64_t p = 0; p < planes; ++p) {
        double sum = 0;
        for (int64_t j = p * plane; j < (p + 1) * plane; ++j) {
            if (dBig) dBig->ptr()[j] += dy[j] * (plane == 1 ? small.ptr()[j] : small.ptr()[p]);
            sum += static_cast<double>(dy[j]) * big.ptr()[j];
        }
        if (dSmall) dSmall->ptr()[p] += static_cast<float>(sum);
    }
}

// The kept rows and columns of the input's channels get their gradient; the zero channels none.
void zeroPadBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    Tensor& dx = *b.dInputs[0];
    const int64_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3];
    const int64_t OC = b.dOut.shape[1], OH = b.dOut.shape[2], OW = b.dOut.shape[3],
                  s = b.params<SubsampleParams>().stride;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow)
                    dx.ptr()[((n * C + c) * H + oh * s) * W + ow * s] +=
                        b.dOut.ptr()[((n * OC + c) * OH + oh) * OW + ow];
}

}  // namespace

LayerKind flatten() {
    LayerKind k{"Flatten", "Reshape", "N×C×H×W → N×(C·H·W)"};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        const Shape& in = ctx.in();
        Shape folded(in.begin() + 1, in.end());
        auto n = checkedProduct(folded);
        if (!n) {
            ctx.error("in", "flattening " + formatShape(in) + " overflows 64-bit sizes");
            return std::nullopt;
        }
        ctx.outputFactors = folded;
        return std::vector<Shape>{{in[0], *n}};
    };
    k.forward = copyForward;
    k.backward = passBackward;
    k.formulas = {"N × (C · H · W)", "none", "none"};
    return k;
}

// Variadic merge kinds: ports in0..in{num_inputs-1}.
static LayerKind merge(std::string name, std::string doc) {
    LayerKind k{std::move(name), "Merge", std::move(doc)};
    k.attrs = {intAttr("num_inputs", 2, 2, 64, "number of input ports")};
    k.inputs = {"in"};
    k.variadic = true;
    k.field = [](const NodeAttrs&, const Shape&, const std::vector<Field>& inputs) { return widestField(inputs); };
    return k;
}

static std::string describe(const ShapeContext& ctx, size_t i) {
    return ctx.inputPorts[i] + " is " + formatShape(ctx.in(i));
}

LayerKind concat() {
    LayerKind k = merge("Concat", "Joins its inputs along the channel axis; all other dimensions must agree.");
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        const Shape& first = ctx.in(0);
        Shape out = first;
        for (size_t i = 1; i < ctx.inputs.size(); ++i) {
            const Shape& s = ctx.in(i);
            if (s.size() != first.size()) {
                ctx.error(ctx.inputPorts[i],
                          "concat inputs differ in rank: " + describe(ctx, 0) + ", " + describe(ctx, i));
                return std::nullopt;
            }
            if (s.size() == 4 && (s[2] != first[2] || s[3] != first[3])) {
                ctx.error(ctx.inputPorts[i],
                          "concat inputs differ in H×W: " + describe(ctx, 0) + " (" + std::to_string(first[2]) + "×" +
                              std::to_string(first[3]) + "), " + describe(ctx, i) + " (" + std::to_string(s[2]) + "×" +
                              std::to_string(s[3]) +
                              "); every branch must keep the same spatial size (check padding and stride)");
                return std::nullopt;
            }
            if (s[0] != first[0]) {
                ctx.error(ctx.inputPorts[i],
                          "concat inputs differ in batch: " + describe(ctx, 0) + ", " + describe(ctx, i));
                return std::nullopt;
            }
            auto c = checkedAdd(out[1], s[1]);
            if (!c) {
                ctx.error(ctx.inputPorts[i], "concatenated channels overflow 64-bit sizes");
                return std::nullopt;
            }
            out[1] = *c;
        }
        return std::vector<Shape>{out};
    };
    k.forward = concatForward;
    k.backward = concatBackward;
    k.formulas = {"N × (C_in0 + C_in1 + …) × H × W: the channels in port order", "none", "none"};
    return k;
}

LayerKind add() {
    LayerKind k = merge("Add", "Element-wise sum of inputs of one shape (residual connections).");
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        const Shape& first = ctx.in(0);
        for (size_t i = 1; i < ctx.inputs.size(); ++i) {
            const Shape& s = ctx.in(i);
            if (s == first) continue;
            std::string fix;
            std::optional<InsertFix> projection;
            if (s.size() == 4 && first.size() == 4) {
                // Say which branch to adapt: the one with fewer channels or more pixels.
                bool i_is_shortcut = s[1] < first[1] || s[2] > first[2];
                const Shape& from = i_is_shortcut ? s : first;
                const Shape& to = i_is_shortcut ? first : s;
                // A 1×1 kernel with stride s gives ⌊(H − 1) / s⌋ + 1: suggest it only for a stride that
                // gives exactly the other branch's H and W.
                auto strided = [](int64_t size, int64_t stride) { return (size - 1) / stride + 1; };
                int64_t stride = 0;
                for (int64_t st = 1; st <= std::max<int64_t>(from[2], from[3]) && st <= 64; ++st)
                    if (strided(from[2], st) == to[2] && strided(from[3], st) == to[3]) {
                        stride = st;
                        break;
                    }
                const std::string branch = i_is_shortcut ? ctx.inputPorts[i] : ctx.inputPorts[0];
                if (stride) {
                    projection = InsertFix{
                        branch,
                        "Conv2d",
                        {{"out_channels", to[1]}, {"kernel_size", int64_t{1}}, {"stride", stride}, {"bias", false}}};
                    fix = "; on the " + branch + " branch add a 1×1 Conv2d to " + std::to_string(to[1]) +
                          " channels with stride " + std::to_string(stride) + " (projection, option B)";
                    if (to[1] >= from[1])
                        fix += " or a ZeroPadChannels to " + std::to_string(to[1]) + " with stride " +
                               std::to_string(stride) + " (option A)";
                } else {
                    fix = "; no stride maps " + std::to_string(from[2]) + "×" + std::to_string(from[3]) + " onto " +
                          std::to_string(to[2]) + "×" + std::to_string(to[3]) +
                          ": check the padding and strides of the layers before the add";
                }
            }
            const std::string message =
                "add inputs differ in shape: " + describe(ctx, 0) + ", " + describe(ctx, i) + fix;
            if (projection) ctx.error(ctx.inputPorts[i], message, std::move(*projection));
            else ctx.error(ctx.inputPorts[i], message);
            return std::nullopt;
        }
        return std::vector<Shape>{first};
    };
    k.forward = addForward;
    k.backward = passBackward;
    k.fusesRelu = true;
    k.epilogue = Epilogue::ResidualAdd;  // of two inputs
    k.formulas = {"the inputs' common shape", "none", "none (additions)"};
    return k;
}

LayerKind mul() {
    LayerKind k{"Mul", "Merge",
                "Element-wise product of two inputs of one shape, or of a feature map and an N×C×1×1 per-channel "
                "scale (squeeze-and-excitation)."};
    k.inputs = {"in0", "in1"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        const Shape& a = ctx.in(0);
        const Shape& b = ctx.in(1);
        if (a == b) return std::vector<Shape>{a};
        auto perChannel = [](const Shape& scale, const Shape& map) {
            return scale.size() == 4 && map.size() == 4 && scale[0] == map[0] && scale[1] == map[1] && scale[2] == 1 &&
                   scale[3] == 1;
        };
        if (perChannel(b, a)) return std::vector<Shape>{a};
        if (perChannel(a, b)) return std::vector<Shape>{b};
        ctx.error("in1", "mul inputs must have one shape, or one must be N×C×1×1 with the other's N and C: " +
                             describe(ctx, 0) + ", " + describe(ctx, 1));
        return std::nullopt;
    };
    k.field = [](const NodeAttrs&, const Shape&, const std::vector<Field>& inputs) { return widestField(inputs); };
    k.forward = mulForward;
    k.backward = mulBackward;
    k.formulas = {"the larger input's shape", "none", "none (products)"};
    return k;
}

static Window strideWindow(const NodeAttrs& a, const Shape&) {
    const int64_t s = a.i("stride");
    return Window{1, 1, s, s, 1, 1};
}

LayerKind zeroPadChannels() {
    LayerKind k{"ZeroPadChannels", "Reshape",
                "ResNet shortcut option A: subsample by `stride` and append zero channels up to out_channels. "
                "No parameters."};
    k.attrs = {intAttr("out_channels", 64, 1, kMaxChannels, "channels after padding"),
               intAttr("stride", 1, 1, kMaxSpatial, "keep every stride-th row and column")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        const Shape& in = ctx.in();
        int64_t out = ctx.attrs.i("out_channels"), s = ctx.attrs.i("stride");
        if (out < in[1]) {
            ctx.error("in", "out_channels = " + std::to_string(out) + " is fewer than the input's " +
                                std::to_string(in[1]) + " channels; padding cannot remove channels");
            return std::nullopt;
        }
        return std::vector<Shape>{{in[0], out, (in[2] + s - 1) / s, (in[3] + s - 1) / s}};
    };
    k.field = windowedField<strideWindow>;
    k.parse = parseInto<SubsampleParams>;
    k.forward = zeroPadForward;
    k.backward = zeroPadBackward;
    k.formulas = {"N × out_channels × ⌈H / stride⌉ × ⌈W / stride⌉", "none", "none"};
    return k;
}

}  // namespace nw::layers
