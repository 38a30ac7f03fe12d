"""PyTorch definitions of Netwright's presets, independent of Netwright's code.

torchvision supplies AlexNet, VGG, GoogLeNet and ResNet; LeNet-5, the two course MNIST nets and
Xception are written here from their definitions (docs/networks.md). Module names equal the preset's node
names, so state_dict keys equal Netwright's weight names. Used by the counting reference test and,
later, by the executor's correctness tests.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(400, 120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class InceptionA(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, 1)
        self.branch5x5_1 = nn.Conv2d(in_channels, 16, 1)
        self.branch5x5_2 = nn.Conv2d(16, 24, 5, padding=2)
        self.branch3x3_1 = nn.Conv2d(in_channels, 16, 1)
        self.branch3x3_2 = nn.Conv2d(16, 24, 3, padding=1)
        self.branch3x3_3 = nn.Conv2d(24, 24, 3, padding=1)
        self.branch_pool_avg = nn.AvgPool2d(3, stride=1, padding=1)
        self.branch_pool = nn.Conv2d(in_channels, 24, 1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3_3(self.branch3x3_2(self.branch3x3_1(x)))
        bp = self.branch_pool(self.branch_pool_avg(x))
        return torch.cat([b1, b5, b3, bp], 1)


class MnistInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.mp1 = nn.MaxPool2d(2)
        self.relu1 = nn.ReLU()
        self.incep1 = InceptionA(10)
        self.conv2 = nn.Conv2d(88, 20, 5)
        self.mp2 = nn.MaxPool2d(2)
        self.relu2 = nn.ReLU()
        self.incep2 = InceptionA(20)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(1408, 10)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(x + self.conv2(self.relu1(self.conv1(x))))


class MnistResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.relu1 = nn.ReLU()
        self.mp1 = nn.MaxPool2d(2)
        self.rblock1 = ResidualBlock(16)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.relu2 = nn.ReLU()
        self.mp2 = nn.MaxPool2d(2)
        self.rblock2 = ResidualBlock(32)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


# ------------------------------------------------------------------ Xception (Keras, 'same' padding)
def same_padding(size, kernel, stride):
    """TensorFlow's 'same': output ceil(size/stride); the odd padding pixel goes after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    def forward(self, x):
        (t, b), (l, r) = (same_padding(int(x.shape[i]), self.kernel_size[j], self.stride[j]) for i, j in ((2, 0), (3, 1)))
        return F.conv2d(F.pad(x, (l, r, t, b)), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class SameMaxPool2d(nn.Module):
    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x):
        (t, b), (l, r) = (same_padding(int(x.shape[i]), self.kernel, self.stride) for i in (2, 3))
        return F.max_pool2d(F.pad(x, (l, r, t, b), value=-math.inf), self.kernel, self.stride)


class SeparableConv2d(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.depthwise = SameConv2d(cin, cin, 3, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


def keras_bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class XceptionDownBlock(nn.Module):
    def __init__(self, cin, filters1, filters2, first_relu=True):
        super().__init__()
        self.first_relu = first_relu
        if first_relu:
            self.sepconv1_act = nn.ReLU()
        self.sepconv1 = SeparableConv2d(cin, filters1)
        self.sepconv1_bn = keras_bn(filters1)
        self.sepconv2_act = nn.ReLU()
        self.sepconv2 = SeparableConv2d(filters1, filters2)
        self.sepconv2_bn = keras_bn(filters2)
        self.pool = SameMaxPool2d(3, 2)
        self.shortcut = SameConv2d(cin, filters2, 1, stride=2, bias=False)
        self.shortcut_bn = keras_bn(filters2)
        self.add = Add()

    def forward(self, x):
        y = self.sepconv1_act(x) if self.first_relu else x
        y = self.sepconv2_bn(self.sepconv2(self.sepconv2_act(self.sepconv1_bn(self.sepconv1(y)))))
        return self.add(self.pool(y), self.shortcut_bn(self.shortcut(x)))


class XceptionMiddleBlock(nn.Module):
    def __init__(self):
        super().__init__()
        for i in (1, 2, 3):
            setattr(self, "sepconv%d_act" % i, nn.ReLU())
            setattr(self, "sepconv%d" % i, SeparableConv2d(728, 728))
            setattr(self, "sepconv%d_bn" % i, keras_bn(728))
        self.add = Add()

    def forward(self, x):
        y = x
        for i in (1, 2, 3):
            y = getattr(self, "sepconv%d_act" % i)(y)
            y = getattr(self, "sepconv%d_bn" % i)(getattr(self, "sepconv%d" % i)(y))
        return self.add(y, x)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class Xception(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1_conv1 = SameConv2d(3, 32, 3, stride=2, bias=False)
        self.block1_conv1_bn = keras_bn(32)
        self.block1_conv1_act = nn.ReLU()
        self.block1_conv2 = SameConv2d(32, 64, 3, bias=False)
        self.block1_conv2_bn = keras_bn(64)
        self.block1_conv2_act = nn.ReLU()
        self.block2 = XceptionDownBlock(64, 128, 128, first_relu=False)
        self.block3 = XceptionDownBlock(128, 256, 256)
        self.block4 = XceptionDownBlock(256, 728, 728)
        self.middle = nn.Sequential(*[XceptionMiddleBlock() for _ in range(8)])
        self.block13 = XceptionDownBlock(728, 728, 1024)
        self.block14_sepconv1 = SeparableConv2d(1024, 1536)
        self.block14_sepconv1_bn = keras_bn(1536)
        self.block14_sepconv1_act = nn.ReLU()
        self.block14_sepconv2 = SeparableConv2d(1536, 2048)
        self.block14_sepconv2_bn = keras_bn(2048)
        self.block14_sepconv2_act = nn.ReLU()
        self.avg_pool = GlobalAvgPool()
        self.predictions = nn.Linear(2048, 1000)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


# ------------------------------------------------------------------ the presets
def build(name):
    """The torch model of preset `name` in eval mode, with its input shape (C, H, W)."""
    tv = torchvision.models
    makers = {
        "lenet5": (LeNet5, (1, 32, 32)),
        "mnist_inception": (MnistInception, (1, 28, 28)),
        "mnist_residual": (MnistResidual, (1, 28, 28)),
        "xception": (Xception, (3, 299, 299)),
        "alexnet": (tv.alexnet, (3, 224, 224)),
        "vgg16": (tv.vgg16, (3, 224, 224)),
        "vgg19": (tv.vgg19, (3, 224, 224)),
        # torchvision's GoogLeNet without the training-only auxiliary heads
        "googlenet": (lambda: tv.googlenet(aux_logits=False, init_weights=False), (3, 224, 224)),
        "resnet18": (tv.resnet18, (3, 224, 224)),
        "resnet34": (tv.resnet34, (3, 224, 224)),
        "resnet50": (tv.resnet50, (3, 224, 224)),
        "resnet101": (tv.resnet101, (3, 224, 224)),
        "resnet152": (tv.resnet152, (3, 224, 224)),
    }
    make, shape = makers[name]
    return make().eval(), shape


def check_presets(names, check):
    """Runs check(name) -> (summary, problems) for the named presets (all when none), prints a line
    each and the problems under it, and exits 1 if any preset has problems."""
    failed = False
    for name in names or PRESETS:
        summary, problems = check(name)
        print("%-16s %s  %s" % (name, "ok  " if not problems else "FAIL", summary), flush=True)
        for p in problems:
            print("    " + p)
        failed |= bool(problems)
    sys.exit(1 if failed else 0)


PRESETS = ["lenet5", "mnist_inception", "mnist_residual", "alexnet", "vgg16", "vgg19", "googlenet",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "xception"]
