// Tensor shapes and overflow-checked size arithmetic.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nw {

// NCHW for feature maps, NC for flat tensors. The batch dimension is included.
using Shape = std::vector<int64_t>;

// Returns nullopt when the product overflows int64 (hostile files can ask for 10^12 channels).
std::optional<int64_t> checkedMul(int64_t a, int64_t b);
std::optional<int64_t> checkedAdd(int64_t a, int64_t b);
std::optional<int64_t> checkedProduct(const Shape& dims);
// Clamped to INT64_MAX instead of overflowing: for sums of sizes compared with a budget.
int64_t saturatingAdd(int64_t a, int64_t b);
int64_t saturatingMul(int64_t a, int64_t b);

// "1×64×112×112"; "() (a scalar)" for no dimensions
std::string formatShape(const Shape& s);
// "1408 = 88×4×4" style factorisation of a flattened size from its source dims.
std::string formatInt(int64_t v);  // thousands separators: 120,422,400
// `v` divided by `step` while it is at least `step`, with the unit reached: "115.6M", "18.4 KiB"
// (units[0] for what needs no division, printed without decimals).
std::string formatScaled(double v, double step, const std::vector<const char*>& units, const char* separator);
std::string compactCount(int64_t v);  // 75.3K, 115.6M, 4.1G: a count for a node's badge

}  // namespace nw
