// Hostile and careless input to the core: files that are not files, numbers beyond a double,
// saves that must keep what the user had, weights read only as far as the graph needs them,
// graphs that validate but could never run, and memory refused before it is taken.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "executor.h"
#include "files.h"
#include "helpers.h"
#include "image.h"
#include "registry.h"
#include "tensor_io.h"
#include "weights.h"

using namespace nw;
using namespace nw::test;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
std::string read(const std::string& path) {
    std::string s;
    EXPECT_EQ(readFile(path, s), "");
    return s;
}
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Files, ReadersRefuseDirectoriesDevicesFifosAndOversizedFiles) {
    TempDir dir;
    std::string out;
    EXPECT_EQ(readFile(dir.path.string(), out), "is a directory, not a file");
    EXPECT_TRUE(contains(readFile("/dev/zero", out), "not a regular file")) << readFile("/dev/zero", out);
    ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
    EXPECT_TRUE(contains(readFile(dir / "fifo", out), "not a regular file"));  // and does not block
    write(dir / "big", std::string(2000, 'x'));
    const std::string error = readFile(dir / "big", out, 1000);
    EXPECT_TRUE(contains(error, "is 2.0 KiB, more than the 1000 B")) << error;
    EXPECT_EQ(readFile(dir / "big", out, 2000), "");
    EXPECT_EQ(out.size(), 2000u);
    EXPECT_TRUE(contains(readFile(dir / "missing", out), "cannot open: No such file"));
}

TEST(Files, AtomicSaveKeepsPermissionsFollowsSymlinksAndCleansUpKilledSaves) {
    TempDir dir;
    const std::string file = dir / "net.netw";
    write(file, "old");
    ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    ASSERT_EQ(writeFileAtomic(file, "new"), "");
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << "a private file stays private";
    EXPECT_EQ(read(file), "new");

    // A new file gets 0666 less the umask, as any program's would.
    const mode_t old = umask(027);
    ASSERT_EQ(writeFileAtomic(dir / "fresh.netw", "x"), "");
    umask(old);
    ASSERT_EQ(stat((dir / "fresh.netw").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);

    // Saving through a symbolic link changes its target and keeps the link.
    fs::create_directory(dir.path / "real");
    write(dir / "real/target.netw", "before");
    fs::create_symlink(dir.path / "real/target.netw", dir.path / "link.netw");
    ASSERT_EQ(writeFileAtomic(dir / "link.netw", "after"), "");
    EXPECT_TRUE(fs::is_symlink(dir.path / "link.netw"));
    EXPECT_EQ(read(dir / "real/target.netw"), "after");

    // A save killed half-way left a temporary file; the next save removes it, but not one that
    // a live writer still holds.
    write(dir / "net.netw.tmp-AbC123", std::string(100, 'z'));
    const std::string busy = dir / "net.netw.tmp-Busy99";
    write(busy, "being written");
    int fd = open(busy.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(flock(fd, LOCK_EX), 0);
    ASSERT_EQ(writeFileAtomic(file, "newer"), "");
    EXPECT_FALSE(fs::exists(dir / "net.netw.tmp-AbC123"));
    EXPECT_TRUE(fs::exists(busy));
    close(fd);
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
    EXPECT_EQ(entries, 5u);  // net, fresh, real/, link, the busy temporary, and nothing else
}

TEST(Format, NumbersBeyondADoubleAreAnErrorWithTheirPlace) {
    const std::string text =
        "{\"format\": \"netwright\", \"version\": 1,\n \"nodes\": [{\"id\": \"in\", \"kind\": \"Input\", \"pos\": "
        "[1e400, 0]}]}";
    LoadResult r = parseNetw(text);  // must not throw
    ASSERT_FALSE(r.document);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].node, "line 2, column 50");
    EXPECT_TRUE(contains(r.errors[0].message, "number overflow parsing '1e400'")) << r.errors[0].message;
    EXPECT_FALSE(parseNetw("{\"format\": \"netwright\", \"version\": 1e999}").document);
    EXPECT_FALSE(parseNetw("[-1e400]").document);
}

TEST(Format, PositionsOutsideTheCanvasAreRefused) {
    LoadResult r = parseNetw(
        R"({"format": "netwright", "version": 1, "nodes": [{"id": "in", "kind": "Input", "pos": [1e300, 0]}]})");
    ASSERT_FALSE(r.document);
    EXPECT_EQ(r.errors.at(0).node, "/nodes/0 (in)/pos");
}

TEST(Weights, AFileIsComparedWithTheGraphBeforeItsDataIsRead) {
    TempDir dir;
    Analyzed a = analyzePreset("lenet5");
    TensorMap good = initWeights(a.flat, a.analysis, 3);
    // A torchvision-style checkpoint: num_batches_tracked (I64) counters are accepted and ignored.
    ASSERT_EQ(writeSafetensors(dir / "w.safetensors", good), "");
    WeightsResult r = loadWeights(a.flat, a.analysis, dir / "w.safetensors");
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.problems.empty());
    EXPECT_EQ(r.tensors.size(), good.size());
    EXPECT_EQ(r.tensors.at("conv1.weight").data, good.at("conv1.weight").data);

    // Unrelated tensors are listed by name and shape without being read: their data offsets
    // point past the end of a short file that holds only the header.
    const std::string header =
        R"({"other.weight": {"dtype": "F32", "shape": [1024, 1024, 1024], "data_offsets": [0, 4294967296]}})";
    std::string file(8, '\0');
    const uint64_t len = header.size();
    std::memcpy(file.data(), &len, 8);
    write(dir / "huge.safetensors", file + header);  // the index refuses it: offsets past the end
    WeightsResult huge = loadWeights(a.flat, a.analysis, dir / "huge.safetensors");
    EXPECT_TRUE(contains(huge.error, "run past the end of the file")) << huge.error;

    TensorMap extra = good;
    extra.emplace("stray.weight", Tensor({64, 64}));
    ASSERT_EQ(writeSafetensors(dir / "extra.safetensors", extra), "");
    SafetensorsIndex index = indexSafetensors(dir / "extra.safetensors");
    ASSERT_EQ(index.error, "");
    EXPECT_EQ(index.entries.at("stray.weight").shape, (Shape{64, 64}));
    WeightsResult stray = loadWeights(a.flat, a.analysis, dir / "extra.safetensors");
    ASSERT_EQ(stray.problems.size(), 1u);
    EXPECT_EQ(stray.problems[0], "unexpected stray.weight 64×64 (no such layer parameter)");
    EXPECT_TRUE(stray.tensors.empty()) << "nothing is read when the file does not fit";

    // Only the wanted tensors are read.
    TensorMapResult some =
        readSafetensors(dir / "extra.safetensors",
                        [](const std::string& name, const SafetensorsEntry&) { return name == "stray.weight"; });
    EXPECT_EQ(some.tensors.size(), 1u);
    EXPECT_EQ(some.skipped.size(), good.size());

    EXPECT_TRUE(contains(loadWeights(a.flat, a.analysis, dir.path.string()).error, "is a directory"));
}

TEST(Images, OtherFormatsAreRefusedByNameAndOversizedPngsBySize) {
    Analyzed a = analyzePreset("resnet18");
    NodeAttrs input = a.flat.nodes[0].view();
    EXPECT_TRUE(contains(decodeImage("GIF89a\x01\x00\x01\x00", "x.gif", input).error,
                         "not a PNG, JPEG or BMP image (it is a GIF"));
    EXPECT_TRUE(contains(decodeImage("hello", "x.txt", input).error, "not a PNG, JPEG or BMP image"));
    // A PNG header that declares 100,000 × 100,000 pixels.
    std::string png = "\x89PNG\r\n\x1a\n";
    png += std::string("\0\0\0\x0dIHDR", 8);
    png += std::string("\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00", 13);
    png += std::string(4, '\0');
    const std::string error = decodeImage(png, "huge.png", input).error;
    EXPECT_TRUE(contains(error, "100000×100000 pixels is too large")) << error;
    // The largest a header can say (the fuzzer's find: the pixel count overflowed 64 bits).
    std::string widest = png;
    widest.replace(16, 8, std::string(8, '\xff'));
    EXPECT_TRUE(contains(decodeImage(widest, "widest.png", input).error, "4294967295×4294967295 pixels is too large"));
}

TEST(Diagnostics, GraphsThatCouldNeverRunAreNotValid) {
    // A top-level node `b.0` and instance `b`'s node `0` both flatten to `b.0`.
    Analyzed clash = analyzeText(R"(
      "modules": [{"name": "Blk", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "0"}],
                   "nodes": [{"id": "0", "kind": "ReLU"}], "edges": [{"from": "x", "to": "0"}]}],
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 4, "width": 4}},
                {"id": "b", "kind": "Blk"}, {"id": "b.0", "kind": "ReLU"}, {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "b"}, {"from": "b", "to": "b.0"}, {"from": "b.0", "to": "out"}])");
    const Diagnostic* d = clash.find("both named 'b.0'");
    ASSERT_NE(d, nullptr) << clash.allDiagnostics();
    EXPECT_EQ(d->severity, Severity::Error);
    EXPECT_TRUE(contains(d->message, "top-level node 'b.0'") && contains(d->message, "a layer of 'b'")) << d->message;

    Analyzed empty = analyzeText(R"("nodes": [])");
    ASSERT_NE(empty.find("the graph is empty"), nullptr);
    EXPECT_EQ(empty.analysis.errorCount(), 1u);

    Analyzed outputs = analyzeText(R"(
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 4, "width": 4}},
                {"id": "a", "kind": "Output"}, {"id": "b", "kind": "Output"}],
      "edges": [{"from": "in", "to": "a"}, {"from": "in", "to": "b"}])");
    const Diagnostic* two = outputs.find("2 Output nodes");
    ASSERT_NE(two, nullptr) << outputs.allDiagnostics();
    EXPECT_EQ(two->severity, Severity::Warning);
    EXPECT_EQ(two->node, "b");
    EXPECT_TRUE(contains(two->message, "'a'"));

    Analyzed shadow = analyzeText(R"(
      "modules": [{"name": "ReLU", "params": {}, "inputs": ["x"], "outputs": [{"name": "y", "node": "t"}],
                   "nodes": [{"id": "t", "kind": "Tanh"}], "edges": [{"from": "x", "to": "t"}]}],
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 4, "width": 4}}, {"id": "r", "kind": "ReLU"}],
      "edges": [{"from": "in", "to": "r"}])");
    const Diagnostic* named = shadow.find("has the name of a built-in layer kind");
    ASSERT_NE(named, nullptr) << shadow.allDiagnostics();
    EXPECT_EQ(named->node, "ReLU");
}

TEST(Memory, A32GiBNetworkIsRefusedAtPlanTimeWithTheFigures) {
    // Linear 131,072 → 65,536: 8,589,934,592 weights = 32 GiB of float32, plus its bias.
    Analyzed a = analyzeText(R"(
      "nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 131072, "height": 1, "width": 1}},
                {"id": "flat", "kind": "Flatten"},
                {"id": "fc", "kind": "Linear", "attrs": {"in_features": 131072, "out_features": 65536}},
                {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "flat"}, {"from": "flat", "to": "fc"}, {"from": "fc", "to": "out"}])");
    ASSERT_EQ(a.analysis.errorCount(), 0u) << a.allDiagnostics();
    const auto started = std::chrono::steady_clock::now();
    const MemoryNeeds needs = memoryNeeds(a.flat, a.analysis);
    EXPECT_EQ(needs.weights, (int64_t{131072} * 65536 + 65536) * 4);
    const std::string error = checkMemory(needs, int64_t{16} << 30);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_LT(seconds, 0.5);
    EXPECT_TRUE(contains(error, "weights 32.0 GiB")) << error;
    EXPECT_TRUE(contains(error, "more than the budget of 17,179,869,184 bytes (16.0 GiB)")) << error;
    EXPECT_TRUE(contains(error, "--memory-budget")) << error;
    // The plan refuses it too, before touching any weight (there are none).
    Plan plan(a.flat, a.analysis, TensorMap{}, RunOptions{.memoryBudgetBytes = int64_t{16} << 30});
    EXPECT_TRUE(contains(plan.error(), "weights 32.0 GiB")) << plan.error();
    EXPECT_EQ(checkMemory(needs, int64_t{64} << 30), "");
}

TEST(Memory, BudgetsAreReadAsSizes) {
    EXPECT_EQ(parseByteSize("16G"), int64_t{16} << 30);
    EXPECT_EQ(parseByteSize("512MiB"), int64_t{512} << 20);
    EXPECT_EQ(parseByteSize("1.5g"), int64_t{3} << 29);
    EXPECT_EQ(parseByteSize("1000000"), 1000000);
    EXPECT_EQ(parseByteSize("lots"), std::nullopt);
    EXPECT_EQ(parseByteSize("-1G"), std::nullopt);
    EXPECT_EQ(parseByteSize("1e30"), std::nullopt);
    setenv("NETWRIGHT_MEMORY_BUDGET", "3G", 1);
    EXPECT_EQ(defaultMemoryBudget(), int64_t{3} << 30);
    unsetenv("NETWRIGHT_MEMORY_BUDGET");
    EXPECT_GT(defaultMemoryBudget(), int64_t{1} << 28);
}

// A 28×28 PNG whose corrupt compressed stream made stb_image grow its buffer to 2 GiB
// (fuzz_tensor_files): refused before stb sees it.
TEST(Images, ACorruptPngStreamIsRefusedBeforeItCanGrow) {
    Analyzed a = analyzePreset("lenet5");
    NodeAttrs input = a.flat.nodes[0].view();
    const std::string png(
        "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x1c\x00\x00\x00\x1c"
        "\x08\x00\x00\x00\x00\x57\x66\x80\x48\x00\x00\x01\x44\x49\x44\x41\x54\x78\x9c\xe5\x91\xbd\x4b\x02"
        "\x01\x18\xc6\x9f\xf7\xee\xbc\x0f\xef\x4e\x4d\x53\x04\x35\xd2\xb4\x5c\x12\x1a\x8a\x90\x5c\x5c\x5c"
        "\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x6a\x88\x08\x5a\x5b\x8a\xa4\xa1\xd5\x35"
        "\xdc\x8b\x9a\x1a\x1a\xea\xef\x08\x5a\x0a\x1a\x82\x9a\x82\x86\x40\x89\x22\xa8\x08\x42\x2b\x53\xcb"
        "\x33\x39\x4e\xef\xce\x86\x6c\x69\x0f\x82\x7e\xdb\xf3\x35\x3d\xc0\xbf\x83\x18\x00\xc0\xd4\xb7\x96"
        "\x7f\x16\x76\xf6\x57\x0f\x23\x00\x38\x20\x77\xae\x30\x5d\x97\x21\x00\xb1\x0a\x5d\x58\xd5\x5d\x00"
        "\x26\x96\x17\xdc\x49\x06\x00\x81\x60\x77\xf8\xbe\x4a\x66\xeb\xa0\xcc\x5e\xbb\x6a\xb9\x44\x7f\x26"
        "\x6b\xe6\x8b\xd4\x5d\x4e\x62\xad\xb4\xc7\x84\x3d\x90\xe8\x75\x22\x65\x7c\xf8\x1e\xcf\xc6\xb2\x5f"
        "\x61\xdc\xb3\x92\xdc\x94\x83\x32\xc7\xb2\x82\xa8\x3d\x08\x43\x03\x74\x5c\xdf\x98\xa1\xc4\x62\x59"
        "\x54\x1d\xb5\x92\x12\xb0\x35\x4e\x08\x04\x15\x49\x90\x9a\x37\xb7\x6f\xde\x74\x74\x9d\xb6\x53\x06"
        "\xac\x7a\xe3\xb9\xcc\x46\xfd\x21\x8f\x24\x72\x30\xf4\xd3\xd1\x71\xeb\xaa\x63\x2d\x51\x7a\x3a\xd2"
        "\xa3\x3a\x34\xb1\x1e\x95\x4d\xab\xce\x17\x4e\x7c\xf3\xb3\x80\xea\x44\xb3\xa5\x90\x5b\x79\x02\x2b"
        "\xc6\x02\x73\x47\x85\x6a\x0b\x00\x10\x1a\xce\xdb\x96\x4e\xb2\xcb\x49\x88\x24\xb9\xf6\xfb\xe5\xc8"
        "\xcb\x3d\xdf\xab\x42\x92\xc8\x2c\x0e\xfa\xf3\x0e\x8b\x91\x95\x2a\x01\x40\x5c\x42\xb8\xe6\x15\xb4"
        "\xb6\xdd\xd4\x39\x86\x37\xdc\x35\x4e\x45\x00\x01\x44\x49\x44\x41\x54\x78\x9c\xe5\x91\xbd\x4b\x02"
        "\x01\x18\xc6\x9f\xf7\xee\xbc\x0f\xef\x4e\x4d\x53\x04\x35\xd2\xb4\x5c\x12\x1a\x8a\x90\x5c\x5c\x5c"
        "\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x5c\x6a\x88\x08\x5a\x5b\x8a\xa4\xa1\xd5\x35"
        "\xdc\x8b\x9a\x1a\x1a\xea\xef\x08\x5a\x0a\x1a\x82\x9a\x82\x86\x40\x89\x22\xa8\x08\x42\x2b\x53\xcb"
        "\x33\x39\x4e\xef\xce\x86\x6c\x69\x0f\x82\x7e\xdb\xf3\x35\x3d\xc0\xbf\x83\x18\x00\xc0\xd4\xb7\x96"
        "\x7f\x16\x76\xf6\x57\x0f\x23\x00\x38\x20\x77\xae\x30\x5d\x97\x21\x00\xb1\x0a\x5d\x58\xd5\x5d\x00"
        "\x26\x96\x17\xdc\x49\x06\x00\x81\x43\xbf\xfb\x95\x97\xfe\x20\x9f\xcf\xef\x65\x3b\x72\xdd\xd8\x0f"
        "\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
        540);
    const std::string error = decodeImage(png, "bomb.png", input).error;
    EXPECT_TRUE(contains(error, "bomb.png: not a readable PNG image")) << error;
}

// An IDAT chunk that says 1 GiB in a 77-byte file: stb_image reallocates to the declared length
// before reading it (fuzz_tensor_files: malloc(2 GiB)); the chunk walk refuses it first.
TEST(Images, APngChunkLongerThanTheFileIsRefused) {
    Analyzed a = analyzePreset("lenet5");
    NodeAttrs input = a.flat.nodes[0].view();
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x1c\0\0\0\x1c\x08\0\0\0\0\x57\x66\x80\x48", 33);
    png += std::string("\0\0\0\x10IDAT", 8) + std::string(16, 'x') + "crc!";  // a whole chunk
    png += std::string("\x40\0\0\0IDAT", 8) + std::string(8, 'x');            // says 2^30 bytes
    const std::string error = decodeImage(png, "long.png", input).error;
    EXPECT_TRUE(contains(error,
                         "long.png: not a readable PNG image: it is truncated (the chunk at byte 61 says "
                         "1073741824 bytes, only 8 follow its header)"))
        << error;
}
