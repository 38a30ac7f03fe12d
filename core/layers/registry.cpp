#include "registry.h"

#include "kinds.h"

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
        convTranspose2d(),
        maxPool2d(),
        avgPool2d(),
        adaptiveAvgPool2d(),
        globalAvgPool(),
        globalMaxPool(),
        batchNorm2d(),
        lrn(),
        relu(),
        leakyRelu(),
        relu6(),
        hardSigmoid(),
        hardSwish(),
        sigmoid(),
        tanh(),
        softmax(),
        dropout(),
        flatten(),
        linear(),
        concat(),
        add(),
        mul(),
        zeroPadChannels(),
    };
    for (size_t i = 0; i < kinds_.size(); ++i) byName_.insert(kinds_[i].name, static_cast<int>(i));
}

const Registry& Registry::instance() {
    static const Registry registry;
    return registry;
}

const LayerKind* Registry::find(std::string_view name) const {
    int i = byName_.find(name);
    return i < 0 ? nullptr : &kinds_[static_cast<size_t>(i)];
}

}  // namespace nw
