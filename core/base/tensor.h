// A dense float32 tensor, row-major: NCHW for feature maps, NF for flat ones. What the executor's
// kernels read and write.
#pragma once
#include <cstdint>
#include <vector>

#include "shape.h"

namespace nw {

struct Tensor {
    Shape shape;
    std::vector<float> data;

    Tensor() = default;
    explicit Tensor(Shape s) : shape(std::move(s)) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;  // shapes come from the analysis, which bounds their size
        data.assign(static_cast<size_t>(n), 0.0f);
    }
    int64_t numel() const { return static_cast<int64_t>(data.size()); }
    float* ptr() { return data.data(); }
    const float* ptr() const { return data.data(); }
};

}  // namespace nw
