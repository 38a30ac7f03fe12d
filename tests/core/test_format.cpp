// The .netw format: round trips, hostile and malformed files, atomic saves.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "report.h"

using namespace nw;
using namespace nw::test;
namespace fs = std::filesystem;

static const char* kPresets[] = {"lenet5",   "alexnet",         "vgg16",          "vgg19",          "googlenet",
                                 "resnet18", "resnet34",        "resnet50",       "resnet101",      "resnet152",
                                 "xception", "mnist_inception", "mnist_residual", "bottleneck_demo"};

TEST(Format, EveryPresetRoundTrips) {
    for (const char* name : kPresets) {
        Document doc = loadPreset(name);
        LoadResult again = parseNetw(serializeNetw(doc));
        ASSERT_TRUE(again.document) << name << ": " << diagnosticsText(again.errors);
        EXPECT_EQ(*again.document, doc) << name;
        EXPECT_FALSE(doc.description.empty()) << name;
    }
}

TEST(Format, PositionsAndAllFieldsAreKept) {
    Document doc;
    doc.name = "t";
    doc.weights = "w.safetensors";
    Node n{"c",
           "Conv2d",
           {{"kernel_size", std::vector<int64_t>{3, 5}}, {"bias", false}, {"padding", std::string("same")}}};
    n.pos = Point{12.5, -3};
    n.when = "true";
    doc.graph.nodes.push_back(n);
    doc.graph.nodes.push_back({"d", "Dropout", {{"p", 0.25}}});
    doc.graph.edges.push_back({"c", "out", "d", "in"});
    LoadResult r = parseNetw(serializeNetw(doc));
    ASSERT_TRUE(r.document);
    EXPECT_EQ(*r.document, doc);
}

static std::string firstError(const std::string& text) {
    LoadResult r = parseNetw(text);
    EXPECT_FALSE(r.document) << text;
    return r.errors.empty() ? "" : (r.errors[0].node + ": " + r.errors[0].message);
}

TEST(Format, MalformedFilesNameThePlace) {
    EXPECT_NE(firstError(R"({"format": "netwright", "version": 1, "nodes": [)").find("not valid JSON"),
              std::string::npos);
    EXPECT_NE(firstError("").find("not valid JSON"), std::string::npos);
    EXPECT_NE(firstError("[1, 2]").find("JSON object"), std::string::npos);
    EXPECT_NE(firstError(R"({"nodes": []})").find("not a Netwright file"), std::string::npos);
    EXPECT_NE(
        firstError(R"({"format": "netwright", "version": 2, "nodes": []})").find("newer Netwright (format version 2)"),
        std::string::npos);
    EXPECT_EQ(firstError(R"({"format": "netwright", "version": 1, "nodes": [{"id": "a", "kind": 3}]})"),
              "/nodes/0 (a)/kind: expected a string, got number");
    EXPECT_EQ(
        firstError(
            R"({"format": "netwright", "version": 1, "nodes": [{"id": "a", "kind": "ReLU", "attrs": {"p": {"x": 1}}}]})"),
        "/nodes/0 (a)/attrs/p: an attribute value must be a number, string, boolean or list of integers, got object");
    EXPECT_EQ(
        firstError(
            R"({"format": "netwright", "version": 1, "nodes": [{"id": "a", "kind": "ReLU", "attrs": {"k": [1, "2"]}}]})"),
        "/nodes/0 (a)/attrs/k/1: expected an integer, got string");
    EXPECT_EQ(
        firstError(
            R"({"format": "netwright", "version": 1, "nodes": [{"id": "a", "kind": "ReLU", "attrs": {"k": 18446744073709551615}}]})"),
        "/nodes/0 (a)/attrs/k: integer 18446744073709551615 is too large");
    EXPECT_EQ(firstError(R"({"format": "netwright", "version": 1, "nodes": [{"kind": "ReLU"}]})"),
              "/nodes/0: missing \"id\"");
    EXPECT_EQ(firstError(R"({"format": "netwright", "version": 1, "nodes": {}})"),
              "/nodes: expected an array, got object");
    EXPECT_EQ(firstError(R"({"format": "netwright", "version": 1, "nodes": [], "edges": [{"from": "a"}]})"),
              "/edges/0: missing \"to\"");
    EXPECT_EQ(
        firstError(
            R"({"format": "netwright", "version": 1, "nodes": [], "modules": [{"name": "M", "inputs": [], "outputs": [], "nodes": []},
              {"name": "M", "inputs": [], "outputs": [], "nodes": []}]})"),
        "/modules/1: module 'M' is defined twice");
}

TEST(Format, DeepNestingIsRefusedBeforeParsing) {
    std::string deep = R"({"format": "netwright", "version": 1, "nodes": [], "x": )" + std::string(100000, '[') +
                       std::string(100000, ']') + "}";
    EXPECT_NE(firstError(deep).find("nests deeper than 64"), std::string::npos);
    // Brackets inside strings do not count.
    std::string fine =
        R"({"format": "netwright", "version": 1, "name": ")" + std::string(1000, '[') + R"(", "nodes": []})";
    EXPECT_TRUE(parseNetw(fine).document);
}

TEST(Format, TruncatedPresetsFailCleanly) {
    std::ifstream in(presetPath("googlenet"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    for (size_t cut = 0; cut < text.size(); cut += text.size() / 97 + 1) {
        LoadResult r = parseNetw(std::string_view(text).substr(0, cut));
        EXPECT_FALSE(r.document) << cut;
        EXPECT_FALSE(r.errors.empty());
    }
}

TEST(Format, LoadNamesTheFile) {
    LoadResult r = loadNetw("/nonexistent/x.netw");
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].node.find("/nonexistent/x.netw"), std::string::npos);
    EXPECT_NE(r.errors[0].message.find("cannot open"), std::string::npos);
}

TEST(Format, AtomicSaveReplacesAndLeavesNoTemporaries) {
    fs::path dir = fs::temp_directory_path() / ("netw-save-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::path file = dir / "net.netw";
    Document doc = loadPreset("lenet5");
    ASSERT_EQ(saveNetwAtomic(doc, file.string()), "");
    doc.name = "changed";
    ASSERT_EQ(saveNetwAtomic(doc, file.string()), "");
    LoadResult r = loadNetw(file.string());
    ASSERT_TRUE(r.document);
    EXPECT_EQ(r.document->name, "changed");
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
    EXPECT_EQ(files, 1u);
    // A failed save says why and leaves the old file alone.
    std::string err = saveNetwAtomic(doc, (dir / "missing-dir" / "x.netw").string());
    EXPECT_NE(err.find("cannot create a temporary file"), std::string::npos) << err;
    fs::remove_all(dir);
}
