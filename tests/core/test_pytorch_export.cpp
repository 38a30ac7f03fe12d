// The PyTorch project writer: formulas as Python, the shape of model.py (a class per module, the
// container and repeat structure that keeps state_dict names), and the refusals. Whether the code
// runs and equals Netwright is tests/reference/check_pytorch_export.py's part.
#include <gtest/gtest.h>

#include "helpers.h"
#include "pytorch_export.h"
#include "weights.h"

namespace nw {
namespace {

TEST(PytorchExport, FormulasBecomePython) {
    EXPECT_EQ(pythonExpression("planes * 4"), "planes * 4");
    EXPECT_EQ(pythonExpression("(shortcut == \"C\") || (shortcut == \"B\" && (stride != 1 || in_channels != planes))"),
              "(shortcut == \"C\") or (shortcut == \"B\" and (stride != 1 or in_channels != planes))");
    EXPECT_EQ(pythonExpression("!first_relu"), "(not first_relu)");
    EXPECT_EQ(pythonExpression("a != b"), "a != b");
    EXPECT_EQ(pythonExpression("wide ? c * 2 : c"), "(c * 2 if wide else c)");
    EXPECT_EQ(pythonExpression("c / 2 + true"), "c // 2 + True");  // Netwright divides integers as //
    EXPECT_EQ(pythonExpression("(a"), "");
    EXPECT_EQ(pythonExpression("a $ b"), "");
}

std::string file(const PytorchProject& p, const std::string& name) {
    for (const auto& [n, text] : p.files)
        if (n == name) return text;
    return {};
}

TEST(PytorchExport, ModulesBecomeClassesAndRepeatsSequentials) {
    test::Analyzed net = test::analyzePreset("resnet18");
    PytorchProject p = buildPytorchProject(net.doc, net.flat, net.analysis, "resnet18.netw");
    ASSERT_TRUE(p.errors.empty()) << p.errors.front();
    const std::string model = file(p, "model.py");
    // The block's own parameters, its input's channels, its shortcut under its condition.
    EXPECT_NE(model.find("class BasicBlock(nn.Module):"), std::string::npos);
    EXPECT_NE(model.find("def __init__(self, in_channels=64, planes=64, stride=1, shortcut=\"B\"):"),
              std::string::npos);
    EXPECT_NE(
        model.find("self.conv1 = nn.Conv2d(in_channels, planes, kernel_size=3, stride=stride, padding=1, bias=False)"),
        std::string::npos)
        << model;
    EXPECT_NE(model.find("self.downsample = nn.Sequential("), std::string::npos);
    EXPECT_NE(model.find("downsample = self.downsample(x)"), std::string::npos);
    EXPECT_NE(
        model.find("if (shortcut == \"C\") or (shortcut == \"B\" and (stride != 1 or in_channels != planes)) else "
                   "nn.Identity()"),
        std::string::npos);
    // Copies of a repeated block, the later ones with their repeat attributes: layer2.1 takes 128 channels.
    EXPECT_NE(model.find("self.layer2 = nn.Sequential(\n            BasicBlock(in_channels=64, planes=128, stride=2),\n"
                         "            BasicBlock(in_channels=128, planes=128, stride=1),"),
              std::string::npos);
    EXPECT_NE(model.find("self.fc = nn.Linear(512, 1000)"), std::string::npos);
    EXPECT_NE(model.find("def build_model():\n    return ResNet18()"), std::string::npos);
    EXPECT_NE(model.find("INPUT_SHAPE = (3, 224, 224)"), std::string::npos);
    EXPECT_NE(file(p, "train.py").find("DistributedDataParallel"), std::string::npos);
    EXPECT_NE(file(p, "README.md").find("ResNet18"), std::string::npos);
}

TEST(PytorchExport, LongRepeatsAreWrittenOnceAndDottedIdsBecomeContainers) {
    test::Analyzed resnet = test::analyzePreset("resnet152");
    const std::string model = file(buildPytorchProject(resnet.doc, resnet.flat, resnet.analysis, "r.netw"), "model.py");
    EXPECT_NE(model.find("*[Bottleneck(in_channels=1024, planes=256, stride=1) for _ in range(35)]"),
              std::string::npos);
    test::Analyzed vgg = test::analyzePreset("vgg16");
    const std::string v = file(buildPytorchProject(vgg.doc, vgg.flat, vgg.analysis, "vgg16.netw"), "model.py");
    EXPECT_NE(v.find("self.features = nn.Sequential(\n            nn.Conv2d(3, 64, kernel_size=3, padding=1),"),
              std::string::npos)
        << v;
    EXPECT_NE(v.find("x = self.features(x)"), std::string::npos);
}

TEST(PytorchExport, RefusalsNameTheNodeAndTheCause) {
    // PyTorch pads both sides alike.
    test::Analyzed asym = test::analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 8, "width": 8}},
        {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 2, "padding": [0, 0, 1, 1]}},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "c"}, {"from": "c", "to": "out"}])");
    PytorchProject p = buildPytorchProject(asym.doc, asym.flat, asym.analysis, "a.netw");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_NE(p.errors[0].find("'c' in the network: asymmetric padding"), std::string::npos) << p.errors[0];
    EXPECT_TRUE(p.files.empty());

    // A dense layer after a Flatten inside a module whose instances see different sizes: no formula says
    // its in_features.
    test::Analyzed head = test::analyzeText(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 1, "height": 8, "width": 8}},
        {"id": "a", "kind": "Head"},
        {"id": "pool", "kind": "MaxPool2d"},
        {"id": "b", "kind": "Head"},
        {"id": "cat", "kind": "Add"},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "a"}, {"from": "in", "to": "pool"}, {"from": "pool", "to": "b"},
                {"from": "a", "to": "cat"}, {"from": "b", "to": "cat"}, {"from": "cat", "to": "out"}],
      "modules": [{"name": "Head", "inputs": ["x"], "outputs": [{"name": "y", "node": "fc"}],
                   "nodes": [{"id": "flat", "kind": "Flatten"}, {"id": "fc", "kind": "Linear", "attrs": {"out_features": 3}}],
                   "edges": [{"from": "x", "to": "flat"}, {"from": "flat", "to": "fc"}]}])");
    ASSERT_EQ(head.analysis.errorCount(), 0u) << head.allDiagnostics();
    p = buildPytorchProject(head.doc, head.flat, head.analysis, "h.netw");
    ASSERT_FALSE(p.errors.empty());
    EXPECT_NE(p.errors[0].find("'fc' in Head: its input size differs between the instances"), std::string::npos)
        << p.errors[0];
}

TEST(PytorchExport, NeverReplacesAProjectUnlessAsked) {
    const test::Analyzed a = test::analyzePreset("lenet5");
    const PytorchProject p = buildPytorchProject(a.doc, a.flat, a.analysis, "lenet5.netw");
    const TensorMap weights = initWeights(a.flat, a.analysis);
    test::TempDir dir;
    const std::string project = dir / "project";
    EXPECT_EQ(writePytorchProject(project, p, weights), "");  // made, as mkdir -p
    EXPECT_EQ(existingProjectFiles(project, p),
              (std::vector<std::string>{"model.py", "train.py", "README.md", "weights.safetensors"}));
    EXPECT_EQ(writePytorchProject(project, p, weights),
              project +
                  " already holds model.py, train.py, README.md and weights.safetensors; export into an "
                  "empty folder, or replace them (--force on the command line)");
    EXPECT_EQ(writePytorchProject(project, p, weights, true), "");
    EXPECT_TRUE(existingProjectFiles(dir / "elsewhere", p).empty());
}

}  // namespace
}  // namespace nw
