"""Vision transformers for the ONNX tests (cmd/landscape/vit_test.go), built by onnx_nets.build:

  tv:vit_b_16   torchvision's ViT-B/16 (224×224)
  vit_tv        torchvision's VisionTransformer, small: 32×32 images, 8×8 patches, 2 layers of
                2 heads, width 32, MLP 64 (its nn.MultiheadAttention exports sequence-first, the
                batch merged with the heads)
  vit_*         TinyViT, attention written batch-first as timm writes it (qkv.chunk(3), heads
                by reshape and transpose, q @ k.transpose(-2, -1) * scale):
    vit_pre     pre-norm blocks, class token, erf GELU
    vit_post    post-norm blocks (norm(x + f(x)))
    vit_deit    class and distillation tokens, the two heads averaged (DeiT)
    vit_scale   layer scale (γ·f(x), CaiT/DeiT-III) and GELU's tanh form
    vit_mean    no class token: global mean pooling over the tokens
    vit_hybrid  a conv stem (conv, batch norm, ReLU) before a 2×2 patch embedding
  swin_tiny     torchvision's SwinTransformer, small: 32×32 images, 4×4 patches of width 16, stages
                of 2 blocks (4 and 8 heads of width 4, so that the exported scale 4^-½ is exact in
                float32) with 3×3 windows: 8×8 tokens padded to 9×9, shifted
                windows with their mask, patch merging to 4×4 padded to 6×6

The export of torchvision's ViT initialises its head and class token to zero; randomize gives
them random values.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.qkv, self.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)
        # 1/√(head width) rounded to float32, the constant the ONNX export stores: in float64
        # (the Hessian references) the module then computes the exported function exactly.
        self.scale = torch.tensor((d // heads) ** -0.5, dtype=torch.float32).item()

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, n, self.h, c // self.h).transpose(1, 2) for t in (q, k, v))
        a = (q @ k.transpose(-2, -1)) * self.scale
        o = (a.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(o)


class Block(nn.Module):
    def __init__(self, d, heads, mlp, post=False, scale=False, approximate="none"):
        super().__init__()
        self.n1, self.attn, self.n2 = nn.LayerNorm(d), Attention(d, heads), nn.LayerNorm(d)
        self.fc1, self.fc2, self.post, self.approx = nn.Linear(d, mlp), nn.Linear(mlp, d), post, approximate
        self.g1 = nn.Parameter(torch.rand(d) * 0.9 + 0.1) if scale else None
        self.g2 = nn.Parameter(torch.rand(d) * 0.9 + 0.1) if scale else None

    def mlp(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate=self.approx))

    def forward(self, x):
        if self.post:
            x = self.n1(x + self.attn(x))
            return self.n2(x + self.mlp(x))
        a, m = self.attn, self.mlp
        if self.g1 is not None:
            return self.scaled(x)
        x = x + a(self.n1(x))
        return x + m(self.n2(x))

    def scaled(self, x):
        x = x + self.g1 * self.attn(self.n1(x))
        return x + self.g2 * self.mlp(self.n2(x))


class TinyViT(nn.Module):
    def __init__(self, in_ch=3, classes=10, hw=32, patch=8, d=32, heads=4, depth=2, mlp=64, post=False,
                 dist=False, scale=False, approximate="none", pool="cls", hybrid=False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_ch, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU()) if hybrid else None
        cin, patch = (8, patch // 4) if hybrid else (in_ch, patch)
        grid = hw // (patch * (2 if hybrid else 1))
        self.embed = nn.Conv2d(cin, d, patch, patch)
        self.pool, self.dist = pool, dist
        extra = 0 if pool == "mean" else (2 if dist else 1)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.5) if extra else None
        self.dist_token = nn.Parameter(torch.randn(1, 1, d) * 0.5) if dist else None
        self.pos = nn.Parameter(torch.randn(1, grid * grid + extra, d) * 0.2)
        self.blocks = nn.Sequential(*[Block(d, heads, mlp, post, scale, approximate) for _ in range(depth)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)
        self.head_dist = nn.Linear(d, classes) if dist else None

    def forward(self, x):
        if self.stem is not None:
            x = self.stem(x)
        x = self.embed(x).flatten(2).transpose(1, 2)
        b = x.shape[0]
        if self.dist:
            x = torch.cat((self.cls.expand(b, -1, -1), self.dist_token.expand(b, -1, -1), x), dim=1)
        elif self.cls is not None:
            x = torch.cat((self.cls.expand(b, -1, -1), x), dim=1)
        x = self.norm(self.blocks(x + self.pos))
        if self.pool == "mean":
            return self.head(x.mean(dim=1))
        if self.dist:
            return (self.head(x[:, 0]) + self.head_dist(x[:, 1])) / 2
        return self.head(x[:, 0])


VARIANTS = {"vit_pre": {}, "vit_post": {"post": True}, "vit_deit": {"dist": True},
            "vit_scale": {"scale": True, "approximate": "tanh"}, "vit_mean": {"pool": "mean"},
            "vit_hybrid": {"hybrid": True}}


def build(name, in_ch=3, classes=10):
    if name == "vit_tv":
        import torchvision
        return torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                                    hidden_dim=32, mlp_dim=64, num_classes=classes)
    if name == "swin_tiny":
        from torchvision.models.swin_transformer import SwinTransformer
        return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[4, 8], window_size=[3, 3],
                               stochastic_depth_prob=0.0, num_classes=classes)
    return TinyViT(in_ch, classes, **VARIANTS[name])


def randomize(net):
    """torchvision's zero-initialised class token and head get random values; Swin's relative
    position bias tables (initially N(0, 0.02²)) values large enough to move the attention."""
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name == "class_token" or name.startswith("heads."):
                p.normal_(0, 0.3)
            if name.endswith("relative_position_bias_table"):
                p.normal_(0, 0.5)
    return net
