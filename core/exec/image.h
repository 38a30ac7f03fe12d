// Image files as network inputs: PNG, JPEG and BMP only (decoded by stb_image; other formats it
// could read — GIF, TGA, PSD, HDR, PNM — are refused by name), prepared the way the
// Input node says — grayscale or RGB from `channels`, resize (shorter side, then centre crop, as
// torchvision's Resize + CenterCrop; or straight to height × width), and `normalize`.
#pragma once
#include <string>
#include <string_view>

#include "layer_kind.h"
#include "tensor.h"

namespace nw {

struct ImageResult {
    Tensor tensor;      // 1 × channels × height × width
    std::string error;  // names the file and the cause
};

ImageResult loadImage(const std::string& path, const NodeAttrs& input);
ImageResult decodeImage(std::string_view bytes, const std::string& where, const NodeAttrs& input);

// The class names of an Output's `labels` attribute, one per line of resources/labels/NAME.txt;
// empty when there are none or the file is missing.
std::vector<std::string> loadLabels(const std::string& resourceDir, const std::string& name);

}  // namespace nw
