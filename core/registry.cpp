#include "registry.h"

#include "layers/kinds.h"

namespace nw {

// The one list of kinds. Explicit on purpose: static self-registration is dropped by the linker
// when the core is a static library.
Registry::Registry() {
    using namespace layers;
    kinds_ = {
        input(),
        output(),
        conv2d(),
        depthwiseConv2d(),
        separableConv2d(),
        maxPool2d(),
        avgPool2d(),
        adaptiveAvgPool2d(),
        globalAvgPool(),
        batchNorm2d(),
        lrn(),
        relu(),
        leakyRelu(),
        sigmoid(),
        tanh(),
        softmax(),
        dropout(),
        flatten(),
        linear(),
        concat(),
        add(),
        zeroPadChannels(),
    };
}

const Registry& Registry::instance() {
    static const Registry registry;
    return registry;
}

const LayerKind* Registry::find(std::string_view name) const {
    for (const auto& k : kinds_)
        if (k.name == name) return &k;
    return nullptr;
}

}  // namespace nw
