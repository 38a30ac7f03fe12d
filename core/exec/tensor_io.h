// Tensor files: safetensors (weights, contracts.md) and NumPy .npy (exact inputs and outputs).
// Readers never trust the file: sizes, offsets and dtypes are checked and errors say where.
#pragma once
#include <functional>
#include <map>
#include <vector>
#include <string>

#include "tensor.h"

namespace nw {

using TensorMap = std::map<std::string, Tensor, std::less<>>;

struct TensorMapResult {
    TensorMap tensors;
    std::string error;                                   // empty on success
    std::vector<std::pair<std::string, Shape>> skipped;  // declared in the file, not read (the filter said no)
};

// One tensor as a safetensors header declares it.
struct SafetensorsEntry {
    std::string dtype;
    Shape shape;
    uint64_t begin = 0, end = 0;  // data offsets
};
struct SafetensorsIndex {
    std::map<std::string, SafetensorsEntry, std::less<>> entries;
    std::string error;  // empty on success
};
// Which tensors of a file to read; the others are listed in TensorMapResult::skipped.
using SafetensorsFilter = std::function<bool(const std::string& name, const SafetensorsEntry& entry)>;
struct TensorResult {
    Tensor tensor;
    std::string error;
    std::string dtype;  // a .npy's as it says ("<f4", "<i8": labels, converted to float)
    bool integers() const { return dtype.size() > 1 && dtype[1] == 'i'; }
};

// safetensors: 8-byte little-endian header length, JSON header, raw little-endian data. F32 is read
// as is; F16, BF16 and F64 are converted to float32.
// Reads only the tensors `wanted` accepts (all without a filter), seeking to each one's data.
TensorMapResult readSafetensors(const std::string& path, const SafetensorsFilter& wanted = {});
TensorMapResult parseSafetensors(std::string_view bytes, const std::string& where,
                                 const SafetensorsFilter& wanted = {});
// The header alone, every entry checked against the file's size: what a file holds, read in
// microseconds whatever its size.
SafetensorsIndex indexSafetensors(const std::string& path);
SafetensorsIndex indexSafetensorsHeader(std::string_view header, uint64_t dataSize);
// Written atomically, tensors in name order, dtype F32.
std::string writeSafetensors(const std::string& path, const TensorMap& tensors);
std::string serializeSafetensors(const TensorMap& tensors);

// .npy version 1/2/3, little-endian float16, float32 or float64 (int32 and int64 too, for class
// labels, converted to float), C order.
TensorResult readNpy(const std::string& path);
TensorResult parseNpy(std::string_view bytes, const std::string& where);
std::string writeNpy(const std::string& path, const Tensor& t);

}  // namespace nw
