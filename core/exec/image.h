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

// Pixels in [0, 1] become (v − mean) / std per channel, as the Input node's `normalize` says.
struct Normalization {
    float mean[3], std[3];
};
Normalization normalization(const std::string& name);  // "unit", "imagenet", "mnist", "tf"

// Why images cannot be prepared for this Input node (not 1 or 3 channels, a flat input), or empty.
std::string inputProblem(const NodeAttrs& input);

ImageResult loadImage(const std::string& path, const NodeAttrs& input);
ImageResult decodeImage(std::string_view bytes, const std::string& where, const NodeAttrs& input);

// The class names of an Output's `labels` attribute, one per line of resources/labels/NAME.txt;
// empty when there are none or the file is missing.
std::vector<std::string> loadLabels(const std::string& resourceDir, const std::string& name);

}  // namespace nw
