#include "buffer_pool.h"

namespace nw {

Tensor BufferPool::acquire(const Shape& shape) {
    Tensor t;
    t.shape = shape;
    const auto need = static_cast<size_t>(*checkedProduct(shape));
    {
        std::lock_guard lock(mutex_);
        auto best = buffers_.end();  // the smallest buffer that fits
        for (auto it = buffers_.begin(); it != buffers_.end(); ++it)
            if (it->capacity() >= need && (best == buffers_.end() || it->capacity() < best->capacity())) best = it;
        if (best != buffers_.end()) {
            t.data = std::move(*best);
            buffers_.erase(best);
        }
    }
    t.data.resize(need);
    return t;
}

void BufferPool::release(Tensor& t) {
    if (t.data.capacity() > 0) {
        std::lock_guard lock(mutex_);
        buffers_.push_back(std::move(t.data));
    }
    t = Tensor();
}

}  // namespace nw
