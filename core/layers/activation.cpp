// Element-wise layers that keep the shape: activations, softmax, dropout.
#include "common.h"
#include "kinds.h"

#include <algorithm>
#include <cmath>

#include "tensor.h"

namespace nw::layers {
namespace {

std::optional<std::vector<Shape>> sameShape(ShapeContext& ctx) { return std::vector<Shape>{ctx.in()}; }

// y[i] = f(x[i], attrs) for every element.
template <float (*F)(float, const NodeAttrs&)>
void map(const KernelArgs& k) {
    const float* x = k.inputs[0]->ptr();
    float* y = k.out.ptr();
    const int64_t n = k.out.numel();
#pragma omp parallel for schedule(static) if (n >= kParallelWork)
    for (int64_t i = 0; i < n; ++i) y[i] = F(x[i], k.attrs);
}

LayerKind elementwise(std::string name, std::string doc, void (*forward)(const KernelArgs&),
                      std::vector<AttrSpec> attrs = {}) {
    LayerKind k{std::move(name), "Activation", std::move(doc), std::move(attrs)};
    k.inputs = {"in"};
    k.infer = sameShape;
    k.forward = forward;
    return k;
}

float reluOf(float x, const NodeAttrs&) { return x > 0 ? x : 0.0f; }
float leakyOf(float x, const NodeAttrs& a) { return x > 0 ? x : static_cast<float>(a.f("negative_slope")) * x; }
float sigmoidOf(float x, const NodeAttrs&) { return 1.0f / (1.0f + std::exp(-x)); }
float tanhOf(float x, const NodeAttrs&) { return std::tanh(x); }
float identityOf(float x, const NodeAttrs&) { return x; }
float relu6Of(float x, const NodeAttrs&) { return std::min(std::max(x, 0.0f), 6.0f); }
float hardSigmoidOf(float x, const NodeAttrs& a) {
    return std::clamp(static_cast<float>(a.f("alpha")) * x + static_cast<float>(a.f("beta")), 0.0f, 1.0f);
}
// PyTorch's Hardswish and ONNX's HardSwish: x · relu6(x + 3) / 6.
float hardSwishOf(float x, const NodeAttrs&) { return x * std::clamp(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f); }

// Softmax along `dim`: the tensor is outer × size × inner; subtracting the maximum keeps exp finite.
void softmaxForward(const KernelArgs& k) {
    const Shape& s = k.out.shape;
    const auto dim = static_cast<size_t>(k.attrs.i("dim"));
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < dim; ++i) outer *= s[i];
    for (size_t i = dim + 1; i < s.size(); ++i) inner *= s[i];
    const int64_t size = s[dim];
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

}  // namespace

LayerKind relu() {
    LayerKind k = elementwise("ReLU", "max(x, 0)", map<reluOf>);
    k.epilogue = Epilogue::Relu;
    return k;
}
LayerKind leakyRelu() {
    return elementwise("LeakyReLU", "x if x > 0 else negative_slope · x", map<leakyOf>,
                       {floatAttr("negative_slope", 0.01, -1e6, 1e6, "slope for x < 0")});
}
LayerKind relu6() { return elementwise("ReLU6", "min(max(x, 0), 6) (MobileNet)", map<relu6Of>); }
LayerKind hardSigmoid() {
    // PyTorch's Hardsigmoid is alpha = 1/6; ONNX's default is 0.2.
    return elementwise(
        "HardSigmoid", "max(0, min(1, alpha · x + beta)) (MobileNetV3's gates)", map<hardSigmoidOf>,
        {floatAttr("alpha", 1.0 / 6.0, -1e6, 1e6, "slope"), floatAttr("beta", 0.5, -1e6, 1e6, "offset")});
}
LayerKind hardSwish() { return elementwise("HardSwish", "x · ReLU6(x + 3) / 6 (MobileNetV3)", map<hardSwishOf>); }
LayerKind sigmoid() { return elementwise("Sigmoid", "1 / (1 + e^-x)", map<sigmoidOf>); }
LayerKind tanh() { return elementwise("Tanh", "hyperbolic tangent", map<tanhOf>); }

LayerKind softmax() {
    LayerKind k = elementwise("Softmax", "normalised exponentials along `dim` (1 = channels / classes)", softmaxForward,
                              {intAttr("dim", 1, 1, 3, "axis to normalise")});
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (ctx.attrs.i("dim") >= static_cast<int64_t>(ctx.in().size())) {
            ctx.error("in", "dim = " + std::to_string(ctx.attrs.i("dim")) + " but the input " + formatShape(ctx.in()) +
                                " has only " + std::to_string(ctx.in().size()) + " dimensions");
            return std::nullopt;
        }
        return std::vector<Shape>{ctx.in()};
    };
    return k;
}

LayerKind dropout() {
    LayerKind k = elementwise("Dropout", "zeroes elements with probability p while training; identity at inference",
                              map<identityOf>, {floatAttr("p", 0.5, 0, 1, "drop probability")});
    k.category = "Regularization";
    return k;
}

}  // namespace nw::layers
