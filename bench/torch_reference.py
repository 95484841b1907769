"""PyTorch twin of lib/model (same architecture, dims, tokens, batch) for the throughput benchmark.

Run by bench/train-throughput.ts:  python3 bench/torch_reference.py --config '<ModelConfig JSON>' --batch 32
Prints one JSON object on the last line. Mirrors: lib/model/transformer.ts (pre-LN blocks over
[text ; image] tokens, fused QKV, GELU x*sigmoid(1.702x), PAD keys masked), lib/model/flow.ts
(x_t = (1-t) x0 + t eps, target eps - x0, t = sigmoid(n)), lib/model/optimizer.ts (AdamW + clip 1.0).
"""
import argparse
import json
import math
import re
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu(x):
    return x * torch.sigmoid(1.702 * x)


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.up = nn.Linear(d, hidden)
        self.down = nn.Linear(hidden, d)

    def forward(self, x):
        return self.down(gelu(self.up(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dModel"]
        self.heads = c["nHeads"]
        self.attn_norm = nn.LayerNorm(d, eps=c["layerNormEps"])
        self.qkv = nn.Linear(d, 3 * d)
        self.attn_out = nn.Linear(d, d)
        self.mlp_norm = nn.LayerNorm(d, eps=c["layerNormEps"])
        self.mlp = Mlp(d, c["mlpRatio"] * d)
        self.text_mlp = Mlp(d, c["mlpRatio"] * d) if c["mixtureOfTransformers"] else None
        self.text_len = c["maxTextTokens"]

    def forward(self, x, bias):
        B, T, D = x.shape
        H = self.heads
        dh = D // H
        qkv = self.qkv(self.attn_norm(x)).view(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)  # [3, B, H, T, dh]
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q / math.sqrt(dh)) @ k.transpose(-2, -1) + bias  # [B, H, T, T]
        o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.attn_out(o)
        h = self.mlp_norm(x)
        if self.text_mlp is None:
            m = self.mlp(h)
        else:
            m = torch.cat([self.text_mlp(h[:, : self.text_len]), self.mlp(h[:, self.text_len :])], 1)
        return x + m


class UnifiedModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dModel"]
        grid = c["imageSize"] // c["patchSize"]
        patch_dim = c["patchSize"] ** 2 * c["channels"]
        self.c = c
        self.text_embed = nn.Embedding(c["vocabSize"], d)
        self.text_pos = nn.Parameter(torch.randn(c["maxTextTokens"], d) * 0.02)
        self.image_pos = nn.Parameter(torch.randn(grid * grid, d) * 0.02)
        self.patch_embed = nn.Linear(patch_dim, d)
        self.time_in = nn.Linear(c["timestepFeatures"], d)
        self.time_out = nn.Linear(d, d)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c["nLayers"])])
        self.final_norm = nn.LayerNorm(d, eps=c["layerNormEps"])
        self.head = nn.Linear(d, patch_dim)
        half = c["timestepFeatures"] // 2
        self.register_buffer("freqs", 1000 * torch.exp(-math.log(10000) * torch.arange(half) / half))

    def forward(self, xt, t, tokens):
        B = xt.shape[0]
        args = t[:, None] * self.freqs[None]
        time = self.time_out(F.silu(self.time_in(torch.cat([args.cos(), args.sin()], 1))))
        text = self.text_embed(tokens) + self.text_pos
        image = self.patch_embed(xt) + self.image_pos + time[:, None]
        x = torch.cat([text, image], 1)
        pad = torch.cat([tokens == 0, torch.zeros(B, image.shape[1], dtype=torch.bool)], 1)
        bias = (pad.float() * -1e9)[:, None, None, :]  # [B, 1, 1, T]
        if self.c["textCausal"]:  # text queries see only earlier text tokens
            T, Tt = x.shape[1], self.c["maxTextTokens"]
            i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
            ahead = ((i < Tt) & (j > i)).float() * -1e9  # [T, T]
            bias = torch.minimum(bias, ahead[None, None])  # [B, 1, T, T]: masked if PAD or ahead
        for block in self.blocks:
            x = block(x, bias)
        return self.head(self.final_norm(x[:, self.c["maxTextTokens"] :]))


def torch_name(name):
    """lib/model's dotted variable name -> this module's parameter name."""
    parts = name.split(".")
    snake = [re.sub(r"(?<!^)(?=[A-Z])", "_", p).lower() for p in parts]
    last = {"w": "weight", "b": "bias", "gain": "weight"}.get(snake[-1], snake[-1])
    if snake == ["text_embed"]:
        return "text_embed.weight"
    return ".".join(snake[:-1] + [last])


def check(payload_file):
    """Loads lib/model weights and an input (bench/check-equivalence.ts) and compares velocities."""
    payload = json.load(open(payload_file))
    c = payload["config"]
    model = UnifiedModel(c)
    params = dict(model.named_parameters())
    loaded = set()
    for name, w in payload["weights"].items():
        target = params[torch_name(name)]
        value = torch.tensor(w["values"], dtype=torch.float32).reshape(w["shape"])
        if name.endswith(".w"):
            value = value.t()  # tfjs dense weights are [in, out]; torch Linear stores [out, in]
        assert target.shape == value.shape, (name, target.shape, value.shape)
        with torch.no_grad():
            target.copy_(value)
        loaded.add(torch_name(name))
    assert loaded == set(params), set(params) ^ loaded
    grid = c["imageSize"] // c["patchSize"]
    patch_dim = c["patchSize"] ** 2 * c["channels"]
    B = len(payload["t"])
    xt = torch.tensor(payload["xt"]).reshape(B, grid * grid, patch_dim)
    tokens = torch.tensor(payload["tokens"]).reshape(B, c["maxTextTokens"])
    with torch.no_grad():
        v = model(xt, torch.tensor(payload["t"]), tokens)
    diff = (v.flatten() - torch.tensor(payload["v"])).abs().max().item()
    print(json.dumps({"max_abs_diff": diff, "params": sum(p.numel() for p in model.parameters())}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", help="compare with lib/model on a payload from bench/check-equivalence.ts")
    parser.add_argument("--config")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--sample-steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0)
    a = parser.parse_args()
    if a.check:
        return check(a.check)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    c = json.loads(a.config)
    model = UnifiedModel(c)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    grid = c["imageSize"] // c["patchSize"]
    patch_dim = c["patchSize"] ** 2 * c["channels"]
    B, Tt = a.batch, c["maxTextTokens"]
    x0 = torch.rand(B, grid * grid, patch_dim) * 2 - 1
    lengths = torch.randint(4, Tt + 1, (B, 1))
    tokens = torch.randint(1, c["vocabSize"], (B, Tt)) * (torch.arange(Tt)[None] < lengths)

    def step():
        t = torch.sigmoid(torch.randn(B))
        eps = torch.randn_like(x0)
        drop = torch.rand(B, 1) < 0.1
        toks = tokens.masked_fill(drop, 0)
        xt = (1 - t[:, None, None]) * x0 + t[:, None, None] * eps
        loss = F.mse_loss(model(xt, t, toks), eps - x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    samples_per_s = a.steps * B / (time.perf_counter() - started)
    samples_per_cpu_s = a.steps * B / (time.process_time() - cpu_started)

    started = time.perf_counter()
    with torch.no_grad():  # Euler + CFG: 2B rows per forward, as lib/generate/sampler.ts
        x = torch.randn_like(x0)
        both = torch.cat([tokens, torch.zeros_like(tokens)], 0)
        ts = torch.linspace(1, 0, a.sample_steps + 1)
        for i in range(a.sample_steps):
            v = model(torch.cat([x, x], 0), ts[i].repeat(2 * B), both)
            vc, vu = v.chunk(2)
            x = x - (vu + 4 * (vc - vu)) * (ts[i] - ts[i + 1])
    sampling = B / (time.perf_counter() - started)
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters()),
        "samples_per_s": samples_per_s,
        "samples_per_cpu_s": samples_per_cpu_s,
        "sampling_images_per_s": sampling,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
