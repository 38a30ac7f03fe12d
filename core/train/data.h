// Labelled images to train and test on: Fashion-MNIST where Debian's dataset-fashion-mnist installs
// it, any MNIST-format idx pair (gzipped or not), or a folder of class folders (torchvision's
// ImageFolder). Every problem names the file and the cause.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "layer_kind.h"
#include "tensor.h"

namespace nw {

// Where dataset-fashion-mnist puts the gzipped idx files (NETWRIGHT_FASHION_MNIST overrides it).
std::string fashionMnistDir();

// Samples as the network's Input takes them (C × H × W): idx images kept as their bytes and
// prepared per batch; images from folders prepared when read.
struct Dataset {
    std::string source;  // "Fashion-MNIST train", a file or a folder, for messages
    Shape sample;        // C × H × W
    std::vector<int64_t> labels;
    std::vector<std::string> classes;  // class names (folders, Fashion-MNIST's), else empty
    int64_t rawHeight = 0, rawWidth = 0, rawChannels = 0;
    std::vector<uint8_t> raw;     // idx: images × rawHeight × rawWidth × rawChannels bytes
    std::vector<float> prepared;  // folders: images × C·H·W floats
    int64_t size() const { return static_cast<int64_t>(labels.size()); }
    int64_t highestLabel() const;
};

struct DataResult {
    Dataset train, test;  // test may be empty (an idx pair or a folder: see `splitOff`)
    std::string error;
};
// `spec`: "fashion-mnist", "idx:IMAGES,LABELS" or a folder; prepared for `input` (an Input node).
DataResult loadData(const std::string& spec, const NodeAttrs& input);

// Moves a seeded random `fraction` of `data` into the result (a validation or test split).
Dataset splitOff(Dataset& data, double fraction, uint64_t seed);

// Random changes to training samples: shifted by up to `cropPadding` pixels each way (a random crop
// of the image padded with black), mirrored left-right with probability ½ (`flip`).
struct Augment {
    int64_t cropPadding = 0;
    bool flip = false;
};

// Samples `indices` of `data` into `batch` (N × C × H × W, N = indices.size()) and their labels,
// augmented with `rng` when `augment` asks; an empty string, or why a sample cannot be prepared.
std::string prepareBatch(const Dataset& data, const NodeAttrs& input, const std::vector<int64_t>& indices,
                         const Augment& augment, std::mt19937_64& rng, Tensor& batch, std::vector<int64_t>& labels);

}  // namespace nw
