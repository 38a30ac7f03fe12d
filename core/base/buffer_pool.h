// Tensor storage kept for reuse: a run gives buffers back when it is done with them and the next
// request takes the smallest that fits, so repeated runs neither allocate (the kernel's zeroing of
// fresh pages) nor clear what they overwrite anyway. Safe to share between threads.
#pragma once
#include <mutex>
#include <vector>

#include "tensor.h"

namespace nw {

class BufferPool {
public:
    // A tensor of `shape` whose contents are unspecified (a kernel that writes every element, or
    // the caller clears it).
    Tensor acquire(const Shape& shape);
    // Takes t's storage back; t is left empty.
    void release(Tensor& t);

private:
    std::mutex mutex_;
    std::vector<std::vector<float>> buffers_;
};

}  // namespace nw
