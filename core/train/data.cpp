#include "data.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "image.h"

namespace nw {

std::string fashionMnistDir() {
    const char* dir = std::getenv("NETWRIGHT_FASHION_MNIST");
    return dir && *dir ? dir : "/usr/share/datasets/fashion-mnist";
}

int64_t Dataset::highestLabel() const { return labels.empty() ? -1 : *std::max_element(labels.begin(), labels.end()); }

namespace {

// An idx file (Yann LeCun's MNIST format: 00 00 08 <rank>, big-endian uint32 dimensions, then
// unsigned bytes), gzipped or not.
struct Idx {
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
    std::string error;
};

// The largest idx file read: 2^31 bytes (Fashion-MNIST's training images are 47 MB).
constexpr int64_t kMaxIdxBytes = int64_t{1} << 31;

Idx readIdx(const std::string& path) {
    Idx idx;
    auto fail = [&](const std::string& why) {
        idx.error = path + ": " + why;
        return idx;
    };
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return fail("no such file");
    if (!std::filesystem::is_regular_file(path, ec)) return fail("not a regular file");
    gzFile f = gzopen(path.c_str(), "rb");  // reads a file that is not gzipped as it is
    if (!f) return fail("cannot be opened");
    struct Closer {
        gzFile f;
        ~Closer() { gzclose(f); }
    } closer{f};
    unsigned char head[4];
    if (gzread(f, head, 4) != 4) return fail("too short for an idx file");
    if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] < 1 || head[3] > 4) {
        char magic[32];
        std::snprintf(magic, sizeof magic, "%02x %02x %02x %02x", head[0], head[1], head[2], head[3]);
        return fail(std::string("not an idx file of bytes (it starts ") + magic +
                    "; MNIST-format images start 00 00 08 03, labels 00 00 08 01)");
    }
    int64_t total = 1;
    for (int d = 0; d < head[3]; ++d) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) return fail("its header ends early");
        const int64_t n = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
        idx.dims.push_back(n);
        total = n == 0 ? 0 : (total > kMaxIdxBytes / std::max<int64_t>(n, 1) ? kMaxIdxBytes + 1 : total * n);
    }
    if (total > kMaxIdxBytes) return fail("its header declares more than 2 GiB of data");
    idx.data.resize(static_cast<size_t>(total));
    int64_t got = 0;
    while (got < total) {
        const int chunk = static_cast<int>(std::min<int64_t>(total - got, int64_t{1} << 30));
        const int n = gzread(f, idx.data.data() + got, static_cast<unsigned>(chunk));
        if (n <= 0) break;
        got += n;
    }
    if (got < total) {
        int code = 0;
        const char* why = gzerror(f, &code);
        return fail("holds " + std::to_string(got) + " data bytes, its header declares " + std::to_string(total) +
                    (code < 0 && why ? std::string(" (") + why + ")" : std::string()));
    }
    unsigned char extra;
    if (gzread(f, &extra, 1) == 1) return fail("holds more data than its header declares");
    return idx;
}

// An idx image and label file as one set.
std::string readIdxPair(const std::string& images, const std::string& labels, Dataset& out) {
    Idx x = readIdx(images);
    if (!x.error.empty()) return x.error;
    if (x.dims.size() != 3 && x.dims.size() != 4)
        return images + ": holds " + std::to_string(x.dims.size()) +
               "-dimensional data; images are N × height × width (or × channels)";
    Idx y = readIdx(labels);
    if (!y.error.empty()) return y.error;
    if (y.dims.size() != 1)
        return labels + ": holds " + std::to_string(y.dims.size()) + "-dimensional data; labels are N";
    if (x.dims[0] != y.dims[0])
        return images + " holds " + std::to_string(x.dims[0]) + " images but " + labels + " " +
               std::to_string(y.dims[0]) + " labels";
    if (x.dims[0] == 0) return images + ": holds no images";
    out.rawHeight = x.dims[1];
    out.rawWidth = x.dims[2];
    out.rawChannels = x.dims.size() == 4 ? x.dims[3] : 1;
    if (out.rawChannels != 1 && out.rawChannels != 3)
        return images + ": images of " + std::to_string(out.rawChannels) + " channels; 1 or 3 are read";
    out.raw = std::move(x.data);
    out.labels.assign(y.data.begin(), y.data.end());
    return {};
}

const std::vector<std::string> kFashionClasses{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                               "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// A folder of class folders: labels in sorted folder-name order, each image prepared as `input` says.
std::string readFolder(const std::string& dir, const NodeAttrs& input, Dataset& out) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> classes;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_directory(ec)) classes.push_back(e.path());
    if (ec) return dir + ": cannot be read (" + ec.message() + ")";
    std::sort(classes.begin(), classes.end());
    if (classes.empty())
        return dir + ": holds no class folders (one folder of images per class, as torchvision's ImageFolder)";
    for (size_t c = 0; c < classes.size(); ++c) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(classes[c], ec)) {
            std::string ext = e.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
            if (e.is_regular_file(ec) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp"))
                files.push_back(e.path());
        }
        std::sort(files.begin(), files.end());
        if (files.empty()) return classes[c].string() + ": holds no PNG, JPEG or BMP images";
        out.classes.push_back(classes[c].filename().string());
        for (const fs::path& file : files) {
            ImageResult image = loadImage(file.string(), input);
            if (!image.error.empty()) return image.error;
            out.prepared.insert(out.prepared.end(), image.tensor.data.begin(), image.tensor.data.end());
            out.labels.push_back(static_cast<int64_t>(c));
        }
    }
    return {};
}

}  // namespace

DataResult loadData(const std::string& spec, const NodeAttrs& input) {
    DataResult r;
    if (std::string why = inputProblem(input); !why.empty()) {
        r.error = "cannot train on images: " + why;
        return r;
    }
    const Shape sample{input.i("channels"), input.i("height"), input.i("width")};
    r.train.sample = r.test.sample = sample;
    if (spec == "fashion-mnist") {
        const std::string dir = fashionMnistDir();
        auto part = [&](const char* name) { return dir + "/" + name; };
        if (!std::filesystem::exists(part("train-images-idx3-ubyte.gz"))) {
            r.error = "Fashion-MNIST is not in " + dir + ": install Debian's dataset-fashion-mnist (./dev deps does)";
            return r;
        }
        r.train.source = "Fashion-MNIST's training set";
        r.test.source = "Fashion-MNIST's test set";
        r.error = readIdxPair(part("train-images-idx3-ubyte.gz"), part("train-labels-idx1-ubyte.gz"), r.train);
        if (r.error.empty())
            r.error = readIdxPair(part("t10k-images-idx3-ubyte.gz"), part("t10k-labels-idx1-ubyte.gz"), r.test);
        r.train.classes = r.test.classes = kFashionClasses;
        return r;
    }
    if (spec.rfind("idx:", 0) == 0) {
        const size_t comma = spec.find(',', 4);
        if (comma == std::string::npos) {
            r.error = "--data idx: needs IMAGES,LABELS (two idx files, comma-separated)";
            return r;
        }
        r.train.source = spec.substr(4, comma - 4);
        r.error = readIdxPair(spec.substr(4, comma - 4), spec.substr(comma + 1), r.train);
        return r;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(spec, ec)) {
        r.error = "--data " + spec + ": not fashion-mnist, idx:IMAGES,LABELS or a folder of class folders";
        return r;
    }
    r.train.source = spec;
    r.error = readFolder(spec, input, r.train);
    r.test.classes = r.train.classes;
    return r;
}

Dataset splitOff(Dataset& data, double fraction, uint64_t seed) {
    Dataset part;
    part.source = data.source + " (held out)";
    part.sample = data.sample;
    part.classes = data.classes;
    part.rawHeight = data.rawHeight;
    part.rawWidth = data.rawWidth;
    part.rawChannels = data.rawChannels;
    const int64_t n = data.size();
    if (fraction <= 0 || n < 2) return part;
    const auto take = std::clamp<int64_t>(static_cast<int64_t>(static_cast<double>(n) * fraction), 1, n - 1);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    const int64_t rawPer = data.rawHeight * data.rawWidth * data.rawChannels;
    const int64_t per = data.sample[0] * data.sample[1] * data.sample[2];
    Dataset rest = part;
    rest.source = data.source;
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = order[static_cast<size_t>(k)];
        Dataset& to = k < take ? part : rest;
        to.labels.push_back(data.labels[static_cast<size_t>(i)]);
        if (!data.raw.empty())
            to.raw.insert(to.raw.end(), data.raw.begin() + i * rawPer, data.raw.begin() + (i + 1) * rawPer);
        else
            to.prepared.insert(to.prepared.end(), data.prepared.begin() + i * per,
                               data.prepared.begin() + (i + 1) * per);
    }
    data = std::move(rest);
    return part;
}

namespace {

// idx bytes → the Input's C × H × W in [0, 1]: centred and zero-padded when smaller (LeNet-5's 32×32
// from 28×28, the classic recipe), bilinearly resized when larger (F.interpolate, align_corners off),
// grey copied to three channels or three averaged to one; then normalised.
void prepareRaw(const Dataset& d, int64_t i, const Normalization& norm, float* out) {
    const int64_t C = d.sample[0], H = d.sample[1], W = d.sample[2];
    const int64_t h = d.rawHeight, w = d.rawWidth, rc = d.rawChannels;
    const uint8_t* src = d.raw.data() + i * h * w * rc;
    auto pixel = [&](int64_t y, int64_t x, int64_t c) {  // source channel c of C, in [0, 1]
        const uint8_t* p = src + (y * w + x) * rc;
        if (rc == C) return p[c] / 255.0f;
        if (rc == 1) return p[0] / 255.0f;
        return (p[0] + p[1] + p[2]) / (3 * 255.0f);
    };
    const bool pad = h <= H && w <= W;
    const int64_t top = (H - h) / 2, left = (W - w) / 2;
    for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x) {
                float v = 0;
                if (pad) {
                    const int64_t sy = y - top, sx = x - left;
                    v = sy >= 0 && sy < h && sx >= 0 && sx < w ? pixel(sy, sx, c) : 0.0f;
                } else {
                    const float fy = std::max(
                        (static_cast<float>(y) + 0.5f) * static_cast<float>(h) / static_cast<float>(H) - 0.5f, 0.0f);
                    const float fx = std::max(
                        (static_cast<float>(x) + 0.5f) * static_cast<float>(w) / static_cast<float>(W) - 0.5f, 0.0f);
                    const auto y0 = std::min(static_cast<int64_t>(fy), h - 1),
                               x0 = std::min(static_cast<int64_t>(fx), w - 1);
                    const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
                    const float ay = fy - static_cast<float>(y0), ax = fx - static_cast<float>(x0);
                    v = (1 - ay) * ((1 - ax) * pixel(y0, x0, c) + ax * pixel(y0, x1, c)) +
                        ay * ((1 - ax) * pixel(y1, x0, c) + ax * pixel(y1, x1, c));
                }
                const auto k = static_cast<size_t>(std::min<int64_t>(c, 2));
                out[(c * H + y) * W + x] = (v - norm.mean[k]) / norm.std[k];
            }
}

}  // namespace

std::string prepareBatch(const Dataset& data, const NodeAttrs& input, const std::vector<int64_t>& indices,
                         const Augment& augment, std::mt19937_64& rng, Tensor& batch, std::vector<int64_t>& labels) {
    const int64_t C = data.sample[0], H = data.sample[1], W = data.sample[2], per = C * H * W;
    const auto n = static_cast<int64_t>(indices.size());
    batch.shape = {n, C, H, W};
    batch.data.resize(static_cast<size_t>(n * per));
    labels.resize(indices.size());
    const Normalization norm = normalization(input.s("normalize"));
    std::vector<float> plain(static_cast<size_t>(per));
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = indices[static_cast<size_t>(k)];
        if (i < 0 || i >= data.size()) return "sample " + std::to_string(i) + " is not in " + data.source;
        labels[static_cast<size_t>(k)] = data.labels[static_cast<size_t>(i)];
        float* out = batch.ptr() + k * per;
        const bool shift = augment.cropPadding > 0, mirror = augment.flip && (rng() & 1);
        float* target = shift || mirror ? plain.data() : out;
        if (!data.raw.empty()) prepareRaw(data, i, norm, target);
        else std::copy_n(data.prepared.begin() + i * per, per, target);
        if (target == out) continue;
        // A black pixel after normalisation fills what the shift uncovers.
        const int64_t p = augment.cropPadding;
        const int64_t dy = shift ? static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
        const int64_t dx = shift ? static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * p + 1)) - p : 0;
        for (int64_t c = 0; c < C; ++c) {
            const auto k3 = static_cast<size_t>(std::min<int64_t>(c, 2));
            const float black = (0.0f - norm.mean[k3]) / norm.std[k3];
            for (int64_t y = 0; y < H; ++y)
                for (int64_t x = 0; x < W; ++x) {
                    const int64_t sy = y + dy, sx0 = x + dx, sx = mirror ? W - 1 - sx0 : sx0;
                    out[(c * H + y) * W + x] = sy >= 0 && sy < H && sx0 >= 0 && sx0 < W
                                                   ? plain[static_cast<size_t>((c * H + sy) * W + sx)]
                                                   : black;
                }
        }
    }
    return {};
}

}  // namespace nw
