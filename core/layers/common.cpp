#include "common.h"

#include <algorithm>
#include <stdexcept>

namespace nw::layers {

AttrSpec intAttr(std::string name, int64_t def, int64_t min, int64_t max, std::string doc) {
    AttrSpec s{std::move(name), AttrType::Int, def};
    s.min = min, s.max = max, s.doc = std::move(doc);
    return s;
}
AttrSpec floatAttr(std::string name, double def, double min, double max, std::string doc) {
    AttrSpec s{std::move(name), AttrType::Float, def};
    s.fmin = min, s.fmax = max, s.doc = std::move(doc);
    return s;
}
AttrSpec boolAttr(std::string name, bool def, std::string doc) {
    AttrSpec s{std::move(name), AttrType::Bool, def};
    s.doc = std::move(doc);
    return s;
}
AttrSpec choiceAttr(std::string name, std::string def, std::vector<std::string> choices, std::string doc) {
    AttrSpec s{std::move(name), AttrType::Choice, std::move(def)};
    s.choices = std::move(choices), s.doc = std::move(doc);
    return s;
}
AttrSpec int2Attr(std::string name, int64_t def, int64_t min, int64_t max, std::string doc) {
    AttrSpec s{std::move(name), AttrType::Int2, std::vector<int64_t>{def, def}};
    s.min = min, s.max = max, s.doc = std::move(doc);
    return s;
}
AttrSpec paddingAttr(std::string doc) {
    AttrSpec s{"padding", AttrType::Padding, std::vector<int64_t>{0, 0, 0, 0}};
    s.min = 0, s.max = kMaxSpatial, s.doc = std::move(doc);
    s.choices = {"same", "valid"};
    return s;
}

static Pad4 samePadding(const Window& w, int64_t in_h, int64_t in_w) {
    auto axis = [](int64_t in, int64_t k, int64_t s, int64_t d) {
        int64_t out = (in + s - 1) / s;
        int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
        return std::pair{total / 2, total - total / 2};
    };
    auto [t, b] = axis(in_h, w.kh, w.sh, w.dh);
    auto [l, r] = axis(in_w, w.kw, w.sw, w.dw);
    return {t, l, b, r};
}

Pad4 resolvePadding(const NodeAttrs& a, const Window& w, int64_t in_h, int64_t in_w) {
    const AttrValue& v = a.get("padding");
    if (auto* mode = std::get_if<std::string>(&v)) {
        if (*mode == "same") return samePadding(w, in_h, in_w);
        return {};
    }
    const auto& p = std::get<std::vector<int64_t>>(v);
    return {p[0], p[1], p[2], p[3]};
}

std::optional<std::pair<int64_t, int64_t>> windowOutput(const ShapeContext& ctx, const Window& w, const Pad4& p,
                                                        bool ceil_mode) {
    const Shape& in = ctx.in();
    auto axis = [&](int64_t size, int64_t before, int64_t after, int64_t k, int64_t s, int64_t d,
                    const char* name) -> std::optional<int64_t> {
        int64_t padded = size + before + after;
        int64_t span = (k - 1) * d + 1;
        if (span > padded) {
            ctx.error("in", "kernel " + std::string(name) + " " + std::to_string(span) + (d > 1 ? " (dilated)" : "") +
                                " is larger than the padded input " + name + " " + std::to_string(padded) + " (" +
                                std::to_string(size) + " + padding " + std::to_string(before + after) + ")");
            return std::nullopt;
        }
        int64_t out = (padded - span + (ceil_mode ? s - 1 : 0)) / s + 1;
        // PyTorch: the last window must start inside the input or the left padding.
        if (ceil_mode && (out - 1) * s >= size + before) --out;
        return out;
    };
    auto oh = axis(in[2], p.top, p.bottom, w.kh, w.sh, w.dh, "height");
    auto ow = axis(in[3], p.left, p.right, w.kw, w.sw, w.dw, "width");
    if (!oh || !ow) return std::nullopt;
    return std::pair{*oh, *ow};
}

std::optional<int64_t> checkInChannels(const ShapeContext& ctx, const char* attr) {
    int64_t declared = ctx.attrs.i(attr);
    int64_t actual = ctx.in()[1];
    if (declared != 0 && declared != actual) {
        ctx.error("in",
                  std::string(attr) + " is " + std::to_string(declared) + " but the input has " +
                      std::to_string(actual) + " channels (" + formatShape(ctx.in()) + "): set " + attr + " = " +
                      std::to_string(actual),
                  AttrFix{attr, actual});
        return std::nullopt;
    }
    return actual;
}

bool checkGroups(const ShapeContext& ctx, int64_t inChannels) {
    const int64_t g = ctx.attrs.i("groups"), out = ctx.attrs.i("out_channels");
    if (inChannels % g == 0 && out % g == 0) return true;
    ctx.error("in", "groups = " + std::to_string(g) + " does not divide " +
                        (inChannels % g ? "in_channels = " + std::to_string(inChannels)
                                        : "out_channels = " + std::to_string(out)));
    return false;
}

}  // namespace nw::layers
