#include "image.h"

#include <stb_image.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include "files.h"

namespace nw {

Normalization normalization(const std::string& name) {
    if (name == "imagenet") return {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
    if (name == "mnist") return {{0.1307f, 0.1307f, 0.1307f}, {0.3081f, 0.3081f, 0.3081f}};
    if (name == "tf") return {{0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}};
    return {{0, 0, 0}, {1, 1, 1}};  // unit
}

std::string inputProblem(const NodeAttrs& input) {
    const int64_t C = input.i("channels"), H = input.i("height"), W = input.i("width");
    if ((C != 1 && C != 3) || H <= 0 || W <= 0)
        return "the network's Input is " + std::to_string(C) + "×" + std::to_string(H) + "×" + std::to_string(W) +
               "; images need 1 (grayscale) or 3 (RGB) channels and a height and width";
    return {};
}

namespace {

// PIL's bilinear resampling along one axis: a triangle filter, widened by the scale when shrinking
// so every source pixel contributes (antialiasing), as torchvision's Resize does on PIL images.
struct Taps {
    std::vector<int64_t> first;
    std::vector<std::vector<float>> weights;
};

Taps taps(int64_t in, int64_t out) {
    const double scale = static_cast<double>(in) / static_cast<double>(out), widen = std::max(scale, 1.0);
    Taps t;
    for (int64_t o = 0; o < out; ++o) {
        const double center = (static_cast<double>(o) + 0.5) * scale;
        const int64_t lo = std::max<int64_t>(std::llround(center - widen), 0);
        const int64_t hi = std::min<int64_t>(std::llround(center + widen), in);
        std::vector<float> w;
        double sum = 0;
        for (int64_t x = lo; x < hi; ++x) {
            double v = std::max(0.0, 1.0 - std::abs((static_cast<double>(x) - center + 0.5) / widen));
            w.push_back(static_cast<float>(v));
            sum += v;
        }
        for (float& v : w) v = static_cast<float>(v / (sum > 0 ? sum : 1));
        t.first.push_back(lo);
        t.weights.push_back(std::move(w));
    }
    return t;
}

// Resizes interleaved h × w × c floats to oh × ow × c: rows first, then columns.
std::vector<float> resample(const std::vector<float>& src, int64_t w, int64_t h, int64_t c, int64_t ow, int64_t oh) {
    Taps tx = taps(w, ow), ty = taps(h, oh);
    std::vector<float> mid(static_cast<size_t>(h * ow * c)), out(static_cast<size_t>(oh * ow * c));
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < ow; ++x)
            for (int64_t k = 0; k < c; ++k) {
                float acc = 0;
                const auto& wts = tx.weights[static_cast<size_t>(x)];
                for (size_t i = 0; i < wts.size(); ++i)
                    acc += wts[i] * src[static_cast<size_t>(
                                        (y * w + tx.first[static_cast<size_t>(x)] + static_cast<int64_t>(i)) * c + k)];
                mid[static_cast<size_t>((y * ow + x) * c + k)] = acc;
            }
    for (int64_t y = 0; y < oh; ++y) {
        const auto& wts = ty.weights[static_cast<size_t>(y)];
        for (int64_t x = 0; x < ow; ++x)
            for (int64_t k = 0; k < c; ++k) {
                float acc = 0;
                for (size_t i = 0; i < wts.size(); ++i)
                    acc +=
                        wts[i] * mid[static_cast<size_t>(
                                     ((ty.first[static_cast<size_t>(y)] + static_cast<int64_t>(i)) * ow + x) * c + k)];
                out[static_cast<size_t>((y * ow + x) * c + k)] = acc;
            }
    }
    return out;
}

constexpr size_t kMaxImageFileBytes = size_t{1} << 30;

uint32_t bigEndian32(std::string_view b, size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24 |
           static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 | static_cast<unsigned char>(b[at + 3]);
}

// The format by its magic bytes, and a PNG's size from its header: stb_image refuses a PNG over its
// own size limit with "unknown image type", which would hide the real cause.
struct ImageFormat {
    const char* name = nullptr;  // null: not an image format we know
    int64_t width = 0, height = 0;
};
ImageFormat imageFormat(std::string_view b) {
    auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
    if (starts("\x89PNG\r\n\x1a\n")) {
        ImageFormat f{"PNG"};
        if (b.size() >= 24 && b.substr(12, 4) == "IHDR") f.width = bigEndian32(b, 16), f.height = bigEndian32(b, 20);
        return f;
    }
    if (starts("\xff\xd8\xff")) return {"JPEG"};
    if (starts("BM")) return {"BMP"};
    if (starts("GIF87a") || starts("GIF89a")) return {"a GIF image"};
    if (starts("8BPS")) return {"a Photoshop image"};
    if (starts("#?RADIANCE") || starts("#?RGBE")) return {"an HDR image"};
    if (b.size() > 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') return {"a PNM image"};
    if (starts("RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") return {"a WebP image"};
    if (starts("II*") || starts("MM\0*")) return {"a TIFF image"};
    return {};
}

// stb_image grows its inflate buffer by doubling on a corrupt PNG stream, up to 2 GiB for a 28×28
// image (fuzz_tensor_files found one). The IDAT data is inflated here first with zlib, bounded by
// what the header's size allows; a stream that says more, or is corrupt, is refused before stb.
std::string checkPngData(std::string_view b) {
    if (b.size() < 33) return "it is truncated";
    const uint32_t width = bigEndian32(b, 16), height = bigEndian32(b, 20);
    const int depth = static_cast<unsigned char>(b[24]), colour = static_cast<unsigned char>(b[25]);
    const int samples = colour == 2 ? 3 : colour == 4 ? 2 : colour == 6 ? 4 : 1;
    // Filter byte per row plus the samples; Adam7 interlacing adds at most a filter byte per pass row.
    const uint64_t row = 1 + (uint64_t{width} * samples * std::max(depth, 1) + 7) / 8;
    const uint64_t bound = row * height + 8 * uint64_t{height} + 1024;
    std::string idat;
    for (size_t at = 8; at + 12 <= b.size();) {
        const uint32_t length = bigEndian32(b, at);
        // stb_image allocates a chunk's declared length (doubling up to 2 GiB) before it reads it.
        if (length > b.size() - at - 12)
            return "it is truncated (the chunk at byte " + std::to_string(at) + " says " + std::to_string(length) +
                   " bytes, only " + std::to_string(b.size() - at - 8) + " follow its header)";
        if (b.substr(at + 4, 4) == "IDAT") idat.append(b.substr(at + 8, length));
        if (b.substr(at + 4, 4) == "IEND") break;
        at += 12 + length;
    }
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return "cannot inflate it";
    z.next_in = reinterpret_cast<Bytef*>(idat.data());
    z.avail_in = static_cast<uInt>(idat.size());
    std::vector<unsigned char> out(1 << 16);
    uint64_t total = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        rc = inflate(&z, Z_NO_FLUSH);
        total += out.size() - z.avail_out;
        if (total > bound) break;
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // ran out of input: stb reports it
    }
    inflateEnd(&z);
    if (total > bound)
        return "its compressed data holds more than a " + std::to_string(width) + "×" + std::to_string(height) +
               " image";
    if (rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_NEED_DICT) return "its compressed data is corrupt";
    return {};
}

}  // namespace

ImageResult decodeImage(std::string_view bytes, const std::string& where, const NodeAttrs& input) {
    auto fail = [&](const std::string& msg) { return ImageResult{{}, where + ": " + msg}; };
    if (std::string why = inputProblem(input); !why.empty()) return fail(why);
    const int64_t C = input.i("channels"), H = input.i("height"), W = input.i("width");
    if (bytes.size() > kMaxImageFileBytes) return fail("file too large for an image");
    // stb_image reads more formats (GIF, PSD, TGA, HDR, PNM); Netwright takes the three it documents.
    const ImageFormat format = imageFormat(bytes);
    const std::string name = format.name ? format.name : "";
    if (name != "PNG" && name != "JPEG" && name != "BMP")
        return fail(std::string("not a PNG, JPEG or BMP image") +
                    (format.name ? std::string(" (it is ") + format.name + "; convert it to PNG)" : ""));
    // 32 megapixels (a 6,000 × 5,000 photo) keeps the float buffers under half a gigabyte each.
    const int64_t kMaxPixels = int64_t{1} << 25;
    auto tooLarge = [&](int64_t w, int64_t h) {
        return fail(std::to_string(w) + "×" + std::to_string(h) + " pixels is too large (at most " +
                    formatInt(kMaxPixels) + " pixels)");
    };
    if (saturatingMul(format.width, format.height) > kMaxPixels) return tooLarge(format.width, format.height);
    int w = 0, h = 0, fileChannels = 0;
    if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h,
                               &fileChannels))
        return fail("not a readable " + std::string(format.name) + " image (" + stbi_failure_reason() + ")");
    if (int64_t{w} * h > kMaxPixels) return tooLarge(w, h);
    if (name == "PNG")
        if (std::string why = checkPngData(bytes); !why.empty()) return fail("not a readable PNG image: " + why);
    // Decoded as RGB; grayscale is then PIL's luma (ITU-R 601-2), so results match torchvision's Grayscale.
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h,
                              &fileChannels, 3),
        stbi_image_free);
    if (!pixels)
        return fail("cannot decode the " + name + " image: it is truncated or corrupt (" + stbi_failure_reason() + ")");

    // Scale: the shorter side to `resize` keeping the aspect ratio, or straight to H×W.
    const int64_t resize = input.i("resize");
    int64_t rw = W, rh = H;
    if (resize > 0) {
        if (w <= h) rw = resize, rh = static_cast<int64_t>(static_cast<double>(resize) * h / w);
        else rh = resize, rw = static_cast<int64_t>(static_cast<double>(resize) * w / h);
        if (rw * rh > (int64_t{1} << 26))  // a very thin image scaled up by its shorter side
            return fail("resize = " + std::to_string(resize) + " would scale this " + std::to_string(w) + "×" +
                        std::to_string(h) + " image to " + std::to_string(rw) + "×" + std::to_string(rh));
        if (rw < W || rh < H)
            return fail("resize = " + std::to_string(resize) + " gives " + std::to_string(rw) + "×" +
                        std::to_string(rh) + ", smaller than the " + std::to_string(W) + "×" + std::to_string(H) +
                        " crop");
    }
    const auto n = static_cast<size_t>(int64_t{w} * h * C);
    std::vector<float> source(n);
    const stbi_uc* rgb = pixels.get();
    for (size_t i = 0; i < n; ++i)
        source[i] = C == 3
                        ? rgb[i]
                        : static_cast<float>(
                              (rgb[3 * i] * 19595u + rgb[3 * i + 1] * 38470u + rgb[3 * i + 2] * 7471u + 0x8000u) >> 16);
    std::vector<float> scaled = rw == w && rh == h ? source : resample(source, w, h, C, rw, rh);
    // Ties to even, as Python's round() in torchvision's CenterCrop.
    const auto top = static_cast<int64_t>(std::nearbyint((rh - H) / 2.0)),
               left = static_cast<int64_t>(std::nearbyint((rw - W) / 2.0));

    Normalization norm = normalization(input.s("normalize"));
    ImageResult r{Tensor({1, C, H, W}), {}};
    for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t x = 0; x < W; ++x) {
                float v = std::clamp(scaled[static_cast<size_t>(((top + y) * rw + left + x) * C + c)], 0.0f, 255.0f);
                r.tensor.data[static_cast<size_t>((c * H + y) * W + x)] = (v / 255.0f - norm.mean[c]) / norm.std[c];
            }
    return r;
}

ImageResult loadImage(const std::string& path, const NodeAttrs& input) {
    std::string bytes;
    if (std::string error = readFile(path, bytes, kMaxImageFileBytes); !error.empty()) return {{}, path + ": " + error};
    return decodeImage(bytes, path, input);
}

std::vector<std::string> loadLabels(const std::string& resourceDir, const std::string& name) {
    std::vector<std::string> labels;
    if (name.empty() || name == "none") return labels;
    std::ifstream in(resourceDir + "/labels/" + name + ".txt");
    for (std::string line; std::getline(in, line);) labels.push_back(line);
    return labels;
}

}  // namespace nw
