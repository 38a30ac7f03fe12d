// safetensors and .npy: round trips, files written by other tools, and hostile bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "tensor_io.h"

using namespace nw;

namespace {
std::string header8(const std::string& json) {
    uint64_t n = json.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &n, 8);
    return out + json;
}
}  // namespace

TEST(Safetensors, RoundTripKeepsNamesShapesAndValues) {
    TensorMap m;
    Tensor a({2, 3});
    for (int i = 0; i < 6; ++i) a.data[static_cast<size_t>(i)] = static_cast<float>(i) - 2.5f;
    m.emplace("layer1.0.conv1.weight", a);
    m.emplace("fc.bias", Tensor({4}));
    TensorMapResult r = parseSafetensors(serializeSafetensors(m), "mem");
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.tensors.size(), 2u);
    EXPECT_EQ(r.tensors.at("layer1.0.conv1.weight").shape, (Shape{2, 3}));
    EXPECT_EQ(r.tensors.at("layer1.0.conv1.weight").data, a.data);
}

TEST(Safetensors, ConvertsHalfPrecisionAndDoubles) {
    // F16 1.0 = 0x3c00, -2.0 = 0xc000; BF16 1.5 = 0x3fc0; F64 0.25.
    std::string data("\x00\x3c\x00\xc0\xc0\x3f", 6);
    double q = 0.25;
    data.append(reinterpret_cast<const char*>(&q), 8);
    std::string file = header8(R"({"h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]},
        "b": {"dtype": "BF16", "shape": [1], "data_offsets": [4, 6]},
        "d": {"dtype": "F64", "shape": [1], "data_offsets": [6, 14]}, "__metadata__": {"format": "pt"}})") +
                       data;
    TensorMapResult r = parseSafetensors(file, "mem");
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.tensors.at("h").data, (std::vector<float>{1.0f, -2.0f}));
    EXPECT_EQ(r.tensors.at("b").data, (std::vector<float>{1.5f}));
    EXPECT_EQ(r.tensors.at("d").data, (std::vector<float>{0.25f}));
}

TEST(Safetensors, HostileFilesGetAnErrorThatSaysWhere) {
    auto error = [](const std::string& bytes) { return parseSafetensors(bytes, "w.safetensors").error; };
    EXPECT_NE(error("abc").find("too short"), std::string::npos);
    EXPECT_NE(error(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}").find("header length"),
              std::string::npos);
    EXPECT_NE(error(header8("[1, 2]")).find("not a JSON object"), std::string::npos);
    EXPECT_NE(error(header8(R"({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})") + std::string(8, '\0'))
                  .find("tensor 'w' has dtype I64"),
              std::string::npos);
    EXPECT_NE(error(header8(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})") + std::string(8, '\0'))
                  .find("run past the end"),
              std::string::npos);
    EXPECT_NE(error(header8(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})") + std::string(8, '\0'))
                  .find("holds 8 bytes, but F32 3 needs 12"),
              std::string::npos);
    EXPECT_NE(error(header8(R"({"w": {"dtype": "F32", "shape": [1000000000000, 1000000], "data_offsets": [0, 8]}})"))
                  .find("too large"),
              std::string::npos);
    EXPECT_EQ(error(header8(R"({"w": {"dtype": "F32", "shape": [1000000000000, 1000000], "data_offsets": [0, 8]}})"))
                  .rfind("w.safetensors: ", 0),
              0u);
}

TEST(Npy, ReadsWhatNumpyWritesAndRejectsTheRest) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
    std::vector<float> values{1, 2, 3, 4, 5, 6};
    file.append(reinterpret_cast<const char*>(values.data()), 24);
    TensorResult r = parseNpy(file, "x.npy");
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.tensor.shape, (Shape{2, 3}));
    EXPECT_EQ(r.tensor.data, values);
    EXPECT_NE(parseNpy(file.substr(0, file.size() - 4), "x.npy").error.find("holds 20 data bytes, 2×3 needs 24"),
              std::string::npos);
    // Integers (class labels) are read as floats; unsigned 16-bit is not a dtype Netwright takes.
    std::string ints = file;
    ints.replace(ints.find("<f4"), 3, "<i4");
    const std::vector<int32_t> labels{0, 1, 2, 7, 8, 9};
    ints.replace(ints.size() - 24, 24, std::string(reinterpret_cast<const char*>(labels.data()), 24));
    EXPECT_EQ(parseNpy(ints, "x.npy").tensor.data, (std::vector<float>{0, 1, 2, 7, 8, 9}));
    std::string shorts = file;
    shorts.replace(shorts.find("<f4"), 3, "<u2");
    EXPECT_NE(parseNpy(shorts, "x.npy").error.find("dtype '<u2'"), std::string::npos);
    std::string fortran = file;
    fortran.replace(fortran.find("False"), 5, "True ");
    EXPECT_NE(parseNpy(fortran, "x.npy").error.find("Fortran"), std::string::npos);
    EXPECT_NE(parseNpy("PNG....", "x.npy").error.find("not a .npy file"), std::string::npos);
}
