#include "netw_format.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace nw {

using Json = nlohmann::ordered_json;

namespace {

constexpr size_t kMaxFileBytes = size_t{256} << 20;
constexpr int kMaxNesting = 64;

// Rejects nesting deeper than any real file needs before the parser sees it.
std::optional<size_t> tooDeepAt(std::string_view text) {
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') inString = true;
        else if (c == '{' || c == '[') {
            if (++depth > kMaxNesting) return i;
        } else if (c == '}' || c == ']') --depth;
    }
    return std::nullopt;
}

// "line 3, column 5" of byte `at` of `text`.
std::string lineColumn(std::string_view text, size_t at) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at && i < text.size(); ++i) {
        if (text[i] == '\n') ++line, column = 1;
        else ++column;
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Reads the JSON tree into a Document, collecting every problem with its JSON place.
class Reader {
public:
    std::vector<Diagnostic> errors;

    void fail(const std::string& where, const std::string& msg) { errors.push_back({Severity::Error, where, "", msg}); }

    const Json* member(const Json& obj, const char* key, const std::string& where, Json::value_t type, bool required) {
        auto it = obj.find(key);
        if (it == obj.end()) {
            if (required) fail(where, std::string("missing \"") + key + "\"");
            return nullptr;
        }
        bool ok = it->type() == type || (type == Json::value_t::number_integer && it->is_number_unsigned()) ||
                  (type == Json::value_t::number_float && it->is_number());
        if (!ok) {
            fail(where + "/" + key, std::string("expected ") + typeName(type) + ", got " + it->type_name());
            return nullptr;
        }
        return &*it;
    }
    static const char* typeName(Json::value_t t) {
        switch (t) {
            case Json::value_t::object: return "an object";
            case Json::value_t::array: return "an array";
            case Json::value_t::string: return "a string";
            case Json::value_t::number_integer: return "an integer";
            case Json::value_t::number_float: return "a number";
            case Json::value_t::boolean: return "true or false";
            default: return "a value";
        }
    }
    std::string str(const Json& obj, const char* key, const std::string& where, bool required = false) {
        const Json* v = member(obj, key, where, Json::value_t::string, required);
        return v ? v->get<std::string>() : std::string();
    }
    std::optional<int64_t> integer(const Json& v, const std::string& where) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            fail(where, "integer " + v.dump() + " is too large");
            return std::nullopt;
        }
        if (v.is_number_integer()) return v.get<int64_t>();
        fail(where, std::string("expected an integer, got ") + v.type_name());
        return std::nullopt;
    }

    std::optional<AttrValue> value(const Json& v, const std::string& where) {
        if (v.is_boolean()) return v.get<bool>();
        if (v.is_number_integer()) return integer(v, where);
        if (v.is_number_float()) return v.get<double>();
        if (v.is_string()) return v.get<std::string>();
        if (v.is_array()) {
            std::vector<int64_t> xs;
            for (size_t i = 0; i < v.size(); ++i) {
                auto x = integer(v[i], where + "/" + std::to_string(i));
                if (!x) return std::nullopt;
                xs.push_back(*x);
            }
            return xs;
        }
        fail(where, std::string("an attribute value must be a number, string, boolean or list of integers, got ") +
                        v.type_name());
        return std::nullopt;
    }

    RawAttrs attrs(const Json& obj, const char* key, const std::string& where) {
        RawAttrs out;
        const Json* a = member(obj, key, where, Json::value_t::object, false);
        if (!a) return out;
        for (auto it = a->begin(); it != a->end(); ++it)
            if (auto v = value(it.value(), where + "/" + key + "/" + it.key())) out[it.key()] = *v;
        return out;
    }

    Graph graph(const Json& obj, const std::string& where) {
        Graph g;
        if (const Json* nodes = member(obj, "nodes", where, Json::value_t::array, true)) {
            for (size_t i = 0; i < nodes->size(); ++i) {
                const Json& n = (*nodes)[i];
                std::string at = where + "/nodes/" + std::to_string(i);
                if (!n.is_object()) {
                    fail(at, "a node must be an object");
                    continue;
                }
                Node node;
                node.id = str(n, "id", at, true);
                if (!node.id.empty()) at += " (" + node.id + ")";
                node.kind = str(n, "kind", at, true);
                node.attrs = attrs(n, "attrs", at);
                node.when = str(n, "when", at);
                if (const Json* r = member(n, "repeat", at, Json::value_t::number_integer, false))
                    if (auto v = integer(*r, at + "/repeat")) node.repeat = *v;
                node.repeatAttrs = attrs(n, "repeat_attrs", at);
                if (const Json* p = member(n, "pos", at, Json::value_t::array, false)) {
                    // Within ±10⁹: a canvas further out than that is no place to draw (or lay out) a node.
                    auto coordinate = [](const Json& v) { return v.is_number() && std::abs(v.get<double>()) <= 1e9; };
                    if (p->size() == 2 && coordinate((*p)[0]) && coordinate((*p)[1]))
                        node.pos = Point{(*p)[0].get<double>(), (*p)[1].get<double>()};
                    else fail(at + "/pos", "pos must be [x, y], numbers within ±1,000,000,000");
                }
                g.nodes.push_back(std::move(node));
            }
        }
        if (const Json* edges = member(obj, "edges", where, Json::value_t::array, false)) {
            for (size_t i = 0; i < edges->size(); ++i) {
                const Json& e = (*edges)[i];
                std::string at = where + "/edges/" + std::to_string(i);
                if (!e.is_object()) {
                    fail(at, "an edge must be an object {\"from\": …, \"to\": …}");
                    continue;
                }
                g.edges.push_back(
                    {str(e, "from", at, true), str(e, "from_port", at), str(e, "to", at, true), str(e, "to_port", at)});
            }
        }
        return g;
    }

    ModuleDef module(const Json& m, const std::string& at) {
        ModuleDef def;
        def.name = str(m, "name", at, true);
        def.doc = str(m, "doc", at);
        std::string where = def.name.empty() ? at : at + " (" + def.name + ")";
        if (const Json* params = member(m, "params", where, Json::value_t::object, false))
            for (auto it = params->begin(); it != params->end(); ++it)
                if (auto v = value(it.value(), where + "/params/" + it.key())) def.params.push_back({it.key(), *v});
        if (const Json* ins = member(m, "inputs", where, Json::value_t::array, true))
            for (size_t i = 0; i < ins->size(); ++i) {
                if ((*ins)[i].is_string()) def.inputs.push_back((*ins)[i].get<std::string>());
                else fail(where + "/inputs/" + std::to_string(i), "an input name must be a string");
            }
        if (const Json* outs = member(m, "outputs", where, Json::value_t::array, true))
            for (size_t i = 0; i < outs->size(); ++i) {
                std::string oat = where + "/outputs/" + std::to_string(i);
                if (!(*outs)[i].is_object()) {
                    fail(oat, "an output must be {\"name\": …, \"node\": …}");
                    continue;
                }
                def.outputs.push_back({str((*outs)[i], "name", oat, true), str((*outs)[i], "node", oat, true),
                                       str((*outs)[i], "port", oat)});
            }
        def.body = graph(m, where);
        return def;
    }
};

}  // namespace

LoadResult parseNetw(std::string_view text) {
    LoadResult result;
    auto fail = [&](const std::string& where, const std::string& msg) {
        result.errors.push_back({Severity::Error, where, "", msg});
        return result;
    };
    if (text.size() > kMaxFileBytes) return fail("", "file is larger than 256 MiB");
    if (auto at = tooDeepAt(text))
        return fail("byte " + std::to_string(*at), "JSON nests deeper than " + std::to_string(kMaxNesting) + " levels");
    Json root;
    try {
        root = Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        std::string what = e.what();
        // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        auto p = what.find("parse error");
        return fail("byte " + std::to_string(e.byte),
                    "not valid JSON: " + (p == std::string::npos ? what : what.substr(p)));
    } catch (const Json::exception& e) {
        // A number beyond a double (1e400) is out_of_range.406: "number overflow parsing '1e400'".
        std::string what = e.what();
        auto p = what.find("] ");
        std::string at;
        if (auto q = what.find('\''); q != std::string::npos)
            if (auto b = text.find(what.substr(q + 1, what.find('\'', q + 1) - q - 1)); b != std::string_view::npos)
                at = lineColumn(text, b);
        return fail(at, "not valid JSON: " + (p == std::string::npos ? what : what.substr(p + 2)));
    }
    if (!root.is_object()) return fail("/", "a .netw file is a JSON object");
    auto format = root.find("format");
    if (format == root.end() || !format->is_string() || *format != "netwright")
        return fail("/format", "not a Netwright file (expected \"format\": \"netwright\")");
    auto version = root.find("version");
    if (version == root.end() || !version->is_number_integer()) return fail("/version", "missing integer \"version\"");
    if (version->get<int64_t>() > kNetwVersion)
        return fail("/version", "written by a newer Netwright (format version " + version->dump() +
                                    "); this build reads version " + std::to_string(kNetwVersion) + " and older");
    if (version->get<int64_t>() < 1) return fail("/version", "version must be 1 or more");

    Reader r;
    Document doc;
    doc.name = r.str(root, "name", "");
    doc.description = r.str(root, "description", "");
    doc.weights = r.str(root, "weights", "");
    if (const Json* mods = r.member(root, "modules", "", Json::value_t::array, false))
        for (size_t i = 0; i < mods->size(); ++i) {
            std::string at = "/modules/" + std::to_string(i);
            if (!(*mods)[i].is_object()) r.fail(at, "a module must be an object");
            else {
                ModuleDef m = r.module((*mods)[i], at);
                if (doc.findModule(m.name)) r.fail(at, "module '" + m.name + "' is defined twice");
                doc.modules.push_back(std::move(m));
            }
        }
    doc.graph = r.graph(root, "");
    result.errors = std::move(r.errors);
    if (result.errors.empty()) result.document = std::move(doc);
    return result;
}

LoadResult loadNetw(const std::string& path) {
    std::string text;
    if (std::string error = readFile(path, text, kMaxFileBytes); !error.empty()) {
        LoadResult r;
        r.errors.push_back({Severity::Error, path, "", error});
        return r;
    }
    LoadResult r = parseNetw(text);
    for (auto& e : r.errors) e.node = path + (e.node.empty() ? "" : ":" + e.node);
    return r;
}

static Json valueJson(const AttrValue& v) {
    return std::visit([](const auto& x) { return Json(x); }, v);
}

static Json attrsJson(const RawAttrs& attrs) {
    Json j = Json::object();
    for (const auto& [k, v] : attrs) j[k] = valueJson(v);
    return j;
}

static void writeGraph(Json& j, const Graph& g) {
    Json nodes = Json::array();
    for (const Node& n : g.nodes) {
        Json o;
        o["id"] = n.id;
        o["kind"] = n.kind;
        if (!n.attrs.empty()) o["attrs"] = attrsJson(n.attrs);
        if (!n.when.empty()) o["when"] = n.when;
        if (n.repeat) o["repeat"] = n.repeat;
        if (!n.repeatAttrs.empty()) o["repeat_attrs"] = attrsJson(n.repeatAttrs);
        if (n.pos) o["pos"] = {n.pos->x, n.pos->y};
        nodes.push_back(std::move(o));
    }
    j["nodes"] = std::move(nodes);
    Json edges = Json::array();
    for (const Edge& e : g.edges) {
        Json o;
        o["from"] = e.from;
        if (!e.fromPort.empty()) o["from_port"] = e.fromPort;
        o["to"] = e.to;
        if (!e.toPort.empty()) o["to_port"] = e.toPort;
        edges.push_back(std::move(o));
    }
    j["edges"] = std::move(edges);
}

std::string serializeNetw(const Document& doc) {
    Json j;
    j["format"] = "netwright";
    j["version"] = kNetwVersion;
    j["name"] = doc.name;
    if (!doc.description.empty()) j["description"] = doc.description;
    if (!doc.weights.empty()) j["weights"] = doc.weights;
    if (!doc.modules.empty()) {
        Json mods = Json::array();
        for (const ModuleDef& m : doc.modules) {
            Json o;
            o["name"] = m.name;
            if (!m.doc.empty()) o["doc"] = m.doc;
            Json params = Json::object();
            for (const auto& [k, v] : m.params) params[k] = valueJson(v);
            o["params"] = std::move(params);
            o["inputs"] = m.inputs;
            Json outs = Json::array();
            for (const auto& out : m.outputs) {
                Json oo{{"name", out.name}, {"node", out.node}};
                if (!out.port.empty()) oo["port"] = out.port;
                outs.push_back(std::move(oo));
            }
            o["outputs"] = std::move(outs);
            writeGraph(o, m.body);
            mods.push_back(std::move(o));
        }
        j["modules"] = std::move(mods);
    }
    writeGraph(j, doc.graph);
    return j.dump(1) + "\n";
}

std::string saveNetwAtomic(const Document& doc, const std::string& path) {
    return writeFileAtomic(path, serializeNetw(doc));
}

}  // namespace nw
