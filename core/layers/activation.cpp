// Element-wise layers that keep the shape: activations, softmax, dropout.
#include "common.h"
#include "kinds.h"

namespace nw::layers {
namespace {

std::optional<std::vector<Shape>> sameShape(ShapeContext& ctx) { return std::vector<Shape>{ctx.in()}; }

LayerKind elementwise(std::string name, std::string doc, std::vector<AttrSpec> attrs = {}) {
    LayerKind k{std::move(name), "Activation", std::move(doc), std::move(attrs)};
    k.inputs = {"in"};
    k.infer = sameShape;
    return k;
}

}  // namespace

LayerKind relu() { return elementwise("ReLU", "max(x, 0)"); }
LayerKind leakyRelu() {
    return elementwise("LeakyReLU", "x if x > 0 else negative_slope · x",
                       {floatAttr("negative_slope", 0.01, -1e6, 1e6, "slope for x < 0")});
}
LayerKind sigmoid() { return elementwise("Sigmoid", "1 / (1 + e^-x)"); }
LayerKind tanh() { return elementwise("Tanh", "hyperbolic tangent"); }

LayerKind softmax() {
    LayerKind k = elementwise("Softmax", "normalised exponentials along `dim` (1 = channels / classes)",
                              {intAttr("dim", 1, 1, 3, "axis to normalise")});
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (ctx.attrs.i("dim") >= static_cast<int64_t>(ctx.in().size())) {
            ctx.error("in", "dim = " + std::to_string(ctx.attrs.i("dim")) + " but the input " +
                                formatShape(ctx.in()) + " has only " + std::to_string(ctx.in().size()) + " dimensions");
            return std::nullopt;
        }
        return std::vector<Shape>{ctx.in()};
    };
    return k;
}

LayerKind dropout() {
    LayerKind k = elementwise("Dropout", "zeroes elements with probability p while training; identity at inference",
                              {floatAttr("p", 0.5, 0, 1, "drop probability")});
    k.category = "Regularization";
    return k;
}

}  // namespace nw::layers
