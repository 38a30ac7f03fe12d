// Graph boundaries: Input (where tensors enter) and Output (marks a result).
#include "common.h"
#include "kinds.h"

#include "tensor.h"

namespace nw::layers {

LayerKind input() {
    LayerKind k{"Input", "Input/Output",
                "A network input of channels × height × width per sample (height = width = 0: a flat vector)."};
    k.role = KindRole::Input;
    k.attrs = {intAttr("channels", 3, 1, kMaxChannels, "channels (or features of a flat input)"),
               intAttr("height", 224, 0, kMaxSpatial, "rows; 0 for a flat input"),
               intAttr("width", 224, 0, kMaxSpatial, "columns; 0 for a flat input"),
               // How an image file becomes this input (the executor's --image); tensors from .npy are used as they are.
               intAttr("resize", 0, 0, kMaxSpatial,
                       "image preprocessing: scale the shorter side to this and centre-crop height × width; "
                       "0 scales straight to height × width"),
               choiceAttr("normalize", "unit", {"unit", "imagenet", "mnist", "tf"},
                          "image preprocessing: unit = pixel/255; imagenet = (pixel/255 − mean) / std with "
                          "torchvision's ImageNet mean and std; mnist = (pixel/255 − 0.1307) / 0.3081; "
                          "tf = pixel/127.5 − 1 (Keras Xception, Inception)")};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (ctx.inputOverride) return std::vector<Shape>{*ctx.inputOverride};
        int64_t c = ctx.attrs.i("channels"), h = ctx.attrs.i("height"), w = ctx.attrs.i("width");
        if ((h == 0) != (w == 0)) {
            ctx.error("", "height and width must both be positive (an image) or both 0 (a flat input)");
            return std::nullopt;
        }
        if (h == 0) return std::vector<Shape>{{ctx.batch, c}};
        return std::vector<Shape>{{ctx.batch, c, h, w}};
    };
    // The executor writes the network's input into the output buffer; nothing to compute.
    k.forward = [](const KernelArgs&) {};
    k.formulas = {"N × channels × height × width (N × channels when height = width = 0)", "none", "none"};
    return k;
}

LayerKind output() {
    LayerKind k{"Output", "Input/Output", "Marks a network output."};
    k.role = KindRole::Output;
    k.attrs = {choiceAttr("labels", "none", {"none", "imagenet1k", "mnist", "fashion_mnist"},
                          "class names for the top-k list (resources/labels/NAME.txt)")};
    k.inputs = {"in"};
    k.outputs = {};
    k.infer = [](ShapeContext&) -> std::optional<std::vector<Shape>> { return std::vector<Shape>{}; };
    k.forward = [](const KernelArgs&) {};  // the executor reads the result from the node feeding it
    k.formulas = {"none: it marks where the network ends", "none", "none"};
    return k;
}

}  // namespace nw::layers
