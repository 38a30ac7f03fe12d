// Element-wise layers that keep the shape: activations, softmax, dropout.
#include "common.h"
#include "kinds.h"

#include <algorithm>
#include <cmath>

#include "tensor.h"

namespace nw::layers {
namespace {

std::optional<std::vector<Shape>> sameShape(ShapeContext& ctx) { return std::vector<Shape>{ctx.in()}; }

// The constants of an element-wise formula, parsed once: LeakyReLU's slope (a), HardSigmoid's α and
// β (a, b), Dropout's p (a); none for the others.
struct Coefficients final : KernelParams {
    float a = 0, b = 0;
};
std::unique_ptr<KernelParams> noCoefficients(const NodeAttrs&, const Shape&) {
    return std::make_unique<Coefficients>();
}
template <const char* A, const char* B = nullptr>
std::unique_ptr<KernelParams> coefficients(const NodeAttrs& attrs, const Shape&) {
    auto c = std::make_unique<Coefficients>();
    c->a = static_cast<float>(attrs.f(A));
    if constexpr (B != nullptr) c->b = static_cast<float>(attrs.f(B));
    return c;
}
constexpr char kNegativeSlope[] = "negative_slope", kAlpha[] = "alpha", kBeta[] = "beta", kP[] = "p";

// y[i] = f(x[i], coefficients) for every element.
template <float (*F)(float, const Coefficients&)>
void map(const KernelArgs& k) {
    const float* x = k.inputs[0]->ptr();
    float* y = k.out.ptr();
    const int64_t n = k.out.numel();
    const Coefficients& c = k.params<Coefficients>();
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t i = 0; i < n; ++i) y[i] = F(x[i], c);
}

// dx[i] += dy[i] · f'(x[i]), the derivative written from the input x and the output y.
template <float (*D)(float x, float y, const Coefficients&)>
void mapBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    const Coefficients& c = b.params<Coefficients>();
    const float* x = b.inputs[0]->ptr();
    const float* y = b.out.ptr();
    const float* dy = b.dOut.ptr();
    float* dx = b.dInputs[0]->ptr();
    const int64_t n = b.out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * D(x[i], y[i], c);
}

LayerKind elementwise(std::string name, std::string doc, void (*forward)(const KernelArgs&),
                      void (*backward)(const BackwardArgs&), std::vector<AttrSpec> attrs = {},
                      std::unique_ptr<KernelParams> (*parse)(const NodeAttrs&, const Shape&) = noCoefficients) {
    LayerKind k{std::move(name), "Activation", std::move(doc), std::move(attrs)};
    k.inputs = {"in"};
    k.infer = sameShape;
    k.parse = parse;
    k.forward = forward;
    k.backward = backward;
    return k;
}

float reluOf(float x, const Coefficients&) { return x > 0 ? x : 0.0f; }
float leakyOf(float x, const Coefficients& c) { return x > 0 ? x : c.a * x; }
float sigmoidOf(float x, const Coefficients&) { return 1.0f / (1.0f + std::exp(-x)); }
float tanhOf(float x, const Coefficients&) { return std::tanh(x); }
float identityOf(float x, const Coefficients&) { return x; }
float relu6Of(float x, const Coefficients&) { return std::min(std::max(x, 0.0f), 6.0f); }
float hardSigmoidOf(float x, const Coefficients& c) { return std::clamp(c.a * x + c.b, 0.0f, 1.0f); }
// PyTorch's Hardswish and ONNX's HardSwish: x · relu6(x + 3) / 6.
float hardSwishOf(float x, const Coefficients&) { return x * std::clamp(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f); }

// The derivatives, at PyTorch's points: a kink's derivative is that of the side autograd takes.
float reluSlope(float x, float, const Coefficients&) { return x > 0 ? 1.0f : 0.0f; }
float leakySlope(float x, float, const Coefficients& c) { return x > 0 ? 1.0f : c.a; }
float relu6Slope(float x, float, const Coefficients&) { return x > 0 && x < 6 ? 1.0f : 0.0f; }
float hardSigmoidSlope(float x, float, const Coefficients& c) {
    const float v = c.a * x + c.b;
    return v > 0 && v < 1 ? c.a : 0.0f;
}
float hardSwishSlope(float x, float, const Coefficients&) {
    if (x < -3) return 0.0f;
    return x <= 3 ? x / 3.0f + 0.5f : 1.0f;
}
float sigmoidSlope(float, float y, const Coefficients&) { return y * (1.0f - y); }
float tanhSlope(float, float y, const Coefficients&) { return 1.0f - y * y; }

// The tensor as outer × size × inner around `dim`, as softmax sees it.
struct AroundDim {
    int64_t outer = 1, size = 1, inner = 1;
};
AroundDim aroundDim(const Shape& s, size_t dim) {
    AroundDim a;
    for (size_t i = 0; i < dim; ++i) a.outer *= s[i];
    for (size_t i = dim + 1; i < s.size(); ++i) a.inner *= s[i];
    a.size = s[dim];
    return a;
}

struct SoftmaxParams final : KernelParams {
    size_t dim;
    explicit SoftmaxParams(const NodeAttrs& a) : dim(static_cast<size_t>(a.i("dim"))) {}
};

// Softmax along `dim`: the tensor is outer × size × inner; subtracting the maximum keeps exp finite.
void softmaxForward(const KernelArgs& k) {
    const AroundDim a = aroundDim(k.out.shape, k.params<SoftmaxParams>().dim);
    const int64_t outer = a.outer, size = a.size, inner = a.inner;
    const float* x = k.inputs[0]->ptr();
    float* y = k.out.ptr();
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            const int64_t base = o * size * inner + i;
            float m = -INFINITY;
            for (int64_t c = 0; c < size; ++c) m = std::max(m, x[base + c * inner]);
            double sum = 0;
            for (int64_t c = 0; c < size; ++c) sum += y[base + c * inner] = std::exp(x[base + c * inner] - m);
            for (int64_t c = 0; c < size; ++c) y[base + c * inner] = static_cast<float>(y[base + c * inner] / sum);
        }
}

// dx = y · (dy − Σ_c dy·y) along `dim`.
void softmaxBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    const AroundDim a = aroundDim(b.out.shape, b.params<SoftmaxParams>().dim);
    const float* y = b.out.ptr();
    const float* dy = b.dOut.ptr();
    float* dx = b.dInputs[0]->ptr();
#pragma omp parallel for collapse(2) schedule(static) if (b.out.numel() >= kParallelWork)
    for (int64_t o = 0; o < a.outer; ++o)
        for (int64_t i = 0; i < a.inner; ++i) {
            const int64_t base = o * a.size * a.inner + i;
            double dot = 0;
            for (int64_t c = 0; c < a.size; ++c) dot += dy[base + c * a.inner] * y[base + c * a.inner];
            for (int64_t c = 0; c < a.size; ++c) {
                const int64_t at = base + c * a.inner;
                dx[at] += static_cast<float>(y[at] * (dy[at] - dot));
            }
        }
}

// A uniform number in [0, 1) for element `i` under `seed` (SplitMix64): the mask depends on the seed
// and the element only, not on how threads share the work.
float uniformAt(uint64_t seed, uint64_t i) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) * 0x1.0p-24f;
}

// Training: each element is kept with probability 1 − p and scaled by 1 / (1 − p), as PyTorch's
// dropout; `saved` is the mask with its scale, which the backward multiplies by.
void dropoutTrain(const TrainArgs& t) {
    const float p = t.params<Coefficients>().a;
    const float keep = p >= 1 ? 0.0f : 1.0f / (1.0f - p);
    const float* x = t.inputs[0]->ptr();
    float* y = t.out.ptr();
    t.saved = Tensor(t.out.shape);
    float* mask = t.saved.ptr();
    const int64_t n = t.out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t i = 0; i < n; ++i) {
        mask[i] = uniformAt(t.seed, static_cast<uint64_t>(i)) >= p ? keep : 0.0f;
        y[i] = x[i] * mask[i];
    }
}

// After a training forward, the saved mask; at inference (no mask saved), the identity.
void dropoutBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    const float* dy = b.dOut.ptr();
    float* dx = b.dInputs[0]->ptr();
    const int64_t n = b.out.numel();
    const float* mask = b.saved.numel() == n ? b.saved.ptr() : nullptr;
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t i = 0; i < n; ++i) dx[i] += mask ? dy[i] * mask[i] : dy[i];
}

}  // namespace

LayerKind relu() {
    LayerKind k = elementwise("ReLU", "max(x, 0)", map<reluOf>, mapBackward<reluSlope>);
    k.epilogue = Epilogue::Relu;
    return k;
}
LayerKind leakyRelu() {
    return elementwise("LeakyReLU", "x if x > 0 else negative_slope · x", map<leakyOf>, mapBackward<leakySlope>,
                       {floatAttr("negative_slope", 0.01, -1e6, 1e6, "slope for x < 0")}, coefficients<kNegativeSlope>);
}
LayerKind relu6() {
    return elementwise("ReLU6", "min(max(x, 0), 6) (MobileNet)", map<relu6Of>, mapBackward<relu6Slope>);
}
LayerKind hardSigmoid() {
    // PyTorch's Hardsigmoid is alpha = 1/6; ONNX's default is 0.2.
    return elementwise("HardSigmoid", "max(0, min(1, alpha · x + beta)) (MobileNetV3's gates)", map<hardSigmoidOf>,
                       mapBackward<hardSigmoidSlope>,
                       {floatAttr("alpha", 1.0 / 6.0, -1e6, 1e6, "slope"), floatAttr("beta", 0.5, -1e6, 1e6, "offset")},
                       coefficients<kAlpha, kBeta>);
}
LayerKind hardSwish() {
    return elementwise("HardSwish", "x · ReLU6(x + 3) / 6 (MobileNetV3)", map<hardSwishOf>,
                       mapBackward<hardSwishSlope>);
}
LayerKind sigmoid() { return elementwise("Sigmoid", "1 / (1 + e^-x)", map<sigmoidOf>, mapBackward<sigmoidSlope>); }
LayerKind tanh() { return elementwise("Tanh", "hyperbolic tangent", map<tanhOf>, mapBackward<tanhSlope>); }

LayerKind softmax() {
    LayerKind k =
        elementwise("Softmax", "normalised exponentials along `dim` (1 = channels / classes)", softmaxForward,
                    softmaxBackward, {intAttr("dim", 1, 1, 3, "axis to normalise")}, parseInto<SoftmaxParams>);
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (ctx.attrs.i("dim") >= static_cast<int64_t>(ctx.in().size())) {
            ctx.error("in", "dim = " + std::to_string(ctx.attrs.i("dim")) + " but the input " + formatShape(ctx.in()) +
                                " has only " + std::to_string(ctx.in().size()) + " dimensions");
            return std::nullopt;
        }
        return std::vector<Shape>{ctx.in()};
    };
    k.outputsProbabilities = true;
    return k;
}

LayerKind dropout() {
    LayerKind k = elementwise("Dropout", "zeroes elements with probability p while training; identity at inference",
                              map<identityOf>, dropoutBackward, {floatAttr("p", 0.5, 0, 1, "drop probability")},
                              coefficients<kP>);
    k.category = "Regularization";
    k.trainForward = dropoutTrain;
    return k;
}

}  // namespace nw::layers
