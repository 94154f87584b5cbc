"""Networks outside landscape's zoo, for the ONNX tests (cmd/landscape/onnx_torch_test.go):
small versions of common CIFAR architectures, written as their usual PyTorch code writes them
(kuangliu/pytorch-cifar style), so that their exports contain what real exports contain:

  resnet18     CIFAR ResNet-18 (BasicBlock 2-2-2-2, 1x1 projection shortcuts), F.avg_pool2d(out, 4)
               and out.view(out.size(0), -1) (Shape/Gather/Unsqueeze/Concat → Reshape)
  densenet     DenseNet-BC (pre-activation BN-ReLU-conv bottlenecks, torch.cat, transitions with
               average pooling, one of them nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), which
               exports as Pad + AveragePool), final BN-ReLU and adaptive average pooling
  mobilenetv2  MobileNetV2 (inverted residuals: 1x1 expand, 3x3 depthwise, 1x1 project; ReLU6 as
               nn.ReLU6 and F.relu6), a squeeze-and-excitation block, flatten(1)
  vgg          VGG with batch norm, a floor and a padded ceil-mode max pool, and a classifier
               Dropout-Linear-LeakyReLU-Dropout-Linear; its last batch norm keeps PyTorch's initial
               values, so the exporter merges its equal initializers (Identity nodes)

and small ones that exercise the rest of the operator list:

  lenet        F.max_pool2d, x.view(-1, 16*5*5)
  inception    1x3 and 3x1 kernels with asymmetric padding, a dilated conv, nn.Hardtanh(0, 6)
               (Clip), F.leaky_relu, torch.cat, nn.Dropout2d, F.avg_pool2d(padding=1,
               ceil_mode=True, count_include_pad=False), x.mean(dim=(2, 3))
  preact       a pre-activation block whose shortcut is a 1x1 conv of the activated input, a
               3x3 stride-1 max pool, nn.AdaptiveAvgPool2d((1, 1)), o.view(o.size(0), o.size(1))
  matmul       torch.sigmoid, torch.flatten(x, 1) and x @ W + b with a raw [in, out] parameter

Widths are narrow (a few to a few dozen channels) so that scans in the tests take seconds.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, in_ch=3, classes=10, c=4):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        layers, cin = [], c
        for i, (cout, stride) in enumerate([(c, 1), (2 * c, 2), (4 * c, 2), (8 * c, 2)]):
            blocks = []
            for k in range(2):
                blocks.append(BasicBlock(cin, cout, stride if k == 0 else 1))
                cin = cout
            setattr(self, f"layer{i+1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


class Bottleneck(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class Transition(nn.Module):
    def __init__(self, cin, cout, pool):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool = pool

    def forward(self, x):
        return self.pool(self.conv(F.relu(self.bn(x))))


class DenseNet(nn.Module):
    def __init__(self, in_ch=3, classes=10, growth=4, nblocks=(2, 2, 2)):
        super().__init__()
        c = 2 * growth
        self.conv1 = nn.Conv2d(in_ch, c, 3, padding=1, bias=False)
        pools = [nn.AvgPool2d(2), nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)]
        for i, n in enumerate(nblocks):
            layers = []
            for _ in range(n):
                layers.append(Bottleneck(c, growth))
                c += growth
            setattr(self, f"dense{i+1}", nn.Sequential(*layers))
            if i < len(nblocks) - 1:
                setattr(self, f"trans{i+1}", Transition(c, c // 2, pools[i]))
                c //= 2
        self.bn = nn.BatchNorm2d(c)
        self.linear = nn.Linear(c, classes)

    def forward(self, x):
        out = self.trans1(self.dense1(self.conv1(x)))
        out = self.trans2(self.dense2(out))
        out = self.dense3(out)
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        return self.linear(out.view(out.size(0), -1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, expansion, stride, se=False):
        super().__init__()
        mid = expansion * cin
        self.stride = stride
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.act = nn.ReLU6(inplace=True)
        self.se = None
        if se:
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(mid, mid // 4, 1), nn.ReLU(inplace=True),
                                    nn.Conv2d(mid // 4, mid, 1), nn.Sigmoid())
        self.shortcut = None
        if stride == 1 and cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = F.relu6(self.bn2(self.conv2(out)))
        if self.se is not None:
            out = out * self.se(out)
        out = self.bn3(self.conv3(out))
        if self.stride == 1:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return out


class MobileNetV2(nn.Module):
    cfg = [(1, 8, 1, 1), (4, 12, 2, 1), (4, 16, 2, 2), (4, 24, 1, 2)]  # expansion, out, blocks, stride

    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        layers, cin = [], 8
        for i, (e, cout, n, stride) in enumerate(self.cfg):
            for k in range(n):
                layers.append(InvertedResidual(cin, cout, e, stride if k == 0 else 1, se=(i == 2 and k == 1)))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.conv2 = nn.Conv2d(cin, 64, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = F.relu6(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.relu6(self.bn2(self.conv2(out)))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


class VGG(nn.Module):
    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        layers, c = [], in_ch
        for v in [8, "M", 16, "P", 32, 32, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            elif v == "P":
                layers.append(nn.MaxPool2d(3, 2, padding=1, ceil_mode=True))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(32 * 4 * 4, 64), nn.LeakyReLU(0.1, inplace=True),
                                        nn.Dropout(), nn.Linear(64, classes))

    def forward(self, x):
        out = self.features(x)
        return self.classifier(out.view(out.size(0), -1))


class LeNet(nn.Module):
    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(in_ch, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2 = nn.Linear(16 * 5 * 5, 32), nn.Linear(32, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.view(-1, 16 * 5 * 5))))


class Inception(nn.Module):
    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.a = nn.Conv2d(in_ch, 8, (1, 3), padding=(0, 1))
        self.b = nn.Conv2d(8, 8, (3, 1), padding=(1, 0), bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.c = nn.Conv2d(in_ch, 4, 3, padding=2, dilation=2)
        self.drop = nn.Dropout2d(0.3)
        self.act = nn.Hardtanh(0.0, 6.0)
        self.fc = nn.Linear(12, classes)

    def forward(self, x):
        y = self.act(self.bn(self.b(self.a(x))))
        z = F.leaky_relu(self.c(x), 0.2)
        o = self.drop(torch.cat([y, z], 1))
        o = F.avg_pool2d(o, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        return self.fc(o.mean(dim=(2, 3)))


class PreAct(nn.Module):
    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.conv0 = nn.Conv2d(in_ch, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(3, 1, 1)
        self.bn1, self.bn2 = nn.BatchNorm2d(8), nn.BatchNorm2d(16)
        self.conv1, self.conv2 = nn.Conv2d(8, 16, 3, 2, 1), nn.Conv2d(16, 16, 3, 1, 1)
        self.shortcut = nn.Conv2d(8, 16, 1, 2)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.pool(self.conv0(x))
        o = F.relu(self.bn1(x))
        sc = self.shortcut(o)
        o = self.conv2(F.relu(self.bn2(self.conv1(o)))) + sc
        o = self.gap(o)
        return self.fc(o.view(o.size(0), o.size(1)))


class MatMulNet(nn.Module):
    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, 4, 3, stride=3)
        self.w = nn.Parameter(torch.randn(4 * 10 * 10, classes) * 0.05)
        self.b = nn.Parameter(torch.randn(classes) * 0.1)

    def forward(self, x):
        return torch.flatten(torch.sigmoid(self.conv(x)), 1) @ self.w + self.b


class LayerNorm2d(nn.Module):
    """LayerNorm over channels written out on NCHW, as ConvNeXt's official code does."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ExtOps(nn.Module):
    """The operators of torchvision's newer CNNs in one small net: BN with ε 1e-3, Hardswish,
    SiLU, an SE gate with Hardsigmoid, GELU's tanh form, LayerNorm2d on NCHW, a layer scale,
    x / 2 − 1, a channel shuffle, chunk, and a strided channel slice."""

    def __init__(self, in_ch=3, classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(in_ch, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=1e-3)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.se = nn.Conv2d(8, 8, 1)
        self.ln = LayerNorm2d(8)
        self.scale = nn.Parameter(torch.rand(8, 1, 1) + 0.5)
        self.c3 = nn.Conv2d(4, 4, 1)
        self.fc = nn.Linear(6, classes)

    def forward(self, x):
        x = F.hardswish(self.bn1(self.c1(x)))
        x = F.silu(self.c2(x))
        x = x * F.hardsigmoid(self.se(F.adaptive_avg_pool2d(x, 1)))
        x = self.scale * self.ln(F.gelu(x, approximate="tanh")) / 2 - 1
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        a, b = x.chunk(2, dim=1)
        x = torch.cat((a, F.relu(self.c3(b))), dim=1)[:, 1:7]
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


NETS = {"extops": ExtOps, "resnet18": ResNet18, "densenet": DenseNet, "mobilenetv2": MobileNetV2, "vgg": VGG,
        "lenet": LeNet, "inception": Inception, "preact": PreAct, "matmul": MatMulNet}


# torchvision 0.14's CNN classifiers (tv:NAME), as a user builds them: weights=None, the
# classes given; auxiliary classifiers off (they are not in the evaluation graph).
TORCHVISION = ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg11_bn", "alexnet",
               "squeezenet1_1", "densenet121", "googlenet", "inception_v3", "shufflenet_v2_x1_0", "mobilenet_v2",
               "mobilenet_v3_small", "mnasnet0_5", "efficientnet_b0", "regnet_y_400mf", "regnet_x_400mf",
               "convnext_tiny"]


def torchvision_net(name, in_ch, classes):
    import torchvision
    if in_ch != 3:
        raise SystemExit(f"tv:{name}: torchvision's classifiers take 3 channels")
    kw = {"weights": None, "num_classes": classes}
    if name in ("googlenet", "inception_v3"):
        kw.update(aux_logits=False, init_weights=True)
    return torchvision.models.get_model(name, **kw) if hasattr(torchvision.models, "get_model") \
        else getattr(torchvision.models, name)(**kw)


def build(name, in_ch=3, classes=10):
    if name.startswith(("vit_", "swin_")):
        import onnx_vit
        return onnx_vit.build(name, in_ch, classes)
    if name.startswith("tv:"):
        return torchvision_net(name[3:], in_ch, classes)
    return NETS[name](in_ch, classes)


def randomize(net, seed, keep_last_bn=False):
    """PyTorch's initialisation with seed, then batch norms with random γ, β and running statistics
    (a trained network's are not 1, 0, 0, 1), except the last one when keep_last_bn; layer norms
    with random γ and β, and ConvNeXt's layer scales (initially 1e-6) random in [0.1, 1]."""
    torch.manual_seed(seed)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    if keep_last_bn:
        bns = bns[:-1]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(7)
        for m in net.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
        for name, p in net.named_parameters():
            if name.endswith("layer_scale"):
                p.uniform_(0.1, 1.0)
    import onnx_vit
    return onnx_vit.randomize(net)
