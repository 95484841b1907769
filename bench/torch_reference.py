"""PyTorch twin of a lib/model generation training step (same architecture, dims, tokens, batch) for the bench.

Run by bench/train-throughput.ts:
  python3 bench/torch_reference.py --config '<ModelConfig JSON>' --plan '<plan spec JSON>' --batch 32
  python3 bench/torch_reference.py --sample ... (the sampler of lib/generate/sampler.ts: bench/torch_sampler.py)
Prints one JSON object on the last line. Mirrors: lib/model/transformer.ts (pre-LN blocks over
[text ; 4 plan tokens ; image], fused QKV, GELU x*sigmoid(1.702x), PAD text keys masked, MoT text side = text + plan),
lib/model/plan.ts planTokens (a present slot = sum of its attribute embeddings, an absent one = the empty-slot
embedding, a row that does not think = the null plan), lib/model/train-step.ts (a dropped prompt reads the null plan),
lib/model/flow.ts (x_t = (1-t) x0 + t eps, target eps - x0, t = sigmoid(n)), lib/model/optimizer.ts (AdamW + clip 1.0),
and with planMap / planCanvas lib/model/plan.ts planMap and planCanvas: the plan's box geometry (coverage, offsets,
canvas) is computed here from the integer plans with numpy, as lib/model computes it on the CPU, outside autograd.
Only the weights a generation step trains exist here: the understanding heads and the plan-prediction queries/head
of lib/model/params.ts get no gradient from it (bench/check-equivalence.ts checks both sets agree).
"""
import argparse
import json
import math
import re
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu(x):
    return x * torch.sigmoid(1.702 * x)


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


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

    def forward(self, x, bias, text_side):
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
        else:  # Mixture-of-Transformers: text and plan tokens use the text MLP
            m = torch.cat([self.text_mlp(h[:, :text_side]), self.mlp(h[:, text_side:])], 1)
        return x + m


OFFSET_FEATURES = 4  # lib/model/classes.ts: coverage-weighted dx, dy, dx^2, dy^2 per image token
CANVAS_MARGIN = 1.15  # lib/model/plan.ts CANVAS_MARGIN (not exported): box half-width of the canvas, in radii
CANVAS_ATTRIBUTES = ("shape", "color", "texture", "size")  # the canvas' one-hot blocks, in this order, then dx, dy, inside


def canvas_channels(spec):
    """lib/model/classes.ts CANVAS_CHANNELS."""
    return sum(spec["classes"][f] for f in CANVAS_ATTRIBUTES) + 3


class PlanEmbedding(nn.Module):
    """lib/model/plan.ts planTokens: [B, S, D] plan tokens from plans [B, S, fields] and thinking flags [B];
    with planMap it also holds think.layoutMap (and with planCanvas think.offsetMap), the maps of plan.ts planMap."""

    def __init__(self, d, plan, c):
        super().__init__()
        self.attributes = [snake(f) for f in plan["fields"][1:]]  # every field but 'present'
        for field, name in zip(plan["fields"][1:], self.attributes):
            setattr(self, name, nn.Parameter(torch.randn(plan["classes"][field], d) * 0.02))
        self.empty_slot = nn.Parameter(torch.randn(1, d) * 0.02)
        self.null_plan = nn.Parameter(torch.randn(plan["slots"], d) * 0.02)
        # Zero at start as in lib/model/params.ts; tfjs layout [in, out], used as x @ map.
        if c.get("planMap", False):
            self.layout_map = nn.Parameter(torch.zeros(d, d))
        if c.get("planCanvas", False):
            self.offset_map = nn.Parameter(torch.zeros(OFFSET_FEATURES, d))

    def forward(self, plan, thinking):
        present = plan[..., 0] == 1  # [B, S]
        attributes = plan[..., 1:].clamp(min=0)  # absent slots hold -1 (PLAN_IGNORE): any row, masked below
        slot = sum(getattr(self, name)[attributes[..., f]] for f, name in enumerate(self.attributes))  # [B, S, D]
        slot = torch.where(present[..., None], slot, self.empty_slot)
        return torch.where(thinking[:, None, None], slot, self.null_plan[None])

    def spread(self, slots, coverage, offsets):
        """lib/model/plan.ts planMap: slot tokens [B, S, D] over the image tokens they cover [B, Np, S], mapped, [B, Np, D]."""
        mapped = (coverage @ slots) @ self.layout_map
        return mapped + offsets @ self.offset_map if hasattr(self, "offset_map") else mapped


def slot_boxes(c, spec, plan, thinking, b):
    """lib/model/plan.ts slotBoxes: (slot, cx, cy, radius) of row b's present slots in model pixels; none if it does
    not think. Float64 in the same operation order as the TS, so both sides round alike."""
    if not thinking[b]:
        return []
    grid, fields = c["planGrid"], spec["fields"]
    cell_side, scale = c["imageSize"] / grid, c["imageSize"] / spec["worldImageSize"]
    cell_col, size_col = fields.index("cell"), fields.index("size")
    boxes = []
    for s in range(spec["slots"]):
        if plan[b, s, 0] != 1:
            continue
        cell = int(plan[b, s, cell_col])
        radius = (spec["sizeDiameters"][plan[b, s, size_col]] / 2) * scale
        boxes.append((s, ((cell % grid) + 0.5) * cell_side, ((cell // grid) + 0.5) * cell_side, radius))
    return boxes


def slot_coverage(c, spec, plan, thinking):
    """lib/model/plan.ts slotCoverage: Gaussian coverage of each slot's box over the patch centres [B, Np, S] and the
    coverage-weighted offsets (dx, dy, dx^2, dy^2) from the box centres in radii [B, Np, OFFSET_FEATURES]."""
    g, p = c["imageSize"] // c["patchSize"], c["patchSize"]
    B, S = plan.shape[:2]
    n = np.arange(g * g)
    px, py = ((n % g) + 0.5) * p, ((n // g) + 0.5) * p
    coverage, offsets = np.zeros((B, g * g, S)), np.zeros((B, g * g, OFFSET_FEATURES))
    for b in range(B):
        for s, cx, cy, radius in slot_boxes(c, spec, plan, thinking, b):
            dx, dy = (px - cx) / radius, (py - cy) / radius
            w = np.exp(-(dx * dx + dy * dy) / 2)
            coverage[b, :, s] = w
            offsets[b] += w[:, None] * np.stack([dx, dy, dx * dx, dy * dy], 1)
    return torch.from_numpy(coverage).float(), torch.from_numpy(offsets).float()


def plan_canvas(c, spec, plan, thinking):
    """lib/model/plan.ts planCanvas as the pixel grid tokens_to_grid makes of it, [B, CANVAS_CHANNELS, H, W]: a pixel
    within CANVAS_MARGIN radii (per axis) of present slots' box centres carries the front-most one's (highest depth
    rank; on a tie the earlier slot) one-hots, (dx, dy) in radii and inside = 1."""
    side, fields, classes = c["imageSize"], spec["fields"], spec["classes"]
    starts = np.cumsum([0] + [classes[f] for f in CANVAS_ATTRIBUTES])  # the last start is (dx, dy, inside)
    columns = [fields.index(f) for f in CANVAS_ATTRIBUTES]
    rank_col = fields.index("depthRank")
    centres = np.arange(side) + 0.5
    canvas = np.zeros((plan.shape[0], canvas_channels(spec), side, side))
    for b in range(plan.shape[0]):
        front = np.full((side, side), -1)  # depth rank painted at each pixel so far
        for s, cx, cy, radius in slot_boxes(c, spec, plan, thinking, b):
            rank = plan[b, s, rank_col]
            dx, dy = (centres - cx) / radius, (centres - cy) / radius  # per column, per row
            inside = (np.abs(dy)[:, None] <= CANVAS_MARGIN) & (np.abs(dx)[None, :] <= CANVAS_MARGIN) & (rank > front)
            front[inside] = rank
            here = canvas[b]  # [K, H, W] view
            here[:, inside] = 0
            for start, column in zip(starts, columns):
                here[start + plan[b, s, column]][inside] = 1
            here[starts[-1]][inside] = np.broadcast_to(dx[None, :], (side, side))[inside]
            here[starts[-1] + 1][inside] = np.broadcast_to(dy[:, None], (side, side))[inside]
            here[starts[-1] + 2][inside] = 1
    return torch.from_numpy(canvas).float()


def plan_conditioning(model, plan, thinking):
    """lib/model/plan.ts planConditioning: (plan tokens [B, S, D], plan map [B, Np, D] or None, canvas or None); the
    map and canvas exist only when the model has them and some row thinks (the transformer reads zeros otherwise)."""
    extra = model.think(plan, thinking)
    c, spec = model.c, model.spec
    if not bool(thinking.any()):
        return extra, None, None
    plan_np, thinking_np = plan.numpy(), thinking.numpy()
    plan_map = model.think.spread(extra, *slot_coverage(c, spec, plan_np, thinking_np)) if c.get("planMap", False) else None
    canvas = plan_canvas(c, spec, plan_np, thinking_np) if c.get("planCanvas", False) else None
    return extra, plan_map, canvas

def blocks_to_grid(blocks, g, p):
    """Blocks [B, g*g, p*p*C] (inner (dy, dx, c)) -> grid [B, C, g*p, g*p] (lib/model/conv.ts blocksToGrid, then NCHW)."""
    B, _, width = blocks.shape
    ch = width // (p * p)
    rows = blocks.reshape(B * g, g, p, p * ch).transpose(1, 2)  # [B*py, dy, px, (dx, c)]
    return rows.reshape(B, g * p, g * p, ch).permute(0, 3, 1, 2)


def grid_to_blocks(grid, p):
    """Grid [B, C, g*p, g*p] -> blocks [B, g*g, p*p*C] (the inverse of blocks_to_grid)."""
    x = grid.permute(0, 2, 3, 1)
    B, ch = x.shape[0], x.shape[3]
    g = x.shape[1] // p
    rows = x.reshape(B * g, p, g, p * ch).transpose(1, 2)  # [B*py, px, dy, (dx, c)]
    return rows.reshape(B, g * g, p * p * ch)


def tokens_to_grid(tokens, c):
    """Image tokens [B, Np, p*p*C] -> pixel grid [B, C, H, W] (lib/model/conv.ts tokensToGrid, then NCHW)."""
    return blocks_to_grid(tokens, c["imageSize"] // c["patchSize"], c["patchSize"])


def grid_to_tokens(grid, c):
    """Pixel grid [B, C, H, W] -> tokens [B, Np, p*p*C] (the inverse of tokens_to_grid)."""
    return grid_to_blocks(grid, c["patchSize"])


class ConvAround(nn.Module):
    """lib/model/conv.ts: conv stem features beside each patch's pixels, residual conv refine of the head's output."""

    def __init__(self, c, spec):
        super().__init__()
        k, ch = c["convChannels"], c["channels"]
        canvas = canvas_channels(spec) if c.get("planCanvas", False) else 0  # the plan canvas joins both inputs
        self.stem = nn.Conv2d(ch + canvas, k, 3, padding=1)
        self.refine_in = nn.Conv2d(2 * ch + canvas, k, 3, padding=1)
        self.refine_hidden = nn.ModuleList([nn.Conv2d(k, k, 3, padding=1) for _ in range(c.get("refineLayers", 1) - 1)])
        self.refine_out = nn.Conv2d(k, ch, 3, padding=1)

    def stem_tokens(self, xt, canvas, c):
        """lib/model/conv.ts stemTokens: [x_t ; GELU(stem([x_t ; canvas]))] per token."""
        pixels = [tokens_to_grid(xt, c)] + ([] if canvas is None else [canvas])
        return torch.cat([xt, grid_to_tokens(gelu(self.stem(torch.cat(pixels, 1))), c)], 2)

    def refine(self, out, xt, canvas, c):
        """lib/model/conv.ts refineVelocity: out + conv(GELU(... GELU(conv([out ; x_t ; canvas])))) on the pixel grid."""
        grid = tokens_to_grid(out, c)
        hidden = gelu(self.refine_in(torch.cat([grid, tokens_to_grid(xt, c)] + ([] if canvas is None else [canvas]), 1)))
        for layer in self.refine_hidden:
            hidden = gelu(layer(hidden))
        return grid_to_tokens(grid + self.refine_out(hidden), c)


class UnifiedModel(nn.Module):
    def __init__(self, c, plan):
        super().__init__()
        d = c["dModel"]
        grid = c["imageSize"] // c["patchSize"]
        patch_dim = c["patchSize"] ** 2 * c["channels"]
        self.c, self.spec = c, plan
        self.text_embed = nn.Embedding(c["vocabSize"], d)
        self.text_pos = nn.Parameter(torch.randn(c["maxTextTokens"], d) * 0.02)
        self.image_pos = nn.Parameter(torch.randn(grid * grid, d) * 0.02)
        conv = c["convChannels"]
        self.patch_embed = nn.Linear(patch_dim + c["patchSize"] ** 2 * conv, d)
        if conv > 0:
            self.conv = ConvAround(c, plan)
        self.time_in = nn.Linear(c["timestepFeatures"], d)
        self.time_out = nn.Linear(d, d)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c["nLayers"])])
        self.final_norm = nn.LayerNorm(d, eps=c["layerNormEps"])
        self.head = nn.Linear(d, patch_dim)
        self.extra_pos = nn.Parameter(torch.randn(plan["maxExtraTokens"], d) * 0.02)
        self.think = PlanEmbedding(d, plan, c)
        half = c["timestepFeatures"] // 2
        self.register_buffer("freqs", 1000 * torch.exp(-math.log(10000) * torch.arange(half) / half))

    def forward(self, xt, t, tokens, extra, plan_map=None, canvas=None):
        """Velocity [B, Np, patchDim] over [text ; extra ; image]; extra [B, K, D] already embedded; plan_map [B, Np, D]
        is added to the image tokens' embeddings, canvas [B, CANVAS_CHANNELS, H, W] joins the conv inputs (plan_conditioning)."""
        B, K = xt.shape[0], extra.shape[1]
        Tt = self.c["maxTextTokens"]
        args = t[:, None] * self.freqs[None]
        time = self.time_out(F.silu(self.time_in(torch.cat([args.cos(), args.sin()], 1))))
        text = self.text_embed(tokens) + self.text_pos
        conv = getattr(self, "conv", None)
        if conv is not None and self.c.get("planCanvas", False) and canvas is None:  # transformer.ts canvasOrZeros
            canvas = xt.new_zeros(B, canvas_channels(self.spec), self.c["imageSize"], self.c["imageSize"])
        image_in = xt
        if conv is not None:
            image_in = conv.stem_tokens(xt, canvas, self.c)
        image = self.patch_embed(image_in) + self.image_pos + time[:, None]
        if plan_map is not None:
            image = image + plan_map
        x = torch.cat([text, extra + self.extra_pos[:K], image], 1)  # [B, T, D]
        pad = torch.cat([tokens == 0, torch.zeros(B, K + image.shape[1], dtype=torch.bool)], 1)
        bias = (pad.float() * -1e9)[:, None, None, :]  # [B, 1, 1, T]: PAD text keys masked
        if self.c["textCausal"]:  # text queries see only earlier text tokens
            T = x.shape[1]
            i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
            ahead = ((i < Tt) & (j > i)).float() * -1e9  # [T, T]
            bias = torch.minimum(bias, ahead[None, None])  # [B, 1, T, T]: masked if PAD or ahead
        for block in self.blocks:
            x = block(x, bias, Tt + K)
        out = self.head(self.final_norm(x[:, Tt + K :]))
        if conv is not None:
            out = conv.refine(out, xt, canvas, self.c)
        if self.c["cleanPrediction"]:  # x-prediction: out is x0_hat, v = (x_t - x0_hat) / max(t, minT)
            out = (xt - out) / t.clamp(min=self.c["cleanPredictionMinT"])[:, None, None]
        return out


def flow_loss(model, x0, eps, t, tokens, plan, thinking):
    """flowTrainStep's forward after sampling: velocity, per-sample squared error and the mean loss."""
    thinking = thinking & (tokens != 0).any(1)  # a dropped (all-PAD) prompt reads the null plan: CFG's branch
    xt = (1 - t[:, None, None]) * x0 + t[:, None, None] * eps
    v = model(xt, t, tokens, *plan_conditioning(model, plan, thinking))
    per_token = ((v - (eps - x0)) ** 2).mean(-1)  # [B, Np]
    return v, per_token.mean(1), per_token.mean()


def torch_name(name):
    """lib/model's dotted variable name -> this module's parameter name."""
    snake_parts = [snake(p) for p in name.split(".")]
    last = {"w": "weight", "b": "bias", "gain": "weight"}.get(snake_parts[-1], snake_parts[-1])
    if snake_parts == ["text_embed"]:
        return "text_embed.weight"
    return ".".join(snake_parts[:-1] + [last])


def tensor_of(entry):
    return torch.tensor(entry["values"], dtype=torch.float32).reshape(entry["shape"])


def to_torch_layout(name, value):
    """tfjs dense weights are [in, out] (torch Linear: [out, in]); conv kernels [kh, kw, in, out] (torch: [out, in, kh, kw])."""
    if not name.endswith(".w"):
        return value
    return value.permute(3, 2, 0, 1) if value.dim() == 4 else value.t()


def check(payload_file):
    """Loads lib/model weights and a generation step's inputs (bench/check-equivalence.ts); compares v, loss, grads."""
    p = json.load(open(payload_file))
    c = p["config"]
    model = UnifiedModel(c, p["planSpec"])
    params = dict(model.named_parameters())
    for name, w in p["weights"].items():
        value = to_torch_layout(name, tensor_of(w))
        target = params[torch_name(name)]
        assert target.shape == value.shape, (name, target.shape, value.shape)
        with torch.no_grad():
            target.copy_(value)
    loaded = {torch_name(n) for n in p["weights"]}
    assert loaded == set(params), f"twin parameters != tfjs trained variables: {sorted(set(params) ^ loaded)}"
    grid = c["imageSize"] // c["patchSize"]
    patch_dim = c["patchSize"] ** 2 * c["channels"]  # values per image token
    B = len(p["t"])
    shape = (B, grid * grid, patch_dim)
    x0, eps = torch.tensor(p["x0"]).reshape(shape), torch.tensor(p["eps"]).reshape(shape)
    tokens = torch.tensor(p["tokens"]).reshape(B, c["maxTextTokens"])
    plan = torch.tensor(p["plan"]).reshape(B, p["planSpec"]["slots"], len(p["planSpec"]["fields"]))
    thinking = torch.tensor(p["thinking"]) == 1
    v, per_sample, loss = flow_loss(model, x0, eps, torch.tensor(p["t"]), tokens, plan, thinking)
    loss.backward()
    with_grad = {n for n, q in params.items() if q.grad is not None}
    grad_diff, grad_max = 0.0, 0.0
    for name, g in p["grads"].items():
        mine = params[torch_name(name)].grad
        theirs = to_torch_layout(name, tensor_of(g))
        grad_diff = max(grad_diff, (mine - theirs).abs().max().item())
        grad_max = max(grad_max, theirs.abs().max().item())
    grad_norm = math.sqrt(sum(float((q.grad**2).sum()) for q in params.values() if q.grad is not None))
    print(json.dumps({
        "max_abs_diff_velocity": (v.flatten() - torch.tensor(p["v"])).abs().max().item(),
        "max_abs_velocity": max(abs(x) for x in p["v"]),
        "loss_torch": loss.item(),
        "max_abs_diff_per_sample_loss": (per_sample - torch.tensor(p["perSampleLoss"])).abs().max().item(),
        "max_abs_diff_grad": grad_diff,
        "max_abs_grad": grad_max,
        "grad_norm_torch": grad_norm,
        "trained_sets_equal": with_grad == {torch_name(n) for n in p["grads"]},
        "params_torch": sum(q.numel() for q in params.values()),
    }))


def random_plans(B, spec, gen):
    """Plans [B, S, fields] with the layout of lib/train/plan.ts: absent slots are present=0, other fields -1."""
    S, fields = spec["slots"], spec["fields"]
    present = (torch.rand(B, S, generator=gen) < 0.5).long()
    columns = [present] + [torch.randint(0, spec["classes"][f], (B, S), generator=gen) for f in fields[1:]]
    plan = torch.stack(columns, -1)
    plan[..., 1:] = torch.where(present[..., None] == 1, plan[..., 1:], torch.full_like(plan[..., 1:], -1))
    return plan


def top_ops(step):
    """Self CPU ms of the 12 most expensive torch ops in one step (the tfjs side's profile_top_kernels_ms)."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:12]
    return {e.key: round(e.self_cpu_time_total / 1000, 1) for e in events}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", help="compare with lib/model on a payload from bench/check-equivalence.ts")
    parser.add_argument("--config", help="the resolved ModelConfig, JSON")
    parser.add_argument("--plan", help='plan spec JSON: {"fields", "classes", "slots", "maxExtraTokens"}')
    parser.add_argument("--flow", default='{"timestepShift": 1, "textDropProb": 0.1}', help="FlowConfig JSON")
    parser.add_argument("--think-prob", type=float, default=0.5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--sample-steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also report top ops and the forward/step split")
    # The sampler (torch_sampler.py): --sample measures images per second, --check-sample compares with lib/generate.
    parser.add_argument("--sample", action="store_true", help="measure the sampler (sampleTokens) instead of a training step")
    parser.add_argument("--check-sample", help="compare with lib/generate/sampler.ts on a payload from bench/check-sampling.ts")
    parser.add_argument("--solver", choices=["euler", "heun"], default="euler")
    parser.add_argument("--guidance-scale", type=float, default=4.0)
    parser.add_argument("--guidance-interval", default="0,1", help="lo,hi: guidance only while t lies in [lo, hi]")
    parser.add_argument("--timestep-shift", type=float, default=1.0)
    parser.add_argument("--think", action=argparse.BooleanOptionalAction, default=True, help="condition on (random) plans")
    parser.add_argument("--sample-images", type=int, default=256, help="images per round of --sample")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --sample (the best is reported)")
    a = parser.parse_args()
    if a.check:
        return check(a.check)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.check_sample or a.sample:
        import torch_sampler  # imports this file as a module: no cycle at load time

        return torch_sampler.check_sample(a.check_sample) if a.check_sample else torch_sampler.sample_throughput(a)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    c, spec, flow = json.loads(a.config), json.loads(a.plan), json.loads(a.flow)
    model = UnifiedModel(c, spec)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    grid = c["imageSize"] // c["patchSize"]
    patch_dim = c["patchSize"] ** 2 * c["channels"]  # values per image token
    B, Tt, shift = a.batch, c["maxTextTokens"], flow["timestepShift"]
    x0 = torch.rand(B, grid * grid, patch_dim, generator=gen) * 2 - 1
    lengths = torch.randint(4, Tt + 1, (B, 1), generator=gen)
    tokens = torch.randint(1, c["vocabSize"], (B, Tt), generator=gen) * (torch.arange(Tt)[None] < lengths)
    plan = random_plans(B, spec, gen)
    thinking = torch.rand(B, generator=gen) < a.think_prob

    def forward_loss():
        n = torch.sigmoid(torch.randn(B))
        t = shift * n / (1 + (shift - 1) * n)
        toks = tokens.masked_fill(torch.rand(B, 1) < flow["textDropProb"], 0)
        return flow_loss(model, x0, torch.randn_like(x0), t, toks, plan, thinking)[2]

    def step():
        loss = forward_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    trained = sum(q.numel() for q in model.parameters() if q.grad is not None)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    samples_per_s = a.steps * B / (time.perf_counter() - started)
    samples_per_cpu_s = a.steps * B / (time.process_time() - cpu_started)

    started = time.perf_counter()
    with torch.no_grad():  # Euler + CFG: 2B rows per forward, null plan on both branches, as lib/generate/sampler.ts
        x = torch.randn_like(x0)
        both = torch.cat([tokens, torch.zeros_like(tokens)], 0)
        null_plan = model.think(plan.repeat(2, 1, 1), torch.zeros(2 * B, dtype=torch.bool))
        ts = torch.linspace(1, 0, a.sample_steps + 1)
        ts = shift * ts / (1 + (shift - 1) * ts)
        for i in range(a.sample_steps):
            v = model(torch.cat([x, x], 0), ts[i].repeat(2 * B), both, null_plan)
            vc, vu = v.chunk(2)
            x = x - (vu + 4 * (vc - vu)) * (ts[i] - ts[i + 1])
    sampling = B / (time.perf_counter() - started)
    result = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": sum(q.numel() for q in model.parameters()),
        "params_trained": trained,
        "samples_per_s": samples_per_s,
        "samples_per_cpu_s": samples_per_cpu_s,
        "sampling_images_per_s": sampling,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if a.profile:
        result["top_ops_ms"] = top_ops(step)
        with torch.no_grad():  # as the tfjs split: a forward pass outside any gradient tape
            result["forward_ms"] = best_ms(lambda: forward_loss().item())
        result["step_ms"] = best_ms(step)
    print(json.dumps(result))


def best_ms(run, repeats=3):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


if __name__ == "__main__":
    main()
