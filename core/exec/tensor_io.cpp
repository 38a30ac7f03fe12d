#include "tensor_io.h"

#include <bit>
#include <cerrno>
#include <fstream>
#include <functional>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "files.h"

namespace nw {

static_assert(std::endian::native == std::endian::little, "tensor files are little-endian; add byte swapping");

namespace {

// Largest tensor a file may declare: 2^34 elements, as the analysis allows.
constexpr int64_t kMaxElements = int64_t{1} << 34;

std::optional<int64_t> elementCount(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return std::nullopt;
        auto m = checkedMul(n, d);
        if (!m || *m > kMaxElements) return std::nullopt;
        n = *m;
    }
    return n;
}

float halfToFloat(uint16_t h) {
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) mant <<= 1, --exp;
            bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
    else bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    return std::bit_cast<float>(bits);
}

// Converts `count` little-endian values of `dtype` at `src` to float32; false for an unknown dtype.
bool convert(const std::string& dtype, const char* src, int64_t count, float* dst) {
    const auto n = static_cast<size_t>(count);
    if (dtype == "F32" || dtype == "<f4") std::memcpy(dst, src, n * 4);
    else if (dtype == "F64" || dtype == "<f8")
        for (size_t i = 0; i < n; ++i) {
            double d;
            std::memcpy(&d, src + i * 8, 8);
            dst[i] = static_cast<float>(d);
        }
    else if (dtype == "F16" || dtype == "<f2")
        for (size_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, src + i * 2, 2);
            dst[i] = halfToFloat(h);
        }
    else if (dtype == "BF16")
        for (size_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, src + i * 2, 2);
            dst[i] = std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
        }
    else if (dtype == "<i8")  // .npy class labels
        for (size_t i = 0; i < n; ++i) {
            int64_t v;
            std::memcpy(&v, src + i * 8, 8);
            dst[i] = static_cast<float>(v);
        }
    else if (dtype == "<i4")
        for (size_t i = 0; i < n; ++i) {
            int32_t v;
            std::memcpy(&v, src + i * 4, 4);
            dst[i] = static_cast<float>(v);
        }
    else return false;
    return true;
}

int64_t dtypeSize(const std::string& dtype) {
    if (dtype == "F32" || dtype == "<f4" || dtype == "<i4") return 4;
    if (dtype == "F64" || dtype == "<f8" || dtype == "<i8") return 8;
    if (dtype == "F16" || dtype == "BF16" || dtype == "<f2") return 2;
    return 0;
}

}  // namespace

namespace {

// Reads `size` bytes at `offset` of the data section into `dst`; false on a read error.
using ReadData = std::function<bool(uint64_t offset, uint64_t size, char* dst)>;

// The header (the JSON after the 8-byte length) says what is where; `read` fetches the data of the
// tensors `wanted` accepts, so a file is read straight into the tensors it is needed for and
// nothing else of it is read.
TensorMapResult decodeSafetensors(std::string_view header, uint64_t dataSize, const ReadData& read,
                                  const std::string& where, const SafetensorsFilter& wanted) {
    TensorMapResult r;
    auto fail = [&](const std::string& msg) {
        r.tensors.clear();
        r.error = where + ": " + msg;
        return std::move(r);
    };
    SafetensorsIndex index = indexSafetensorsHeader(header, dataSize);
    if (!index.error.empty()) return fail(index.error);
    std::vector<char> staging;
    for (const auto& [name, e] : index.entries) {
        if (wanted && !wanted(name, e)) {
            r.skipped.emplace_back(name, e.shape);
            continue;
        }
        const std::string at = "tensor '" + name + "'";
        const int64_t size = dtypeSize(e.dtype);
        if (!size) return fail(at + " has dtype " + e.dtype + "; Netwright reads F32, F16, BF16 and F64");
        Tensor tensor(e.shape);
        char* dst = reinterpret_cast<char*>(tensor.ptr());
        if (size != 4) {  // converted through a staging buffer
            staging.resize(e.end - e.begin);
            dst = staging.data();
        }
        if (!read(e.begin, e.end - e.begin, dst)) return fail("cannot read " + at);
        if (size != 4) convert(e.dtype, staging.data(), tensor.numel(), tensor.ptr());
        r.tensors.emplace(name, std::move(tensor));
    }
    return r;
}

// Bytes per element of the dtypes a header may name (integers too, so their offsets are checked).
int64_t anyDtypeSize(const std::string& dtype) {
    if (int64_t s = dtypeSize(dtype)) return s;
    if (dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "I16" || dtype == "U16") return 2;
    if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
    return 0;
}

}  // namespace

SafetensorsIndex indexSafetensorsHeader(std::string_view header, uint64_t dataSize) {
    SafetensorsIndex index;
    auto fail = [&](const std::string& msg) {
        index.entries.clear();
        index.error = msg;
        return std::move(index);
    };
    nlohmann::json json = nlohmann::json::parse(header, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return fail("the header is not a JSON object");
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it.key() == "__metadata__") continue;
        const std::string at = "tensor '" + it.key() + "'";
        const auto& t = it.value();
        if (!t.is_object() || !t.contains("dtype") || !t["dtype"].is_string() || !t.contains("shape") ||
            !t["shape"].is_array() || !t.contains("data_offsets") || !t["data_offsets"].is_array() ||
            t["data_offsets"].size() != 2)
            return fail(at + " needs dtype, shape and data_offsets [begin, end]");
        SafetensorsEntry e;
        e.dtype = t["dtype"];
        for (const auto& d : t["shape"]) {
            if (!d.is_number_integer() || d.get<int64_t>() < 0) return fail(at + " has a bad dimension in its shape");
            e.shape.push_back(d.get<int64_t>());
        }
        auto count = elementCount(e.shape);
        if (!count) return fail(at + " is too large (" + formatShape(e.shape) + ")");
        int64_t size = anyDtypeSize(e.dtype);
        if (!size) return fail(at + " has dtype " + e.dtype + "; Netwright reads F32, F16, BF16 and F64");
        const auto& off = t["data_offsets"];
        if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) return fail(at + " has bad data_offsets");
        e.begin = off[0];
        e.end = off[1];
        if (e.begin > e.end || e.end > dataSize) return fail(at + " data_offsets run past the end of the file");
        if (e.end - e.begin != static_cast<uint64_t>(*count * size))
            return fail(at + " holds " + std::to_string(e.end - e.begin) + " bytes, but " + e.dtype + " " +
                        formatShape(e.shape) + " needs " + std::to_string(*count * size));
        index.entries.emplace(it.key(), std::move(e));
    }
    return index;
}

TensorMapResult parseSafetensors(std::string_view bytes, const std::string& where, const SafetensorsFilter& wanted) {
    if (bytes.size() < 8)
        return {{}, where + ": too short for a safetensors file (" + std::to_string(bytes.size()) + " bytes)"};
    uint64_t headerLen;
    std::memcpy(&headerLen, bytes.data(), 8);
    if (headerLen > bytes.size() - 8 || headerLen > (uint64_t{100} << 20))
        return {{},
                where + ": header length " + std::to_string(headerLen) + " exceeds the file (" +
                    std::to_string(bytes.size()) + " bytes)"};
    const std::string_view data = bytes.substr(8 + headerLen);
    return decodeSafetensors(
        bytes.substr(8, headerLen), data.size(),
        [&](uint64_t offset, uint64_t size, char* dst) {
            std::memcpy(dst, data.data() + offset, size);
            return true;
        },
        where, wanted);
}

namespace {

// An open safetensors file: its header read, its data not yet.
struct SafetensorsFile {
    std::ifstream in;
    uint64_t fileSize = 0, dataAt = 0;
    std::string header, error;

    explicit SafetensorsFile(const std::string& path) {
        if (std::string e = checkReadable(path, std::numeric_limits<uint64_t>::max(), &fileSize); !e.empty()) {
            error = path + ": " + e;
            return;
        }
        in.open(path, std::ios::binary);
        if (!in) {
            error = path + ": cannot open: " + std::strerror(errno);
            return;
        }
        uint64_t headerLen = 0;
        if (fileSize < 8 || !in.read(reinterpret_cast<char*>(&headerLen), 8)) {
            error = path + ": too short for a safetensors file (" + std::to_string(fileSize) + " bytes)";
            return;
        }
        if (headerLen > fileSize - 8 || headerLen > (uint64_t{100} << 20)) {
            error = path + ": header length " + std::to_string(headerLen) + " exceeds the file (" +
                    std::to_string(fileSize) + " bytes)";
            return;
        }
        header.assign(headerLen, '\0');
        if (!in.read(header.data(), static_cast<std::streamsize>(headerLen))) error = path + ": cannot read the header";
        dataAt = 8 + headerLen;
    }
};

}  // namespace

SafetensorsIndex indexSafetensors(const std::string& path) {
    SafetensorsFile f(path);
    if (!f.error.empty()) return {{}, f.error};
    SafetensorsIndex index = indexSafetensorsHeader(f.header, f.fileSize - f.dataAt);
    if (!index.error.empty()) index.error = path + ": " + index.error;
    return index;
}

TensorMapResult readSafetensors(const std::string& path, const SafetensorsFilter& wanted) {
    SafetensorsFile f(path);
    if (!f.error.empty()) return {{}, f.error};
    return decodeSafetensors(
        f.header, f.fileSize - f.dataAt,
        [&](uint64_t offset, uint64_t size, char* dst) {
            f.in.seekg(static_cast<std::streamoff>(f.dataAt + offset));
            return static_cast<bool>(f.in.read(dst, static_cast<std::streamsize>(size)));
        },
        path, wanted);
}

std::string serializeSafetensors(const TensorMap& tensors) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        uint64_t bytes = static_cast<uint64_t>(t.numel()) * 4;
        header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned, as the reference writer does
    uint64_t len = h.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &len, 8);
    out += h;
    for (const auto& [name, t] : tensors)
        out.append(reinterpret_cast<const char*>(t.ptr()), static_cast<size_t>(t.numel()) * 4);
    return out;
}

std::string writeSafetensors(const std::string& path, const TensorMap& tensors) {
    return writeFileAtomic(path, serializeSafetensors(tensors));
}

TensorResult parseNpy(std::string_view bytes, const std::string& where) {
    auto fail = [&](const std::string& msg) { return TensorResult{{}, where + ": " + msg}; };
    if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") return fail("not a .npy file (no \\x93NUMPY magic)");
    const int major = static_cast<unsigned char>(bytes[6]);
    size_t headerLen, start;
    if (major == 1) {
        headerLen = static_cast<unsigned char>(bytes[8]) | static_cast<size_t>(static_cast<unsigned char>(bytes[9]))
                                                               << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) return fail("truncated header");
        uint32_t n;
        std::memcpy(&n, bytes.data() + 8, 4);
        headerLen = n;
        start = 12;
    } else return fail("unsupported .npy version " + std::to_string(major));
    if (start + headerLen > bytes.size()) return fail("truncated header");
    std::string header(bytes.substr(start, headerLen));
    auto field = [&](const std::string& key) -> std::string {
        size_t k = header.find("'" + key + "'");
        if (k == std::string::npos) return {};
        size_t colon = header.find(':', k);
        if (colon == std::string::npos) return {};
        size_t b = header.find_first_not_of(' ', colon + 1);
        if (b == std::string::npos) return {};
        if (header[b] == '\'') return header.substr(b + 1, header.find('\'', b + 1) - b - 1);
        if (header[b] == '(') return header.substr(b + 1, header.find(')', b) - b - 1);
        return header.substr(b, header.find_first_of(",}", b) - b);
    };
    std::string descr = field("descr"), fortran = field("fortran_order"), dims = field("shape");
    if (descr != "<f4" && descr != "<f8" && descr != "<f2" && descr != "<i8" && descr != "<i4")
        return fail("dtype '" + descr +
                    "'; Netwright reads little-endian float16, float32, float64 and (for labels) int32 and int64");
    if (fortran != "False") return fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
    Shape shape;
    for (size_t p = 0; p < dims.size();) {
        size_t q = dims.find(',', p);
        std::string item = dims.substr(p, q == std::string::npos ? std::string::npos : q - p);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) {
            char* end = nullptr;
            long long v = std::strtoll(item.c_str(), &end, 10);
            if (*end != '\0' || v < 0) return fail("bad shape (" + dims + ")");
            shape.push_back(v);
        }
        if (q == std::string::npos) break;
        p = q + 1;
    }
    auto count = elementCount(shape);
    if (!count) return fail("array too large (" + formatShape(shape) + ")");
    const size_t dataAt = start + headerLen;
    const uint64_t need = static_cast<uint64_t>(*count * dtypeSize(descr));
    if (bytes.size() - dataAt < need)
        return fail("holds " + std::to_string(bytes.size() - dataAt) + " data bytes, " + formatShape(shape) +
                    " needs " + std::to_string(need));
    Tensor t(shape);
    convert(descr, bytes.data() + dataAt, *count, t.ptr());
    return {std::move(t), {}, descr};
}

TensorResult readNpy(const std::string& path) {
    std::string bytes;
    // The largest array parseNpy takes (2^34 float32 values) and its header.
    if (std::string error = readFile(path, bytes, (uint64_t{4} << 34) + (1 << 20)); !error.empty())
        return {{}, path + ": " + error};
    return parseNpy(bytes, path);
}

std::string writeNpy(const std::string& path, const Tensor& t) {
    std::string dims;
    for (int64_t d : t.shape) dims += std::to_string(d) + ", ";
    if (t.shape.size() > 1) dims.erase(dims.size() - 2);
    else if (!t.shape.empty()) dims.erase(dims.size() - 1);
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    out.append(reinterpret_cast<const char*>(t.ptr()), static_cast<size_t>(t.numel()) * 4);
    return writeFileAtomic(path, out);
}

}  // namespace nw
