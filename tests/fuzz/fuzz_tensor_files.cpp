// libFuzzer target for everything the executor reads besides .netw: safetensors, .npy and image
// files. The first byte picks the reader; any input must give a tensor or an error, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image.h"
#include "registry.h"
#include "tensor_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            nw::TensorMapResult r = nw::parseSafetensors(bytes, "fuzz");
            if (r.error.empty() == false && !r.tensors.empty()) std::abort();
            break;
        }
        case 1: {
            nw::TensorResult r = nw::parseNpy(bytes, "fuzz");
            if (r.error.empty() && static_cast<int64_t>(r.tensor.data.size()) != r.tensor.numel()) std::abort();
            break;
        }
        case 2: {
            // A small RGB input with a resize, so decoding, resampling and cropping all run.
            static const nw::LayerKind& input = *nw::Registry::instance().find("Input");
            static const std::vector<nw::AttrValue> attrs = [] {
                std::vector<nw::AttrValue> v;
                for (const auto& spec : input.attrs) v.push_back(spec.def);
                v[static_cast<size_t>(input.attrIndex("height"))] = int64_t{16};
                v[static_cast<size_t>(input.attrIndex("width"))] = int64_t{16};
                v[static_cast<size_t>(input.attrIndex("resize"))] = int64_t{20};
                return v;
            }();
            nw::ImageResult r = nw::decodeImage(bytes, "fuzz", nw::NodeAttrs(input, attrs));
            if (r.error.empty() && r.tensor.shape != nw::Shape{1, 3, 16, 16}) std::abort();
            break;
        }
    }
    return 0;
}
