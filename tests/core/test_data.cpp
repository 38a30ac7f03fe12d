// Training data and the training session: idx files and folders read or refused with the file
// named, batches prepared as the Input node says, and runs that are deterministic, resumable and
// stop on a non-finite loss with the last good weights.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <utility>

#include "analysis.h"
#include "data.h"
#include "helpers.h"
#include "session.h"
#include "weights.h"

using namespace nw;
using namespace nw::test;

namespace {

std::string idxHeader(const std::vector<uint32_t>& dims) {
    std::string h{'\0', '\0', '\x08', static_cast<char>(dims.size())};
    for (uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((d >> shift) & 0xff);
    return h;
}

void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void writeGz(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}

// n images of h × w whose pixels are (sample + y + x) mod 256, and labels sample mod `classes`.
void writePair(const TempDir& dir, int n, int h, int w, int classes, bool gz = false) {
    std::string images = idxHeader({static_cast<uint32_t>(n), static_cast<uint32_t>(h), static_cast<uint32_t>(w)});
    std::string labels = idxHeader({static_cast<uint32_t>(n)});
    for (int i = 0; i < n; ++i) {
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) images += static_cast<char>((i * 7 + y * 3 + x) % 256);
        labels += static_cast<char>(i % classes);
    }
    (gz ? writeGz : write)(dir / "images", images);
    (gz ? writeGz : write)(dir / "labels", labels);
}

// A small trainable net on 1×8×8 images: conv, batch norm, ReLU, pooling, dense to 4 classes.
Analyzed smallNet() {
    return analyzeText(R"("nodes": [{"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 8, "width": 8}},
        {"id": "conv", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"id": "bn", "kind": "BatchNorm2d"}, {"id": "relu", "kind": "ReLU"},
        {"id": "pool", "kind": "GlobalAvgPool"}, {"id": "fc", "kind": "Linear", "attrs": {"out_features": 4}},
        {"id": "out", "kind": "Output"}],
        "edges": [{"from": "in", "to": "conv"}, {"from": "conv", "to": "bn"}, {"from": "bn", "to": "relu"},
                  {"from": "relu", "to": "pool"}, {"from": "pool", "to": "fc"}, {"from": "fc", "to": "out"}])");
}

NodeAttrs inputOf(const Analyzed& a) { return a.flat.nodes[static_cast<size_t>(a.flat.find("in"))].view(); }

}  // namespace

TEST(Data, ReadsIdxPairsGzippedOrNot) {
    TempDir dir;
    const Analyzed net = smallNet();
    for (bool gz : {false, true}) {
        writePair(dir, 10, 8, 8, 4, gz);
        DataResult r = loadData("idx:" + dir / "images" + "," + dir / "labels", inputOf(net));
        ASSERT_EQ(r.error, "");
        EXPECT_EQ(r.train.size(), 10);
        EXPECT_EQ(r.train.labels[5], 1);
        EXPECT_EQ(r.train.rawHeight, 8);
        EXPECT_EQ(r.test.size(), 0);
    }
}

TEST(Data, RefusesBadFilesNamingThem) {
    TempDir dir;
    const Analyzed net = smallNet();
    auto error = [&](const std::string& spec) { return loadData(spec, inputOf(net)).error; };
    writePair(dir, 4, 8, 8, 4);
    const std::string pair = "idx:" + dir / "images" + "," + dir / "labels";
    EXPECT_EQ(error("idx:" + dir / "missing" + "," + dir / "labels"), dir / "missing" + ": no such file");
    write(dir / "png", "\x89PNG\r\n\x1a\n....");
    EXPECT_NE(error("idx:" + dir / "png" + "," + dir / "labels")
                  .find(dir / "png" + ": not an idx file of bytes (it starts 89 50 4e 47"),
              std::string::npos);
    write(dir / "short", idxHeader({4, 8, 8}) + std::string(100, '\0'));
    EXPECT_EQ(error("idx:" + dir / "short" + "," + dir / "labels"),
              dir / "short" + ": holds 100 data bytes, its header declares 256");
    write(dir / "three", idxHeader({3}) + std::string(3, '\1'));
    EXPECT_EQ(error("idx:" + dir / "images" + "," + dir / "three"),
              dir / "images" + " holds 4 images but " + dir / "three" + " 3 labels");
    EXPECT_NE(error("idx:" + dir / "images").find("IMAGES,LABELS"), std::string::npos);
    EXPECT_NE(error(dir / "nothing-here").find("not fashion-mnist, idx:IMAGES,LABELS or a folder"), std::string::npos);
    // Folders: none, a class without images, an image that does not decode.
    std::filesystem::create_directories(dir / "empty");
    EXPECT_NE(error(dir / "empty").find(dir / "empty" + ": holds no class folders"), std::string::npos);
    std::filesystem::create_directories(dir / "classes/cat");
    EXPECT_EQ(error(dir / "classes"), dir / "classes/cat" + ": holds no PNG, JPEG or BMP images");
    write(dir / "classes/cat/broken.png", "\x89PNG\r\n\x1a\nnot really");
    EXPECT_NE(error(dir / "classes").find(dir / "classes/cat/broken.png"), std::string::npos);
    EXPECT_EQ(error(pair), "");
}

TEST(Data, ReadsImageFoldersAsTorchvisionsImageFolder) {
    TempDir dir;
    const Analyzed net = smallNet();
    for (const char* c : {"boot", "sandal"}) std::filesystem::create_directories(dir / (std::string("set/") + c));
    const std::string samples = std::string(NETWRIGHT_SOURCE_DIR) + "/resources/samples/";
    std::filesystem::copy_file(samples + "fashion_ankle_boot.png", dir / "set/boot/a.png");
    std::filesystem::copy_file(samples + "fashion_sandal.png", dir / "set/sandal/b.png");
    std::filesystem::copy_file(samples + "fashion_sneaker.png", dir / "set/sandal/c.png");
    DataResult r = loadData(dir / "set", inputOf(net));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.train.classes, (std::vector<std::string>{"boot", "sandal"}));
    EXPECT_EQ(r.train.labels, (std::vector<int64_t>{0, 1, 1}));
    EXPECT_EQ(r.train.prepared.size(), 3u * 64);
}

TEST(Data, BatchesArePaddedNormalisedAndAugmented) {
    TempDir dir;
    writePair(dir, 3, 6, 6, 4);  // 6×6 images into the 8×8 input: one black pixel of padding each side
    const Analyzed net = smallNet();
    DataResult r = loadData("idx:" + dir / "images" + "," + dir / "labels", inputOf(net));
    ASSERT_EQ(r.error, "");
    std::mt19937_64 rng(1);
    Tensor batch;
    std::vector<int64_t> labels;
    ASSERT_EQ(prepareBatch(r.train, inputOf(net), {2, 0}, {}, rng, batch, labels), "");
    EXPECT_EQ(batch.shape, (Shape{2, 1, 8, 8}));
    EXPECT_EQ(labels, (std::vector<int64_t>{2, 0}));
    EXPECT_EQ(batch.data[0], 0.0f);                       // padding ("unit" normalisation)
    EXPECT_FLOAT_EQ(batch.data[9], (2 * 7) / 255.0f);     // sample 2's pixel (0, 0) at (1, 1)
    EXPECT_FLOAT_EQ(batch.data[64 + 8 + 2], 1 / 255.0f);  // sample 0's pixel (0, 1) at (1, 2)
    // Mirrored: with flip on, each sample is itself or its mirror image.
    Tensor flipped;
    for (int trial = 0; trial < 8; ++trial) {
        ASSERT_EQ(prepareBatch(r.train, inputOf(net), {1}, Augment{0, true}, rng, flipped, labels), "");
        Tensor plain;
        prepareBatch(r.train, inputOf(net), {1}, {}, rng, plain, labels);
        bool same = flipped.data == plain.data, mirrored = true;
        for (size_t y = 0; y < 8; ++y)
            for (size_t x = 0; x < 8; ++x) mirrored &= flipped.data[y * 8 + x] == plain.data[y * 8 + 7 - x];
        EXPECT_TRUE(same || mirrored);
    }
    Dataset held = splitOff(r.train, 0.34, 3);
    EXPECT_EQ(held.size(), 1);
    EXPECT_EQ(r.train.size(), 2);
    EXPECT_EQ(r.train.raw.size(), 2u * 36);
}

TEST(Trainer, IsDeterministicResumableAndChecksLabels) {
    TempDir dir;
    writePair(dir, 40, 8, 8, 4);
    const Analyzed net = smallNet();
    DataResult data = loadData("idx:" + dir / "images" + "," + dir / "labels", inputOf(net));
    ASSERT_EQ(data.error, "");
    TrainOptions options;
    options.epochs = 2;
    options.batch = 16;  // 3 steps an epoch, the last one of 8 samples
    options.augment = {1, true};
    options.seed = 9;
    const TensorMap start = initWeights(net.flat, net.analysis, 2);
    auto train = [&](TrainOptions o, const std::string& resume = "") {
        Trainer t(net.flat, start, std::move(o));
        EXPECT_EQ(t.error(), "");
        if (!resume.empty()) {
            EXPECT_EQ(t.resume(resume), "");
        }
        TrainResult r = t.run(data.train, data.train);
        EXPECT_EQ(r.error, "");
        return t.weights();
    };
    const TensorMap twice = train(options), again = train(options);
    for (const auto& [name, t] : twice) EXPECT_EQ(t.data, again.at(name).data) << name;
    EXPECT_NE(twice.at("conv.weight").data, start.at("conv.weight").data);
    // One epoch with a checkpoint, then the second resumed from it: the same weights as both at once.
    TrainOptions first = options;
    first.epochs = 1;
    first.checkpoint = dir / "ckpt.safetensors";
    train(first);
    TrainOptions second = options;
    const TensorMap resumed = train(second, dir / "ckpt.safetensors");
    for (const auto& [name, t] : twice) EXPECT_EQ(t.data, resumed.at(name).data) << name;
    // The evaluation's confusion matrix: rows sum to each class's samples, its trace is the correct count.
    const Evaluation e = evaluate(net.flat, twice, data.train, 16);
    ASSERT_EQ(e.error, "");
    EXPECT_EQ(e.samples, 40);
    int64_t trace = 0;
    for (size_t c = 0; c < 4; ++c) {
        int64_t row = 0;
        for (int64_t v : e.confusion[c]) row += v;
        EXPECT_EQ(row, 10);
        trace += e.confusion[c][c];
    }
    EXPECT_EQ(trace, e.correct);
    EXPECT_EQ(static_cast<int64_t>(e.misclassified.size()), 40 - e.correct);
    // A label the output cannot give.
    data.train.labels[3] = 7;
    Trainer t(net.flat, start, options);
    EXPECT_EQ(t.run(data.train, {}).error,
              data.train.source + " has labels up to 7 but the network's output has 4 classes (0 to 3)");
}

TEST(Trainer, StopsOnANonFiniteLossKeepingTheLastGoodWeights) {
    TempDir dir;
    writePair(dir, 32, 8, 8, 4);
    const Analyzed net = smallNet();
    DataResult data = loadData("idx:" + dir / "images" + "," + dir / "labels", inputOf(net));
    TrainOptions options;
    options.epochs = 3;
    options.batch = 8;
    options.optimizer.lr = 1e30;  // diverges within a step or two
    options.optimizer.momentum = 0;
    const TensorMap start = initWeights(net.flat, net.analysis, 2);
    Trainer t(net.flat, start, options);
    TrainResult r = t.run(data.train, {});
    EXPECT_NE(r.error.find("the loss is not finite"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("the weights at the start are kept"), std::string::npos) << r.error;
    for (const auto& [name, w] : start) EXPECT_EQ(t.weights().at(name).data, w.data) << name;
    const std::string notCheckpoint = Trainer(net.flat, start, options).resume(dir / "images");
    EXPECT_EQ(notCheckpoint.rfind(dir / "images" + ": ", 0), 0u) << notCheckpoint;
    writeSafetensors(dir / "weights.safetensors", start);
    EXPECT_NE(Trainer(net.flat, start, options)
                  .resume(dir / "weights.safetensors")
                  .find("not a Netwright training checkpoint"),
              std::string::npos);
}
