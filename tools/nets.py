# Copied unchanged from the shared peer folder (../shared/peer/nets.py) so that the PyTorch
# reference tools and tests run from the repository alone. Written independently of the Go code.
"""Reference networks, written independently, with the parameter names of the paper's CIFAR model zoo."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, shortcut=True):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.use_shortcut = shortcut
        if shortcut and (stride != 1 or cin != cout):
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Sequential()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.use_shortcut:
            y = y + self.shortcut(x)
        return F.relu(y)


class CifarResNet(nn.Module):
    def __init__(self, depth, in_ch=3, classes=10, shortcut=True, width=1):
        super().__init__()
        n = (depth - 2) // 6
        c = 16 * width
        self.conv1 = nn.Conv2d(in_ch, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        cin = c
        for i, (cout, stride) in enumerate([(c, 1), (2 * c, 2), (4 * c, 2)]):
            blocks = []
            for k in range(n):
                blocks.append(Block(cin, cout, stride if k == 0 else 1, shortcut))
                cin = cout
            setattr(self, f"layer{i+1}", nn.Sequential(*blocks))
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.linear(x)


class VGG9(nn.Module):
    """Parameter names as the paper's zoo: features.N (conv with bias, BN, ReLU, ceil-mode max pools), fc.0/fc.1 (Linear, BN1d), classifier."""
    def __init__(self, in_ch=3, classes=10, hw=32):
        super().__init__()
        cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M"]
        layers, c, s = [], in_ch, hw
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                s = -(-s // 2)
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Linear(256 * s * s, 256), nn.BatchNorm1d(256), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(256, classes)

    def forward(self, x):
        return self.classifier(self.fc(self.features(x).flatten(1)))


def build(name, in_ch, classes, hw=32):
    name = name.lower()
    if name.startswith("resnet"):
        short = not name.endswith("-noshort")
        depth = int(name[len("resnet"):].split("-")[0])
        return CifarResNet(depth, in_ch, classes, short)
    if name == "vgg9":
        return VGG9(in_ch, classes, hw)
    raise ValueError(name)
