// Tensor files: safetensors (weights, contracts.md) and NumPy .npy (exact inputs and outputs).
// Readers never trust the file: sizes, offsets and dtypes are checked and errors say where.
#pragma once
#include <map>
#include <string>

#include "tensor.h"

namespace nw {

using TensorMap = std::map<std::string, Tensor, std::less<>>;

struct TensorMapResult {
    TensorMap tensors;
    std::string error;  // empty on success
};
struct TensorResult {
    Tensor tensor;
    std::string error;
};

// safetensors: 8-byte little-endian header length, JSON header, raw little-endian data. F32 is read
// as is; F16, BF16 and F64 are converted to float32.
TensorMapResult readSafetensors(const std::string& path);
TensorMapResult parseSafetensors(std::string_view bytes, const std::string& where);
// Written atomically, tensors in name order, dtype F32.
std::string writeSafetensors(const std::string& path, const TensorMap& tensors);
std::string serializeSafetensors(const TensorMap& tensors);

// .npy version 1/2/3, little-endian float32 or float64, C order.
TensorResult readNpy(const std::string& path);
TensorResult parseNpy(std::string_view bytes, const std::string& where);
std::string writeNpy(const std::string& path, const Tensor& t);

}  // namespace nw
