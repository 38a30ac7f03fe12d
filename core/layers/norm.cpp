// Normalisation: BatchNorm2d and LRN (local response normalisation, original AlexNet).
#include "common.h"
#include "kinds.h"

namespace nw::layers {

LayerKind batchNorm2d() {
    LayerKind k{"BatchNorm2d", "Normalization",
                "Batch normalisation per channel (PyTorch nn.BatchNorm2d). gamma and beta are trained; the "
                "running mean and variance are not (non-trainable parameters)."};
    k.attrs = {intAttr("num_features", 0, 0, kMaxChannels, "channels; 0 takes them from the input"),
               floatAttr("eps", 1e-5, 0, 1, "added to the variance"),
               floatAttr("momentum", 0.1, 0, 1, "running-statistics update rate (PyTorch convention)"),
               boolAttr("affine", true, "learn gamma (weight) and beta (bias)")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        if (!checkInChannels(ctx, "num_features")) return std::nullopt;
        return std::vector<Shape>{ctx.in()};
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        std::vector<WeightSpec> w;
        if (a.b("affine")) {
            w.push_back({"weight", {in[1]}, WeightRole::NormAffine});
            w.push_back({"bias", {in[1]}, WeightRole::NormAffine});
        }
        w.push_back({"running_mean", {in[1]}, WeightRole::NormStatistic});
        w.push_back({"running_var", {in[1]}, WeightRole::NormStatistic});
        return w;
    };
    return k;
}

LayerKind lrn() {
    LayerKind k{"LRN", "Normalization",
                "Local response normalisation across channels (AlexNet 2012; PyTorch nn.LocalResponseNorm): "
                "x / (k + alpha/size · Σ x²)^beta over `size` neighbouring channels."};
    k.attrs = {intAttr("size", 5, 1, 1024, "channels in the window"),
               floatAttr("alpha", 1e-4, 0, 1e6, "scale"), floatAttr("beta", 0.75, 0, 1e6, "exponent"),
               floatAttr("k", 1.0, 0, 1e6, "additive constant (AlexNet paper: 2)")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        return std::vector<Shape>{ctx.in()};
    };
    return k;
}

}  // namespace nw::layers
