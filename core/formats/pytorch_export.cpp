// Document → PyTorch project. Each graph (a module body, or the document's own) becomes one class:
// its layers are constructed in __init__ from their attributes (formulas become Python over the
// constructor's parameters), forward runs them in graph order. Channel counts a layer needs that its
// attributes leave to the input ("in_channels": 0) are carried symbolically through the graph, so
// one class serves every instance; where they cannot be (a Linear after a Flatten inside a module)
// the analysed value is used when every instance agrees.
#include "pytorch_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "expr.h"
#include "files.h"
#include "pytorch_templates.h"
#include "registry.h"

namespace nw {
namespace {

// ---- formulas ----------------------------------------------------------------------------------

// A recursive-descent translation of Netwright's formula grammar (expr.h) into Python text.
class PythonTranslator {
public:
    explicit PythonTranslator(const std::string& s) : s_(s) {}
    std::optional<std::string> run() {
        std::string out = ternary();
        skip();
        if (!ok_ || pos_ != s_.size()) return std::nullopt;
        return out;
    }

private:
    const std::string& s_;
    size_t pos_ = 0;
    bool ok_ = true;
    int depth_ = 0;

    void skip() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool eat(const char* tok) {
        skip();
        const size_t n = std::char_traits<char>::length(tok);
        if (s_.compare(pos_, n, tok) != 0) return false;
        // "!" is not the start of "!=", "<" not of "<=".
        if ((std::string(tok) == "!" || std::string(tok) == "<" || std::string(tok) == ">") && pos_ + 1 < s_.size() &&
            s_[pos_ + 1] == '=')
            return false;
        pos_ += n;
        return true;
    }
    std::string ternary() {
        if (++depth_ > 64) return ok_ = false, "";
        std::string c = logicalOr();
        if (eat("?")) {
            std::string a = ternary();
            if (!eat(":")) ok_ = false;
            std::string b = ternary();
            c = "(" + a + " if " + c + " else " + b + ")";
        }
        --depth_;
        return c;
    }
    std::string logicalOr() {
        std::string a = logicalAnd();
        while (ok_ && eat("||")) a += " or " + logicalAnd();
        return a;
    }
    std::string logicalAnd() {
        std::string a = comparison();
        while (ok_ && eat("&&")) a += " and " + comparison();
        return a;
    }
    std::string comparison() {
        std::string a = additive();
        for (const char* op : {"==", "!=", "<=", ">=", "<", ">"})
            if (ok_ && eat(op)) return a + " " + op + " " + additive();
        return a;
    }
    std::string additive() {
        std::string a = multiplicative();
        for (;;) {
            if (ok_ && eat("+")) a += " + " + multiplicative();
            else if (ok_ && eat("-")) a += " - " + multiplicative();
            else return a;
        }
    }
    std::string multiplicative() {
        std::string a = unary();
        for (;;) {
            if (ok_ && eat("*")) a += " * " + unary();
            else if (ok_ && eat("/")) a += " // " + unary();  // Netwright divides integers exactly as //
            else if (ok_ && eat("%")) a += " % " + unary();
            else return a;
        }
    }
    std::string unary() {
        if (++depth_ > 64) return ok_ = false, "";
        std::string v;
        if (eat("!")) v = "(not " + unary() + ")";
        else if (eat("-")) v = "-" + unary();
        else v = primary();
        --depth_;
        return v;
    }
    std::string primary() {
        skip();
        if (pos_ >= s_.size()) return ok_ = false, "";
        const char c = s_[pos_];
        if (c == '(') {
            ++pos_;
            std::string v = ternary();
            if (!eat(")")) ok_ = false;
            return "(" + v + ")";
        }
        if (c == '"' || c == '\'') {
            const size_t end = s_.find(c, pos_ + 1);
            if (end == std::string::npos) return ok_ = false, "";
            std::string v = "\"" + s_.substr(pos_ + 1, end - pos_ - 1) + "\"";
            pos_ = end + 1;
            return v;
        }
        const size_t start = pos_;
        if (std::isdigit(static_cast<unsigned char>(c))) {
            while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
            return s_.substr(start, pos_ - start);
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
            std::string name = s_.substr(start, pos_ - start);
            if (name == "true") return "True";
            if (name == "false") return "False";
            return name;
        }
        return ok_ = false, "";
    }
};

bool isIdentifier(const std::string& s) {
    static const std::set<std::string> keywords{
        "False",    "None",   "True",  "and",  "as",     "assert",   "async",   "await", "break", "class",
        "continue", "def",    "del",   "elif", "else",   "except",   "finally", "for",   "from",  "global",
        "if",       "import", "in",    "is",   "lambda", "nonlocal", "not",     "or",    "pass",  "raise",
        "return",   "try",    "while", "with", "yield",  "self",     "torch",   "nn",    "F"};
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) || keywords.count(s)) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "LeNet-5" → "LeNet5", "resnet18" → "Resnet18": a class name.
std::string className(const std::string& name) {
    std::string out;
    bool up = true;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            up = true;
            continue;
        }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Net" + out;
    // Not the name of a helper class model.py defines (a network called "zero pad channels").
    for (const char* helper : {"SeparableConv2d", "ZeroPadChannels", "HardSigmoid"})
        if (out == helper) out += "Net";
    return out;
}

// A value as Netwright formula text (numbers, strings, booleans); empty for lists.
std::string formulaLiteral(const AttrValue& v) {
    if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (auto* d = std::get_if<double>(&v)) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        std::string s = buf;
        // The shortest text that reads back as the same double, with a point so it stays a float.
        for (int p = 1; p <= 17; ++p) {
            std::snprintf(buf, sizeof buf, "%.*g", p, *d);
            if (std::strtod(buf, nullptr) == *d) {
                s = buf;
                break;
            }
        }
        if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
        return s;
    }
    if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    if (auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
    return {};
}

// A literal value as Python: (3, 3) → "3", (1, 7) → "(1, 7)", true → "True".
std::string pythonLiteral(const AttrValue& v) {
    if (auto* l = std::get_if<std::vector<int64_t>>(&v)) {
        if (!l->empty() && std::all_of(l->begin(), l->end(), [&](int64_t x) { return x == l->front(); }))
            return std::to_string(l->front());
        std::string out = "(";
        for (size_t i = 0; i < l->size(); ++i) out += (i ? ", " : "") + std::to_string((*l)[i]);
        return out + ")";
    }
    if (auto* b = std::get_if<bool>(&v)) return *b ? "True" : "False";
    return formulaLiteral(v);  // numbers and double-quoted strings read the same in Python
}

// Replaces the names in `formula` (outside strings) by the formulas `by` gives, parenthesised.
std::string substitute(const std::string& formula, const std::map<std::string, std::string>& by) {
    std::string out;
    for (size_t i = 0; i < formula.size();) {
        const char c = formula[i];
        if (c == '"' || c == '\'') {
            const size_t end = formula.find(c, i + 1);
            const size_t stop = end == std::string::npos ? formula.size() : end + 1;
            out += formula.substr(i, stop - i);
            i = stop;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t j = i;
            while (j < formula.size() && (std::isalnum(static_cast<unsigned char>(formula[j])) || formula[j] == '_'))
                ++j;
            const std::string name = formula.substr(i, j - i);
            auto it = by.find(name);
            out += it == by.end() ? name : "(" + it->second + ")";
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t j = i;
            while (j < formula.size() && (std::isalnum(static_cast<unsigned char>(formula[j])) || formula[j] == '.'))
                ++j;
            out += formula.substr(i, j - i);
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

// The formula's value when it names no parameter ("(64) * 4" → "256"), else the formula.
std::string simplify(std::string formula) {
    if (formula.empty()) return formula;
    ExprResult r = evaluate(formula, {});
    if (r.ok && std::holds_alternative<int64_t>(r.value)) return std::to_string(std::get<int64_t>(r.value));
    // "((planes))" → "planes": parentheses around the whole say nothing.
    while (formula.size() > 2 && formula.front() == '(' && formula.back() == ')') {
        int depth = 0;
        bool wraps = true;
        for (size_t i = 0; i + 1 < formula.size() && wraps; ++i) {
            depth += formula[i] == '(' ? 1 : formula[i] == ')' ? -1 : 0;
            wraps = depth > 0;
        }
        if (!wraps) break;
        formula = formula.substr(1, formula.size() - 2);
    }
    return formula;
}

// ---- the writer ----------------------------------------------------------------------------------

// One value in a graph being written: its Python variable and its channel count as a formula over
// the class's constructor parameters (empty when unknown, as after a Flatten).
struct PyValue {
    std::string var, channels;
    std::string when, channelsWhenOn;  // a conditional node's: its condition, its channels when it runs
};

// What a written module class tells the classes that use it.
struct ClassInfo {
    std::string name;
    std::vector<std::string> channelParams;  // per input: the parameter its channel count goes to
    std::vector<std::string> outChannels;    // per output: a formula over the class's parameters
    std::vector<std::pair<std::string, AttrValue>> params;
};

class PyWriter {
public:
    PyWriter(const Document& doc, const FlatGraph& flat, const Analysis& analysis)
        : doc_(doc), flat_(flat), analysis_(analysis) {
        for (size_t i = 0; i < flat.nodes.size(); ++i) {
            const std::vector<PathStep> path = flat.path(static_cast<int>(i));
            if (!path.empty()) flatOf_[path.back().module + "/" + path.back().node].push_back(i);
        }
    }

    PytorchProject write(const std::string& source) {
        PytorchProject out;
        if (size_t n = analysis_.errorCount()) {
            out.errors.push_back("the network has " + std::to_string(n) + " error(s); fix them before exporting");
            return out;
        }
        std::set<std::string> done, busy;
        std::function<void(const std::string&)> writeModule = [&](const std::string& name) {
            if (done.count(name) || busy.count(name)) return;
            busy.insert(name);
            const ModuleDef* m = doc_.findModule(name);
            for (const Node& n : m->body.nodes)
                if (doc_.findModule(n.kind)) writeModule(n.kind);
            classes_ += writeClass(m, m->body) + "\n\n";
            done.insert(name);
        };
        for (const Node& n : doc_.graph.nodes)
            if (doc_.findModule(n.kind)) writeModule(n.kind);
        const std::string top = writeClass(nullptr, doc_.graph);
        if (!errors_.empty()) {
            out.errors = std::move(errors_);
            return out;
        }
        out.files.emplace_back("model.py", modelFile(source, top));
        out.files.emplace_back("train.py", std::string(kTrainPy));
        out.files.emplace_back("README.md", readme(source));
        return out;
    }

private:
    const Document& doc_;
    const FlatGraph& flat_;
    const Analysis& analysis_;
    std::map<std::string, std::vector<size_t>> flatOf_;  // "module/node" → its flat nodes
    std::map<std::string, ClassInfo> classInfo_;
    std::set<std::string> helpers_;
    std::string classes_, topClass_;
    std::vector<std::string> errors_;

    // ---- one graph ------------------------------------------------------------------------------

    struct Scope {
        const ModuleDef* module = nullptr;  // null: the document's graph
        const Graph* graph = nullptr;
        std::string where() const { return module ? module->name : std::string("the network"); }
    };

    void refuse(const Scope& s, const std::string& node, const std::string& why) {
        errors_.push_back("'" + node + "' in " + s.where() + ": " + why);
    }

    // A raw attribute as Python: a formula translated, a literal written; `def` when not given.
    std::string pyAttr(const RawAttrs& raw, const std::string& name, const AttrValue& def) const {
        auto it = raw.find(name);
        if (it == raw.end()) return pythonLiteral(def);
        if (auto* s = std::get_if<std::string>(&it->second); s && !s->empty() && (*s)[0] == '=')
            return pythonExpression(s->substr(1));
        return pythonLiteral(it->second);
    }
    // The same as a Netwright formula (for channel counts); empty for lists.
    static std::string formulaAttr(const RawAttrs& raw, const std::string& name, const AttrValue& def) {
        auto it = raw.find(name);
        if (it == raw.end()) return formulaLiteral(def);
        if (auto* s = std::get_if<std::string>(&it->second); s && !s->empty() && (*s)[0] == '=')
            return "(" + s->substr(1) + ")";
        return formulaLiteral(it->second);
    }
    static const AttrValue* literal(const RawAttrs& raw, const std::string& name) {
        auto it = raw.find(name);
        if (it == raw.end()) return nullptr;
        if (auto* s = std::get_if<std::string>(&it->second); s && !s->empty() && (*s)[0] == '=') return nullptr;
        return &it->second;
    }
    static bool given(const RawAttrs& raw, const std::string& name) { return raw.count(name) > 0; }

    // The channel count a layer's input has, as Python: the symbolic value, else what the analysis
    // found when every instance of the graph agrees; empty (after refusing) otherwise.
    std::string channelsOf(Scope& s, const Node& n, const PyValue& in, size_t dim = 1) {
        if (!in.channels.empty() && dim == 1) return pythonExpression(simplify(in.channels));
        std::set<int64_t> seen;
        for (size_t i : flatOf_[(s.module ? s.module->name : "") + "/" + n.id]) {
            const FlatNode& f = flat_.nodes[i];
            if (f.inputs.empty() || f.inputs[0].node < 0) continue;
            const Shape& shape = analysis_.nodes[static_cast<size_t>(f.inputs[0].node)].outputs[0];
            if (shape.size() > dim) seen.insert(shape[dim]);
        }
        if (seen.size() == 1) return std::to_string(*seen.begin());
        refuse(s, n.id,
               "its input size differs between the instances of " + s.where() +
                   " and cannot be written as a formula of its parameters");
        return {};
    }

    // Where a layer lives on `self`: "self.conv1", "self.features[3]", getattr(...) otherwise.
    struct Slot {
        std::string container, member;  // container "" : a plain attribute
        bool sequential = false;
    };
    std::map<std::string, Slot> slots_;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> members_;  // container → (member, ctor)
    std::vector<std::string> containerOrder_;
    std::map<std::string, std::string> chains_;  // container whose members run as one chain → its first member

    static std::string attrRef(const std::string& name) {
        return isIdentifier(name) ? "self." + name : "getattr(self, \"" + name + "\")";
    }
    std::string ref(const std::string& id) const {
        const Slot& s = slots_.at(id);
        if (s.container.empty()) return attrRef(id);
        return attrRef(s.container) + (s.sequential ? "[" + s.member + "]" : "[\"" + s.member + "\"]");
    }

    // Input port names of a node and which edge feeds each (the flattener's rule: named ports, then
    // the next free one in edge order).
    std::vector<std::pair<std::string, const Edge*>> inputsOf(const Scope& s, const Node& n, const LayerKind* kind,
                                                              const ModuleDef* sub) const {
        std::vector<std::string> ports;
        if (sub) ports = sub->inputs;
        else if (kind) {
            std::vector<AttrValue> values;
            for (const AttrSpec& spec : kind->attrs) {
                const AttrValue* v = literal(n.attrs, spec.name);
                values.push_back(v ? *v : spec.def);
            }
            ports = kind->inputPorts(values);
        }
        std::vector<std::pair<std::string, const Edge*>> out;
        out.reserve(ports.size());
        for (auto& p : ports) out.emplace_back(p, nullptr);
        size_t next = 0;
        for (const Edge& e : s.graph->edges) {
            if (e.to != n.id) continue;
            if (!e.toPort.empty()) {
                for (auto& [p, edge] : out)
                    if (p == e.toPort) edge = &e;
                continue;
            }
            while (next < out.size() && out[next].second) ++next;
            if (next < out.size()) out[next].second = &e;
        }
        return out;
    }

    std::string writeClass(const ModuleDef* m, const Graph& g) {
        Scope s;
        s.module = m;
        s.graph = &g;
        slots_.clear();
        chains_.clear();
        members_.clear();
        containerOrder_.clear();
        ClassInfo info;
        info.name = m ? className(m->name) : className(doc_.name.empty() ? "Network" : doc_.name);
        if (m) {
            info.params = m->params;
            for (const std::string& in : m->inputs) {
                // A parameter already named so is the input's channel count, as in BasicBlock(in_channels, planes).
                info.channelParams.push_back(m->inputs.size() == 1 ? "in_channels" : in + "_channels");
            }
        }

        // Topological order of the graph's nodes (the analysis found no cycle).
        std::map<std::string, const Node*> byId;
        for (const Node& n : g.nodes) byId[n.id] = &n;
        std::map<std::string, int> indegree;
        std::map<std::string, std::vector<std::string>> next;
        std::map<std::string, int> consumers;
        for (const Node& n : g.nodes) indegree[n.id] = 0;
        for (const Edge& e : g.edges) {
            ++consumers[e.from];
            if (byId.count(e.from) && byId.count(e.to)) {
                ++indegree[e.to];
                next[e.from].push_back(e.to);
            }
        }
        if (m)  // a value the module returns is read there too
            for (const ModuleOutput& o : m->outputs) ++consumers[o.node];
        // Of the nodes ready to run, the one first in the file: the file's order where it is one.
        std::map<std::string, size_t> position;
        for (size_t i = 0; i < g.nodes.size(); ++i) position[g.nodes[i].id] = i;
        std::vector<const Node*> order;
        std::set<size_t> ready;
        for (const Node& n : g.nodes)
            if (indegree[n.id] == 0) ready.insert(position[n.id]);
        while (!ready.empty()) {
            const Node* n = &g.nodes[*ready.begin()];
            ready.erase(ready.begin());
            order.push_back(n);
            for (const std::string& t : next[n->id])
                if (--indegree[t] == 0) ready.insert(position[t]);
        }

        // Slots: dotted ids ("features.3", "downsample.0") live in a container named by their prefix.
        std::map<std::string, std::vector<std::string>> groups;
        for (const Node& n : g.nodes) {
            const size_t dot = n.id.find('.');
            if (dot == std::string::npos) slots_[n.id] = {};
            else groups[n.id.substr(0, dot)].push_back(n.id);
        }
        for (auto& [prefix, ids] : groups) {
            bool digits = true;
            for (const std::string& id : ids) {
                const std::string member = id.substr(prefix.size() + 1);
                digits &= !member.empty() && member.size() < 7 && std::all_of(member.begin(), member.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                });
                if (member.find('.') != std::string::npos)
                    refuse(s, id, "ids nested two dots deep are not written to PyTorch");
            }
            for (const std::string& id : ids) slots_[id] = {prefix, id.substr(prefix.size() + 1), digits};
            // Members 0…n-1 each reading only the one before, and read only by the one after.
            if (!digits) continue;
            std::vector<std::string> members(ids);
            const size_t skip = prefix.size() + 1;
            std::sort(members.begin(), members.end(), [skip](const std::string& a, const std::string& b) {
                return std::stoi(a.substr(skip)) < std::stoi(b.substr(skip));
            });
            bool chain = std::stoi(members.front().substr(prefix.size() + 1)) == 0;
            for (size_t k = 0; k < members.size() && chain; ++k) {
                const Node& n = *byId[members[k]];
                chain = std::stoi(members[k].substr(prefix.size() + 1)) == static_cast<int>(k) && plainCall(n);
                int edgesIn = 0;
                for (const Edge& e : g.edges)
                    if (e.to == n.id) {
                        ++edgesIn;
                        if (k > 0 && e.from != members[k - 1]) chain = false;
                    }
                if (edgesIn != 1 || (k + 1 < members.size() && consumers[n.id] != 1)) chain = false;
            }
            if (chain) chains_[prefix] = members.front().substr(prefix.size() + 1);
        }

        std::map<std::string, PyValue> values;  // "node\x1fport" → value
        auto key = [](const std::string& node, const std::string& port) { return node + "\x1f" + port; };
        std::vector<std::string> init, forward, args;
        std::set<std::string> vars;
        auto freshVar = [&](std::string base) {
            for (char& c : base)
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
            if (!isIdentifier(base)) base = "v_" + base;
            std::string v = base;
            for (int k = 2; vars.count(v); ++k) v = base + "_" + std::to_string(k);
            vars.insert(v);
            return v;
        };
        vars.insert("self");
        if (m) {
            for (size_t k = 0; k < m->inputs.size(); ++k) {
                const std::string var = freshVar(m->inputs.size() == 1 ? "x" : m->inputs[k]);
                args.push_back(var);
                values[key(m->inputs[k], "")] = {var, info.channelParams[k]};
            }
        }
        // The value feeding input `port` of `n`; refuses an unconnected one.
        auto inputValue = [&](const Node& n, const Edge* e, const std::string& port) -> PyValue {
            if (!e) {
                refuse(s, n.id, "input '" + port + "' is not connected");
                return {};
            }
            auto it = values.find(key(e->from, e->fromPort));
            if (it == values.end()) it = values.find(key(e->from, ""));
            if (it == values.end()) {
                refuse(s, n.id, "its input from '" + e->from + "' is not written yet");
                return {};
            }
            // A node under the same condition as its producer runs only when the producer does.
            if (!it->second.when.empty() && it->second.when == n.when)
                return PyValue{it->second.var, it->second.channelsWhenOn, {}, {}};
            return it->second;
        };
        // An output variable for `n`: its single input's when that value is read only here (x = f(x)).
        auto outVar = [&](const Node& n, const std::vector<std::pair<std::string, const Edge*>>& in,
                          const std::vector<PyValue>& inVals) {
            if (in.size() == 1 && in[0].second && consumers[in[0].second->from] == 1 && !inVals.empty() &&
                !inVals[0].var.empty())
                return inVals[0].var;
            // The first chain off an input is "out", as people write it; the others are named after their first layer.
            if (!vars.count("out") && !in.empty()) return freshVar("out");
            const Slot& slot = slots_.at(n.id);
            return freshVar(slot.container.empty() || !chains_.count(slot.container) ? n.id : slot.container);
        };
        std::vector<std::string> results;

        for (const Node* np : order) {
            const Node& n = *np;
            const LayerKind* kind = Registry::instance().find(n.kind);
            const ModuleDef* sub = kind ? nullptr : doc_.findModule(n.kind);
            if (!kind && !sub) {
                refuse(s, n.id, "unknown kind " + n.kind);
                continue;
            }
            const auto in = inputsOf(s, n, kind, sub);
            std::vector<PyValue> inVals;
            inVals.reserve(in.size());
            for (auto& [port, e] : in) inVals.push_back(inputValue(n, e, port));
            if (kind && kind->role == KindRole::Input) {
                const std::string var = freshVar(countInputs(g) == 1 ? "x" : n.id);
                args.push_back(var);
                values[key(n.id, "")] = values[key(n.id, "out")] = {var, formulaAttr(n.attrs, "channels", int64_t{3})};
                continue;
            }
            if (kind && kind->role == KindRole::Output) {
                if (!inVals.empty()) results.push_back(inVals[0].var);
                continue;
            }
            const std::string cond = n.when.empty() ? "" : pythonExpression(n.when);
            if (!n.when.empty() && cond.empty()) refuse(s, n.id, "its condition '" + n.when + "' does not translate");
            if (sub) {
                writeInstance(s, n, *sub, inVals, cond, init, forward, values, freshVar, outVar, in);
                continue;
            }
            if (n.repeat > 0) {
                refuse(s, n.id, "a repeated layer (not module) is not written to PyTorch; group it as a module");
                continue;
            }
            writeLayer(s, n, *kind, inVals, cond, init, forward, values, outVar(n, in, inVals));
        }
        // Containers: the members in order, gaps filled with nn.Identity (no weights, names kept).
        for (const std::string& c : containerOrder_) {
            auto& members = members_[c];
            const bool sequential =
                slots_.at(members.front().first.empty() ? c : c + "." + members.front().first).sequential;
            std::string text;
            if (sequential) {
                std::map<int, std::string> byIndex;
                for (auto& [member, ctor] : members) byIndex[std::stoi(member)] = ctor;
                text = "        self." + c + " = nn.Sequential(\n";
                for (int k = 0; k <= byIndex.rbegin()->first; ++k)
                    text += "            " + (byIndex.count(k) ? byIndex[k] : std::string("nn.Identity()")) + ",\n";
                text += "        )";
            } else {
                text = "        self." + c + " = nn.ModuleDict({\n";
                for (auto& [member, ctor] : members) text += "            \"" + member + "\": " + ctor + ",\n";
                text += "        })";
            }
            init.push_back(text);
        }

        // The class text.
        std::ostringstream py;
        py << "class " << info.name << "(nn.Module):\n";
        const std::string doc = m ? m->doc : doc_.description;
        if (!doc.empty()) py << "    \"\"\"" << escapeDocstring(doc) << "\"\"\"\n\n";
        py << "    def __init__(self";
        if (m) {
            std::set<std::string> declared;
            for (size_t k = 0; k < m->inputs.size(); ++k) {
                const std::string& p = info.channelParams[k];
                bool own = false;
                for (auto& [name, v] : m->params) own |= name == p;
                if (!own && !declared.count(p)) py << ", " << p;
                declared.insert(p);
            }
            for (auto& [name, v] : m->params) py << ", " << name << "=" << pythonLiteral(v);
        }
        py << "):\n        super().__init__()\n";
        for (const std::string& line : init) py << line << "\n";
        py << "\n    def forward(self";
        for (const std::string& a : args) py << ", " << a;
        py << "):\n";
        for (const std::string& line : forward) py << "        " << line << "\n";
        if (m) {
            results.clear();
            for (const ModuleOutput& o : m->outputs) {
                auto it = values.find(key(o.node, o.port));
                if (it == values.end()) it = values.find(key(o.node, ""));
                if (it == values.end()) {
                    refuse(s, o.node, "module output '" + o.name + "' has no value");
                    continue;
                }
                results.push_back(it->second.var);
                info.outChannels.push_back(it->second.channels);
            }
        }
        if (results.empty()) refuse(s, info.name, "has no output");
        py << "        return ";
        for (size_t k = 0; k < results.size(); ++k) py << (k ? ", " : "") << results[k];
        py << "\n";
        if (m) classInfo_[m->name] = info;
        else topClass_ = info.name;
        return py.str();
    }

    // Whether a layer's forward line is just self.layer(x), so it can run inside an nn.Sequential.
    static bool plainCall(const Node& n) {
        const LayerKind* k = Registry::instance().find(n.kind);
        if (!k || k->role != KindRole::Layer || k->inputs.size() != 1 || k->variadic || n.repeat > 0) return false;
        if (k->name == "GlobalAvgPool" || k->name == "GlobalMaxPool") return false;
        auto p = n.attrs.find("padding");
        return !(p != n.attrs.end() && p->second == AttrValue{std::string("same")});
    }

    static size_t countInputs(const Graph& g) {
        size_t n = 0;
        for (const Node& node : g.nodes)
            if (const LayerKind* k = Registry::instance().find(node.kind); k && k->role == KindRole::Input) ++n;
        return n;
    }
    static std::string escapeDocstring(const std::string& s) {
        std::string out;
        for (char c : s) {
            if (c == '\\' || (c == '"' && !out.empty() && out.back() == '"')) out += '\\';
            out += c;
        }
        return out;
    }

    // Stores a layer's constructor in its slot (a container member, or `self.id = …`).
    void place(const std::string& id, const std::string& ctor, std::vector<std::string>& init) {
        const Slot& slot = slots_.at(id);
        if (slot.container.empty()) {
            init.push_back(isIdentifier(id) ? "        self." + id + " = " + ctor
                                            : "        self.add_module(\"" + id + "\", " + ctor + ")");
            return;
        }
        if (!members_.count(slot.container)) containerOrder_.push_back(slot.container);
        members_[slot.container].emplace_back(slot.member, ctor);
    }

    // A module instance (or `repeat` copies of one, as an nn.Sequential).
    template <typename FreshVar, typename OutVar>
    void writeInstance(Scope& s, const Node& n, const ModuleDef& sub, const std::vector<PyValue>& inVals,
                       const std::string& cond, std::vector<std::string>& init, std::vector<std::string>& forward,
                       std::map<std::string, PyValue>& values, FreshVar& freshVar, OutVar& outVar,
                       const std::vector<std::pair<std::string, const Edge*>>& in) {
        const ClassInfo& c = classInfo_.at(sub.name);
        auto call = [&](const RawAttrs& raw, const std::vector<std::string>& channels) {
            std::string text = c.name + "(";
            bool first = true;
            std::set<std::string> passed;
            for (size_t k = 0; k < c.channelParams.size(); ++k) {
                if (passed.count(c.channelParams[k])) continue;
                text += (first ? "" : ", ") + c.channelParams[k] + "=" + pythonExpression(simplify(channels[k]));
                passed.insert(c.channelParams[k]);
                first = false;
            }
            for (auto& [p, def] : c.params)
                if (given(raw, p) && !passed.count(p)) {
                    text += (first ? "" : ", ") + p + "=" + pyAttr(raw, p, def);
                    first = false;
                }
            return text + ")";
        };
        // The channel formulas of the instance's outputs, over this graph's parameters.
        auto outChannels = [&](const RawAttrs& raw, const std::vector<std::string>& channels) {
            std::map<std::string, std::string> by;
            for (auto& [p, def] : c.params) by[p] = formulaAttr(raw, p, def);
            for (size_t k = 0; k < c.channelParams.size(); ++k) by[c.channelParams[k]] = channels[k];
            std::vector<std::string> out;
            for (const std::string& f : c.outChannels) {
                bool known = !f.empty();
                for (auto& [p, v] : by) known &= !(v.empty() && f.find(p) != std::string::npos);
                out.push_back(known ? simplify(substitute(f, by)) : "");
            }
            return out;
        };
        std::vector<std::string> channels;
        for (size_t k = 0; k < inVals.size(); ++k) {
            std::string ch = inVals[k].channels;
            if (ch.empty()) {
                const std::string concrete = channelsOf(s, n, inVals[k]);
                ch = concrete;
            }
            channels.push_back(ch);
        }
        std::string ctor, whenOn;
        std::vector<std::string> outs = outChannels(n.attrs, channels);
        if (n.repeat > 0) {
            if (sub.inputs.size() != 1 || sub.outputs.size() != 1)
                return refuse(s, n.id, "repeats a module with several inputs or outputs");
            RawAttrs later = n.attrs;
            for (auto& [k, v] : n.repeatAttrs) later[k] = v;
            std::vector<std::string> copies{call(n.attrs, channels)};
            std::vector<std::string> ch = outs;
            for (int64_t k = 1; k < n.repeat; ++k) {
                copies.push_back(call(later, ch));
                ch = outChannels(later, ch);
            }
            outs = ch;
            ctor = "nn.Sequential(";
            if (n.repeat > 3 && std::all_of(copies.begin() + 2, copies.end(), [&](auto& t) { return t == copies[1]; }))
                ctor += "\n            " + copies[0] + ",\n            *[" + copies[1] + " for _ in range(" +
                        std::to_string(n.repeat - 1) + ")],\n        )";
            else {
                for (auto& t : copies) ctor += "\n            " + t + ",";
                ctor += "\n        )";
            }
        } else ctor = call(n.attrs, channels);
        if (!cond.empty()) {
            if (sub.inputs.size() != 1 || sub.outputs.size() != 1)
                return refuse(s, n.id, "a conditional module with several inputs or outputs is not written to PyTorch");
            ctor = "(" + ctor + " if " + cond + " else nn.Identity())";
            // When it is bypassed its input passes through; its channels are the input's then.
            whenOn = outs.empty() ? "" : outs[0];
            if (!outs.empty() && !outs[0].empty() && !channels.empty())
                outs[0] = "((" + n.when + ") ? " + outs[0] + " : " + channels[0] + ")";
        }
        place(n.id, ctor, init);
        std::string argsText;
        for (size_t k = 0; k < inVals.size(); ++k) argsText += (k ? ", " : "") + inVals[k].var;
        if (sub.outputs.size() == 1) {
            const std::string var = outVar(n, in, inVals);
            forward.push_back(var + " = " + ref(n.id) + "(" + argsText + ")");
            values[n.id + "\x1f"] = values[n.id + "\x1f" + sub.outputs[0].name] =
                PyValue{var, outs.empty() ? "" : outs[0], cond.empty() ? "" : n.when, whenOn};
        } else {
            std::string lhs;
            for (size_t k = 0; k < sub.outputs.size(); ++k) {
                const std::string var = freshVar(n.id + "_" + sub.outputs[k].name);
                lhs += (k ? ", " : "") + var;
                values[n.id + "\x1f" + sub.outputs[k].name] = {var, k < outs.size() ? outs[k] : ""};
                if (k == 0) values[n.id + "\x1f"] = values[n.id + "\x1f" + sub.outputs[k].name];
            }
            forward.push_back(lhs + " = " + ref(n.id) + "(" + argsText + ")");
        }
    }

    // One layer: its constructor, its forward line and its output's channels.
    void writeLayer(Scope& s, const Node& n, const LayerKind& kind, const std::vector<PyValue>& inVals,
                    const std::string& cond, std::vector<std::string>& init, std::vector<std::string>& forward,
                    std::map<std::string, PyValue>& values, const std::string& var) {
        const RawAttrs& a = n.attrs;
        auto def = [&](const char* name) -> AttrValue {
            const AttrSpec* spec = kind.attr(name);
            return spec ? spec->def : AttrValue{int64_t{0}};
        };
        auto attr = [&](const char* name) { return pyAttr(a, name, def(name)); };
        auto isDefault = [&](const char* name) {
            const AttrValue* v = literal(a, name);
            return !given(a, name) || (v && *v == def(name));
        };
        // `kw=value` unless the attribute is PyTorch's default there.
        auto kwarg = [&](std::string& out, const char* torchName, const char* name, const std::string& torchDefault) {
            const std::string v = attr(name);
            if (v != torchDefault) out += ", " + std::string(torchName) + "=" + v;
        };
        const PyValue x = inVals.empty() ? PyValue{} : inVals[0];
        // in_channels-like attributes: given, or the input's.
        auto inCount = [&](const char* name, size_t dim = 1) {
            const AttrValue* v = literal(a, name);
            if (given(a, name) && !(v && std::holds_alternative<int64_t>(*v) && std::get<int64_t>(*v) == 0))
                return attr(name);
            return channelsOf(s, n, x, dim);
        };
        std::string ctor, call = ref(n.id) + "(" + x.var + ")", channels = x.channels;
        const std::string& k = kind.name;
        // Padding as PyTorch takes it; "same" at stride > 1 (and on pools) is computed when it runs.
        bool samePad = false;
        auto padding = [&](std::string& out, bool convolution) {
            const AttrValue* v = literal(a, "padding");
            if (!given(a, "padding")) return;
            if (!v) return (void)(out += ", padding=" + attr("padding"));
            if (auto* str = std::get_if<std::string>(v)) {
                if (*str == "valid") return;
                const AttrValue* stride = literal(a, "stride");
                const bool unit =
                    !given(a, "stride") ||
                    (stride && (*stride == AttrValue{std::vector<int64_t>{1, 1}} || *stride == AttrValue{int64_t{1}}));
                if (convolution && unit) return (void)(out += ", padding=\"same\"");
                samePad = true;
                return;
            }
            if (auto* p = std::get_if<std::vector<int64_t>>(v); p && p->size() == 4) {
                if ((*p)[0] != (*p)[2] || (*p)[1] != (*p)[3])
                    return refuse(s, n.id,
                                  "asymmetric padding is not written to PyTorch (PyTorch pads both sides alike)");
                out += ", padding=" + pythonLiteral(std::vector<int64_t>{(*p)[0], (*p)[1]});
                if ((*p)[0] == 0 && (*p)[1] == 0) out.erase(out.rfind(", padding="));
                return;
            }
            if (*v != AttrValue{int64_t{0}}) out += ", padding=" + pythonLiteral(*v);
        };
        if (k == "Conv2d" || k == "DepthwiseConv2d") {
            const std::string inC = inCount("in_channels");
            const bool depthwise = k == "DepthwiseConv2d";
            const std::string outC =
                depthwise ? (isDefault("depth_multiplier") ? inC : inC + " * " + attr("depth_multiplier"))
                          : attr("out_channels");
            ctor = "nn.Conv2d(" + inC + ", " + outC + ", kernel_size=" + attr("kernel_size");
            kwarg(ctor, "stride", "stride", "1");
            padding(ctor, true);
            kwarg(ctor, "dilation", "dilation", "1");
            if (depthwise) ctor += ", groups=" + inC;
            else kwarg(ctor, "groups", "groups", "1");
            kwarg(ctor, "bias", "bias", "True");
            ctor += ")";
            if (samePad) {
                helpers_.insert("pad_same");
                call = ref(n.id) + "(pad_same(" + x.var + ", " + attr("kernel_size") + ", " + attr("stride") + ", " +
                       attr("dilation") + "))";
            }
            channels =
                depthwise
                    ? (isDefault("depth_multiplier")
                           ? x.channels
                           : "(" + x.channels + ") * " + formulaAttr(a, "depth_multiplier", def("depth_multiplier")))
                    : formulaAttr(a, "out_channels", def("out_channels"));
            if (depthwise && x.channels.empty()) channels.clear();
        } else if (k == "SeparableConv2d") {
            helpers_.insert("SeparableConv2d");
            ctor = "SeparableConv2d(" + inCount("in_channels") + ", " + attr("out_channels") +
                   ", kernel_size=" + attr("kernel_size");
            kwarg(ctor, "stride", "stride", "1");
            padding(ctor, true);
            kwarg(ctor, "dilation", "dilation", "1");
            kwarg(ctor, "depth_multiplier", "depth_multiplier", "1");
            kwarg(ctor, "bias", "bias", "False");
            ctor += ")";
            if (samePad)
                refuse(s, n.id, "\"same\" padding with a stride is not written to PyTorch for SeparableConv2d");
            channels = formulaAttr(a, "out_channels", def("out_channels"));
        } else if (k == "ConvTranspose2d") {
            ctor = "nn.ConvTranspose2d(" + inCount("in_channels") + ", " + attr("out_channels") +
                   ", kernel_size=" + attr("kernel_size");
            kwarg(ctor, "stride", "stride", "1");
            kwarg(ctor, "padding", "padding", "0");
            kwarg(ctor, "output_padding", "output_padding", "0");
            kwarg(ctor, "groups", "groups", "1");
            kwarg(ctor, "bias", "bias", "True");
            kwarg(ctor, "dilation", "dilation", "1");
            ctor += ")";
            channels = formulaAttr(a, "out_channels", def("out_channels"));
        } else if (k == "MaxPool2d" || k == "AvgPool2d") {
            const bool max = k == "MaxPool2d";
            ctor = std::string(max ? "nn.MaxPool2d(" : "nn.AvgPool2d(") + attr("kernel_size");
            kwarg(ctor, "stride", "stride", "0");
            padding(ctor, false);
            if (max) kwarg(ctor, "dilation", "dilation", "1");
            kwarg(ctor, "ceil_mode", "ceil_mode", "False");
            if (!max) kwarg(ctor, "count_include_pad", "count_include_pad", "True");
            ctor += ")";
            if (samePad) {
                if (!max) refuse(s, n.id, "\"same\" padding of an average pool is not written to PyTorch");
                helpers_.insert("pad_same");
                std::string stride = attr("stride");
                if (stride == "0") stride = attr("kernel_size");
                call = ref(n.id) + "(pad_same(" + x.var + ", " + attr("kernel_size") + ", " + stride + ", " +
                       attr("dilation") + ", value=float(\"-inf\")))";
            }
        } else if (k == "AdaptiveAvgPool2d") {
            ctor = "nn.AdaptiveAvgPool2d(" + attr("output_size") + ")";
        } else if (k == "GlobalAvgPool" || k == "GlobalMaxPool") {
            ctor = k == "GlobalAvgPool" ? "nn.AdaptiveAvgPool2d(1)" : "nn.AdaptiveMaxPool2d(1)";
            if (!literal(a, "keepdims") || *literal(a, "keepdims") != AttrValue{true})
                call = "torch.flatten(" + call + ", 1)";
        } else if (k == "BatchNorm2d") {
            ctor = "nn.BatchNorm2d(" + inCount("num_features");
            if (!isDefault("eps")) ctor += ", eps=" + attr("eps");
            if (!isDefault("momentum")) ctor += ", momentum=" + attr("momentum");
            if (!isDefault("affine")) ctor += ", affine=" + attr("affine");
            ctor += ")";
        } else if (k == "LRN") {
            ctor = "nn.LocalResponseNorm(" + attr("size") + ", alpha=" + attr("alpha") + ", beta=" + attr("beta") +
                   ", k=" + attr("k") + ")";
        } else if (k == "ReLU" || k == "ReLU6" || k == "HardSwish" || k == "Sigmoid" || k == "Tanh" || k == "Flatten") {
            static const std::map<std::string, std::string> torchName{
                {"ReLU", "nn.ReLU()"},       {"ReLU6", "nn.ReLU6()"}, {"HardSwish", "nn.Hardswish()"},
                {"Sigmoid", "nn.Sigmoid()"}, {"Tanh", "nn.Tanh()"},   {"Flatten", "nn.Flatten()"}};
            ctor = torchName.at(k);
            if (k == "Flatten") channels.clear();
        } else if (k == "LeakyReLU") {
            ctor = "nn.LeakyReLU(" + attr("negative_slope") + ")";
        } else if (k == "HardSigmoid") {
            if (isDefault("alpha") && isDefault("beta")) ctor = "nn.Hardsigmoid()";
            else {
                helpers_.insert("HardSigmoid");
                ctor = "HardSigmoid(" + attr("alpha") + ", " + attr("beta") + ")";
            }
        } else if (k == "Softmax") {
            ctor = "nn.Softmax(dim=" + attr("dim") + ")";
        } else if (k == "Dropout") {
            ctor = isDefault("p") ? "nn.Dropout()" : "nn.Dropout(" + attr("p") + ")";
        } else if (k == "Linear") {
            ctor = "nn.Linear(" + inCount("in_features") + ", " + attr("out_features");
            kwarg(ctor, "bias", "bias", "True");
            ctor += ")";
            channels = formulaAttr(a, "out_features", def("out_features"));
        } else if (k == "ZeroPadChannels") {
            helpers_.insert("ZeroPadChannels");
            ctor = "ZeroPadChannels(" + attr("out_channels") + ", stride=" + attr("stride") + ")";
            channels = formulaAttr(a, "out_channels", def("out_channels"));
        } else if (k == "Concat" || k == "Add" || k == "Mul") {
            std::string e;
            const char* op = k == "Add" ? " + " : " * ";
            for (size_t i = 0; i < inVals.size(); ++i) e += (i ? (k == "Concat" ? ", " : op) : "") + inVals[i].var;
            if (k == "Concat") {
                e = "torch.cat([" + e + "], 1)";
                channels.clear();
                bool known = true;
                for (size_t i = 0; i < inVals.size(); ++i) {
                    known &= !inVals[i].channels.empty();
                    channels += (i ? " + " : "") + inVals[i].channels;
                }
                if (!known) channels.clear();
                else channels = "(" + channels + ")";
            }
            if (!cond.empty()) e = "(" + e + " if " + cond + " else " + x.var + ")";
            if (!cond.empty()) refuse(s, n.id, "a conditional merge is not written to PyTorch");
            forward.push_back(var + " = " + e);
            values[n.id + "\x1f"] = values[n.id + "\x1f" + "out"] = {var, channels};
            return;
        } else {
            return refuse(s, n.id, "kind " + k + " has no PyTorch translation");
        }
        PyValue out{var, channels, {}, {}};
        if (!cond.empty()) {
            ctor = "(" + ctor + " if " + cond + " else nn.Identity())";
            out = {var,
                   channels == x.channels || channels.empty() || x.channels.empty()
                       ? (channels == x.channels ? channels : "")
                       : "((" + n.when + ") ? " + channels + " : " + x.channels + ")",
                   n.when, channels};
        }
        place(n.id, ctor, init);
        // A chain of container members that read only each other runs as the container (self.downsample(x)).
        if (const Slot& slot = slots_.at(n.id); !slot.container.empty() && chains_.count(slot.container)) {
            if (slot.member == chains_.at(slot.container))
                forward.push_back(var + " = " + attrRef(slot.container) + "(" + x.var + ")");
        } else forward.push_back(var + " = " + call);
        values[n.id + "\x1f"] = values[n.id + "\x1f" + "out"] = out;
    }

    // ---- files -----------------------------------------------------------------------------------

    std::string modelFile(const std::string& source, const std::string& top) const {
        const FlatNode* input = nullptr;
        for (const FlatNode& f : flat_.nodes)
            if (f.kind->role == KindRole::Input) {
                input = &f;
                break;
            }
        std::ostringstream py;
        py << "\"\"\"" << (doc_.name.empty() ? std::string("Network") : doc_.name) << ", written by Netwright from "
           << source << ".\n\n"
           << "build_model() returns the network. Its state_dict names are Netwright's weight names, so\n"
           << "load_state_dict(load_safetensors(\"weights.safetensors\")) is strict.\n\"\"\"\n"
           << "import json\nimport os\n\nimport numpy as np\nimport torch\nimport torch.nn as nn\nimport "
              "torch.nn.functional as F\n\n";
        if (input && input->view().i("height") > 0) {
            const NodeAttrs v = input->view();
            py << "# One sample as the Input node takes it: channels, height, width; and how pixels are scaled.\n"
               << "INPUT_SHAPE = (" << v.i("channels") << ", " << v.i("height") << ", " << v.i("width") << ")\n"
               << "NORMALIZE = \"" << v.s("normalize") << "\"\n\n";
        } else if (input) {
            py << "INPUT_SHAPE = (" << input->view().i("channels") << ",)\nNORMALIZE = \"unit\"\n\n";
        }
        bool probability = false;  // the first output is a softmax's (train.py then takes its log)
        for (const FlatNode& f : flat_.nodes)
            if (f.kind->role == KindRole::Output) {
                const int src = f.inputs.empty() ? -1 : f.inputs[0].node;
                probability = src >= 0 && flat_.nodes[static_cast<size_t>(src)].kind->outputsProbabilities;
                break;
            }
        py << "# The network ends in a softmax: its output is probabilities, not logits.\n"
           << "OUTPUT_IS_PROBABILITY = " << (probability ? "True" : "False") << "\n\n";
        py << "\n" << kPythonHelpersCommon;
        for (const std::string& h : helpers_) py << "\n" << helperText(h);
        py << "\n\n" << classes_ << top << "\n\ndef build_model():\n    return " << topClass_ << "()\n";
        return py.str();
    }

    static std::string helperText(const std::string& name) {
        if (name == "SeparableConv2d")
            return R"(class SeparableConv2d(nn.Module):
    """A depthwise k×k convolution (one filter per channel), then a 1×1 pointwise one (Xception)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 depth_multiplier=1, bias=False):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels * depth_multiplier, kernel_size, stride=stride,
                                   padding=padding, dilation=dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels * depth_multiplier, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
)";
        if (name == "ZeroPadChannels")
            return R"(class ZeroPadChannels(nn.Module):
    """ResNet's option-A shortcut: every stride-th row and column, then zero channels up to out_channels."""

    def __init__(self, out_channels, stride=1):
        super().__init__()
        self.out_channels, self.stride = out_channels, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - x.shape[1]))
)";
        if (name == "HardSigmoid")
            return R"(class HardSigmoid(nn.Module):
    """clamp(alpha · x + beta, 0, 1) (ONNX's HardSigmoid; PyTorch's nn.Hardsigmoid is alpha = 1/6, beta = 1/2)."""

    def __init__(self, alpha, beta):
        super().__init__()
        self.alpha, self.beta = alpha, beta

    def forward(self, x):
        return torch.clamp(self.alpha * x + self.beta, 0, 1)
)";
        return R"(def pad_same(x, kernel_size, stride, dilation=1, value=0.0):
    """TensorFlow's "same" padding (output = ceil(input / stride)), the extra row or column after."""
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    s = (stride, stride) if isinstance(stride, int) else stride
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    pads = []
    for size, kk, ss, dd in reversed(list(zip(x.shape[2:], k, s, d))):
        total = max((-(-size // ss) - 1) * ss + (kk - 1) * dd + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)
)";
    }

    std::string readme(const std::string& source) const {
        std::string text(kReadmeMd);
        auto replace = [&](const std::string& what, const std::string& with) {
            for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += with.size())
                text.replace(p, what.size(), with);
        };
        replace("{{NAME}}", doc_.name.empty() ? "Network" : doc_.name);
        replace("{{SOURCE}}", source);
        replace("{{CLASS}}", topClass_);
        return text;
    }
};

}  // namespace

std::string pythonExpression(const std::string& formula) { return PythonTranslator(formula).run().value_or(""); }

PytorchProject buildPytorchProject(const Document& doc, const FlatGraph& graph, const Analysis& analysis,
                                   const std::string& source) {
    return PyWriter(doc, graph, analysis).write(source);
}

std::vector<std::string> existingProjectFiles(const std::string& dir, const PytorchProject& project) {
    std::vector<std::string> names;
    for (const auto& file : project.files) names.push_back(file.first);
    names.emplace_back("weights.safetensors");
    std::vector<std::string> there;
    struct stat st {};
    for (const std::string& name : names)
        if (stat((dir + "/" + name).c_str(), &st) == 0) there.push_back(name);
    return there;
}

std::string writePytorchProject(const std::string& dir, const PytorchProject& project, const TensorMap& weights,
                                bool replace) {
    if (const auto there = existingProjectFiles(dir, project); !there.empty() && !replace) {
        std::string list;
        for (size_t i = 0; i < there.size(); ++i)
            list += (i == 0 ? "" : i + 1 == there.size() ? " and " : ", ") + there[i];
        return dir + " already holds " + list +
               "; export into an empty folder, or replace them (--force on the command line)";
    }
    for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {  // as mkdir -p
        const std::string part = dir.substr(0, slash);
        struct stat st {};
        if (stat(part.c_str(), &st) != 0) {
            if (mkdir(part.c_str(), 0777) != 0) return "cannot make the directory " + part;
        } else if (!S_ISDIR(st.st_mode)) return part + " exists and is not a directory";
        if (slash == std::string::npos) break;
    }
    for (const auto& [name, text] : project.files)
        if (std::string e = writeFileAtomic(dir + "/" + name, text); !e.empty()) return e;
    return writeSafetensors(dir + "/weights.safetensors", weights);
}

}  // namespace nw
