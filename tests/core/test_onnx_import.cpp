// The ONNX importer on small models built here with libonnx's protobuf classes: translation of each
// operator's attributes, folding, the recovered module structure, and the refusals.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "analysis.h"
#include "flatten.h"
#include "importer.h"
#include "onnx_import.h"

namespace nw {
namespace {

class ModelBuilder {
public:
    explicit ModelBuilder(int opset = 13) {
        model.set_ir_version(8);
        auto* o = model.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        graph = model.mutable_graph();
        graph->set_name("test");
    }
    // dims: -1 is a symbolic (dynamic) dimension.
    void input(const std::string& name, const std::vector<int64_t>& dims, int type = onnx::TensorProto::FLOAT) {
        auto* v = graph->add_input();
        v->set_name(name);
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(type);
        for (int64_t d : dims) {
            auto* dim = t->mutable_shape()->add_dim();
            if (d < 0) dim->set_dim_param("N");
            else dim->set_dim_value(d);
        }
    }
    // An output of `rank` dimensions of unknown size (the checker wants a shape).
    void output(const std::string& name, int rank = 4) {
        auto* v = graph->add_output();
        v->set_name(name);
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        for (int i = 0; i < rank; ++i) t->mutable_shape()->add_dim();
    }
    onnx::NodeProto* node(const std::string& op, const std::string& name, const std::vector<std::string>& in,
                          const std::vector<std::string>& out) {
        auto* n = graph->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (auto& i : in) n->add_input(i);
        for (auto& o : out) n->add_output(o);
        return n;
    }
    static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
    }
    static void integer(onnx::NodeProto* n, const std::string& name, int64_t v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void real(onnx::NodeProto* n, const std::string& name, float v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void text(onnx::NodeProto* n, const std::string& name, const std::string& v) {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(v);
    }
    // A float initializer holding 0.01 · (i + 1) (or `fill`).
    onnx::TensorProto* init(const std::string& name, const std::vector<int64_t>& dims, float fill = 0) {
        auto* t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        int64_t n = 1;
        for (int64_t d : dims) t->add_dims(d), n *= d;
        for (int64_t i = 0; i < n; ++i) t->add_float_data(fill != 0 ? fill : 0.01f * static_cast<float>(i + 1));
        return t;
    }
    void initInts(const std::string& name, const std::vector<int64_t>& values) {
        auto* t = graph->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values) t->add_int64_data(v);
    }
    std::string save(const std::string& file) const {
        std::string path = (std::filesystem::temp_directory_path() / file).string();
        std::ofstream(path, std::ios::binary) << model.SerializeAsString();
        return path;
    }
    onnx::ModelProto model;
    onnx::GraphProto* graph;
};

std::string allErrors(const Imported& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.message + "\n";
    return s;
}

const Node* findNode(const Graph& g, const std::string& id) { return g.find(id); }

TEST(OnnxImport, ConvPoolLinearChainWithWeightsUnderTheirNames) {
    ModelBuilder b;
    b.input("x", {-1, 3, 8, 8});
    b.init("conv1.weight", {4, 3, 3, 3});
    b.init("conv1.bias", {4});
    auto* c = b.node("Conv", "/conv1/Conv", {"x", "conv1.weight", "conv1.bias"}, {"c"});
    b.ints(c, "pads", {1, 1, 1, 1});
    b.node("Relu", "/relu/Relu", {"c"}, {"r"});
    auto* p = b.node("MaxPool", "/pool/MaxPool", {"r"}, {"p"});
    b.ints(p, "kernel_shape", {2, 2});
    b.ints(p, "strides", {2, 2});
    b.node("Flatten", "/Flatten", {"p"}, {"f"});
    b.init("fc.weight", {10, 64});
    b.init("fc.bias", {10});
    auto* g = b.node("Gemm", "/fc/Gemm", {"f", "fc.weight", "fc.bias"}, {"y"});
    b.integer(g, "transB", 1);
    b.output("y", 2);
    Imported r = openNetwork(b.save("chain.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    const Graph& graph = r.document->graph;
    ASSERT_TRUE(findNode(graph, "conv1"));
    EXPECT_EQ(findNode(graph, "conv1")->kind, "Conv2d");
    EXPECT_EQ(std::get<std::vector<int64_t>>(findNode(graph, "conv1")->attrs.at("padding")),
              (std::vector<int64_t>{1, 1, 1, 1}));
    ASSERT_TRUE(findNode(graph, "flatten"));  // a top-level functional call is named after its operator
    ASSERT_TRUE(findNode(graph, "fc"));
    EXPECT_EQ(std::get<int64_t>(findNode(graph, "fc")->attrs.at("out_features")), 10);
    EXPECT_EQ(r.weights.size(), 4u);
    EXPECT_TRUE(r.weights.count("conv1.weight") && r.weights.count("fc.bias"));
    EXPECT_FLOAT_EQ(r.weights.at("fc.weight").data[1], 0.02f);
    Analysis a = analyze(flatten(*r.document));
    EXPECT_EQ(a.errorCount(), 0);
}

TEST(OnnxImport, RepeatedScopesBecomeOneModuleWithInstances) {
    ModelBuilder b;
    b.input("x", {1, 4, 6, 6});
    std::string in = "x";
    for (const std::string block : {"block1", "block2"}) {
        b.init(block + ".conv.weight", {4, 4, 3, 3});
        auto* c = b.node("Conv", "/" + block + "/conv/Conv", {in, block + ".conv.weight"}, {block + "_c"});
        b.ints(c, "pads", {1, 1, 1, 1});
        b.node("Relu", "/" + block + "/relu/Relu", {block + "_c"}, {block + "_r"});
        b.node("Add", "/" + block + "/Add", {block + "_r", in}, {block + "_y"});
        in = block + "_y";
    }
    b.output(in);
    Imported r = openNetwork(b.save("blocks.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    ASSERT_EQ(r.document->modules.size(), 1u);
    const ModuleDef& m = r.document->modules[0];
    EXPECT_EQ(m.name, "Block");
    EXPECT_EQ(m.body.nodes.size(), 3u);
    EXPECT_EQ(m.inputs, (std::vector<std::string>{"x"}));
    ASSERT_TRUE(findNode(r.document->graph, "block1"));
    ASSERT_TRUE(findNode(r.document->graph, "block2"));
    EXPECT_EQ(findNode(r.document->graph, "block2")->kind, "Block");
    // The flattened names are PyTorch's, so are the weights'.
    FlatGraph flat = flatten(*r.document);
    std::vector<std::string> names;
    for (const auto& n : flat.nodes) names.push_back(n.name);
    EXPECT_NE(std::find(names.begin(), names.end(), "block2.conv"), names.end());
    EXPECT_TRUE(r.weights.count("block2.conv.weight"));
    EXPECT_EQ(analyze(flat).errorCount(), 0);
}

TEST(OnnxImport, MatMulAndAddBecomeOneLinear) {
    ModelBuilder b;
    b.input("x", {2, 3});
    b.init("w", {3, 5});
    b.init("bias", {5}, 0.5f);
    b.node("MatMul", "mm", {"x", "w"}, {"m"});
    b.node("Add", "add", {"m", "bias"}, {"y"});
    b.output("y", 2);
    Imported r = openNetwork(b.save("matmul.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    const Node* mm = findNode(r.document->graph, "mm");
    ASSERT_TRUE(mm);
    EXPECT_EQ(mm->kind, "Linear");
    EXPECT_EQ(std::get<bool>(mm->attrs.at("bias")), true);
    EXPECT_EQ(r.weights.at("mm.weight").shape, (Shape{5, 3}));      // transposed to PyTorch's out × in
    EXPECT_FLOAT_EQ(r.weights.at("mm.weight").data[1], 0.01f * 6);  // w[1][0]
    EXPECT_FLOAT_EQ(r.weights.at("mm.bias").data[4], 0.5f);
    EXPECT_FALSE(findNode(r.document->graph, "add"));
}

TEST(OnnxImport, ConstantPadFoldsIntoTheConvAndAutoPadIsTranslated) {
    ModelBuilder b(13);
    b.input("x", {1, 1, 5, 5});
    b.initInts("pads", {0, 0, 1, 2, 0, 0, 3, 0});
    b.node("Pad", "pad", {"x", "pads"}, {"p"});
    b.init("w", {1, 1, 3, 3});
    b.node("Conv", "conv", {"p", "w"}, {"c"});
    b.init("w2", {1, 1, 2, 2});
    auto* upper = b.node("Conv", "upper", {"c", "w2"}, {"u"});
    b.text(upper, "auto_pad", "SAME_UPPER");
    b.output("u");
    // SAME_LOWER needs the input's size: on a declared 6×5 input, one row and one column before.
    b.input("x2", {1, 1, 6, 5});
    auto* lower = b.node("Conv", "lower", {"x2", "w2"}, {"l"});
    b.text(lower, "auto_pad", "SAME_LOWER");
    b.output("l");
    Imported r = openNetwork(b.save("pad.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    EXPECT_EQ(std::get<std::vector<int64_t>>(findNode(r.document->graph, "conv")->attrs.at("padding")),
              (std::vector<int64_t>{1, 2, 3, 0}));
    EXPECT_FALSE(findNode(r.document->graph, "pad"));
    EXPECT_EQ(std::get<std::string>(findNode(r.document->graph, "upper")->attrs.at("padding")), "same");
    EXPECT_EQ(std::get<std::vector<int64_t>>(findNode(r.document->graph, "lower")->attrs.at("padding")),
              (std::vector<int64_t>{1, 1, 0, 0}));
}

TEST(OnnxImport, BatchNormKeepsItsStatisticsAndPyTorchMomentum) {
    ModelBuilder b;
    b.input("x", {1, 2, 4, 4});
    for (const char* w : {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}) b.init(w, {2});
    auto* n = b.node("BatchNormalization", "/bn/BatchNormalization",
                     {"x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}, {"y"});
    b.real(n, "momentum", 0.9f);
    b.real(n, "epsilon", 1e-3f);
    b.output("y");
    Imported r = openNetwork(b.save("bn.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    const Node* bn = findNode(r.document->graph, "bn");
    ASSERT_TRUE(bn);
    EXPECT_NEAR(std::get<double>(bn->attrs.at("momentum")), 0.1, 1e-6);
    EXPECT_NEAR(std::get<double>(bn->attrs.at("eps")), 1e-3, 1e-9);
    EXPECT_TRUE(r.weights.count("bn.running_var"));
}

TEST(OnnxImport, EveryUnsupportedOperatorIsListedOnceWithItsNodes) {
    ModelBuilder b;
    b.input("x", {1, 2, 4, 4});
    b.node("Transpose", "t1", {"x"}, {"a"});
    b.node("Transpose", "t2", {"a"}, {"b"});
    b.node("Exp", "e", {"b"}, {"y"});
    b.output("y");
    Imported r = openNetwork(b.save("unsupported.onnx"));
    EXPECT_FALSE(r.document);
    ASSERT_EQ(r.errors.size(), 1u) << allErrors(r);
    const std::string& m = r.errors[0].message;
    EXPECT_NE(m.find("opset 13"), std::string::npos) << m;
    EXPECT_NE(m.find("Transpose (2×): 't1', 't2'"), std::string::npos) << m;
    EXPECT_NE(m.find("Exp (1×): 'e'"), std::string::npos) << m;
    EXPECT_NE(m.find("Supported: Conv"), std::string::npos) << m;
}

TEST(OnnxImport, RefusalsSayWhatIsWrong) {
    auto refused = [](ModelBuilder& b, const std::string& file) {
        Imported r = openNetwork(b.save(file));
        EXPECT_FALSE(r.document) << file;
        return allErrors(r);
    };
    {
        ModelBuilder b;
        b.input("x", {1, 3, -1, -1});
        b.node("Relu", "r", {"x"}, {"y"});
        b.output("y");
        EXPECT_NE(refused(b, "dynamic.onnx").find("dynamic spatial size"), std::string::npos);
    }
    {
        ModelBuilder b;
        b.input("x", {1, 3, 4, 4}, onnx::TensorProto::INT64);
        b.output("x");
        EXPECT_NE(refused(b, "int.onnx").find("float32"), std::string::npos);
    }
    {
        ModelBuilder b(5);
        b.input("x", {1, 3, 4, 4});
        b.node("Relu", "r", {"x"}, {"y"});
        b.output("y");
        EXPECT_NE(refused(b, "old.onnx").find("opset 5; Netwright reads opsets 7–17"), std::string::npos);
    }
    {
        ModelBuilder b;
        b.input("x", {1, 1, 4, 4});
        auto* w = b.init("w", {1, 1, 3, 3});
        w->clear_float_data();
        w->set_data_location(onnx::TensorProto::EXTERNAL);
        auto* e = w->add_external_data();
        e->set_key("location");
        e->set_value("weights.bin");
        b.node("Conv", "conv", {"x", "w"}, {"y"});
        b.output("y");
        EXPECT_NE(refused(b, "external.onnx").find("external"), std::string::npos);
    }
    {
        ModelBuilder b;
        b.input("x", {1, 2, 4, 4});
        auto* n = b.node("Clip", "clip", {"x", "lo", "hi"}, {"y"});
        (void)n;
        b.init("lo", {}, -1.0f);
        b.init("hi", {}, 1.0f);
        b.output("y");
        EXPECT_NE(refused(b, "clip.onnx").find("Clip node 'clip': Clip to [-1"), std::string::npos);
    }
    // Bytes that are no model, and a model cut short.
    const std::string junk = (std::filesystem::temp_directory_path() / "junk.onnx").string();
    std::ofstream(junk) << "this is not protobuf \x01\x02\xff";
    Imported j = openNetwork(junk);
    EXPECT_FALSE(j.document);
    ASSERT_FALSE(j.errors.empty());
    ModelBuilder b;
    b.input("x", {1, 3, 8, 8});
    b.init("w", {4, 3, 3, 3});
    b.node("Conv", "conv", {"x", "w"}, {"y"});
    b.output("y");
    const std::string bytes = b.model.SerializeAsString();
    const std::string cut = (std::filesystem::temp_directory_path() / "cut.onnx").string();
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    Imported c = openNetwork(cut);
    EXPECT_FALSE(c.document);
    ASSERT_FALSE(c.errors.empty());
    EXPECT_NE(c.errors[0].message.find("cut.onnx"), std::string::npos) << c.errors[0].message;
}

TEST(OnnxImport, FlatInputsAndSqueezeExcitation) {
    ModelBuilder b(17);
    b.input("x", {1, 8, 4, 4});
    b.node("GlobalAveragePool", "/se/avgpool/GlobalAveragePool", {"x"}, {"s"});
    b.init("se.fc.weight", {8, 8, 1, 1});
    b.node("Conv", "/se/fc/Conv", {"s", "se.fc.weight"}, {"f"});
    b.node("HardSigmoid", "/se/gate/HardSigmoid", {"f"}, {"g"});
    b.node("Mul", "/se/Mul", {"g", "x"}, {"y"});
    b.output("y");
    Imported r = openNetwork(b.save("se.onnx"));
    ASSERT_TRUE(r.document) << allErrors(r);
    ASSERT_EQ(r.document->modules.size(), 1u);
    const ModuleDef& se = r.document->modules[0];
    EXPECT_EQ(se.name, "Se");
    const Node* mul = se.body.find("mul");
    ASSERT_TRUE(mul);
    EXPECT_EQ(mul->kind, "Mul");
    const Node* gate = se.body.find("gate");
    ASSERT_TRUE(gate);
    EXPECT_NEAR(std::get<double>(gate->attrs.at("alpha")), 0.2, 1e-6);  // ONNX's default, not PyTorch's 1/6
    Analysis a = analyze(flatten(*r.document));
    EXPECT_EQ(a.errorCount(), 0);
    EXPECT_EQ(a.outputShape, (Shape{1, 8, 4, 4}));
}

}  // namespace
}  // namespace nw
