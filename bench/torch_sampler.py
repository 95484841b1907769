"""PyTorch twin of lib/generate/sampler.ts sampleTokens, on the twin model of torch_reference.py (same forward).

Reached through torch_reference.py:
  python3 bench/torch_reference.py --sample --config '<ModelConfig JSON>' --plan '<plan spec JSON>' \
      --batch 32 --sample-steps 25 --solver euler --guidance-scale 4 --guidance-interval 0,1 --sample-images 256
      (prints images per second, best of --rounds rounds, as one JSON line)
  python3 bench/torch_reference.py --check-sample payload.json   (bench/check-sampling.ts: the same images?)
Conventions as in lib/model/flow.ts: t = 1 is noise, x_t = (1 - t) x0 + t eps, v = eps - x0, so one Euler step is
x_t' = x_t - (t - t') v. Timesteps linspace(1, 0, N + 1) shifted, rounded to float32 as the TS does. Heun averages v at
t and at the Euler guess at t' (2 velocities per step, the last step Euler). Guidance v = vu + w (vc - vu) only while
t lies in the guidance interval, as one forward over 2B rows [prompt rows ; unconditional rows]; the unconditional
rows read all-PAD text, the null plan, no plan map and an empty canvas. Outside the interval one forward over B rows.
Think mode's plan prediction (predictPlan: one backbone pass over [text ; plan queries] and the cell decoder) is not
mirrored: the twin conditions on given plans; the bench reports the toolkit's time for it beside the ratio.
"""
import json
import math
import time

import numpy as np
import torch

from torch_reference import UnifiedModel, plan_conditioning, random_plans, tensor_of, to_torch_layout, torch_name


def sampling_times(steps, shift):
    """lib/model/flow.ts samplingTimesteps: shift(1 - i / steps) in float64, stored as float32, as Python floats."""
    t = 1 - np.arange(steps + 1) / steps
    return [float(v) for v in (shift * t / (1 + (shift - 1) * t)).astype(np.float32)]


def sampler_conditioning(model, tokens, plan):
    """The prompt rows' conditioning (tokens, plan tokens, plan map, canvas) and the paired [prompt ; unconditional]
    rows' (sampler.ts conditioning). plan [B, S, fields] or None (every row reads the null plan)."""
    B = tokens.shape[0]
    spec = model.spec
    thinking = torch.full((B,), plan is not None, dtype=torch.bool)
    plan = plan if plan is not None else torch.zeros(B, spec["slots"], len(spec["fields"]), dtype=torch.long)
    extra, plan_map, canvas = plan_conditioning(model, plan, thinking)
    null_plan = model.think(plan, torch.zeros(B, dtype=torch.bool))
    with_zeros = lambda x: None if x is None else torch.cat([x, torch.zeros_like(x)], 0)  # noqa: E731
    cond = (tokens, extra, plan_map, canvas)
    paired = (torch.cat([tokens, torch.zeros_like(tokens)], 0), torch.cat([extra, null_plan], 0), with_zeros(plan_map), with_zeros(canvas))
    return cond, paired


def velocity_at(model, conditioning, x, t, guidance):
    """sampler.ts velocityAt: the guided velocity over 2B rows inside the guidance interval, the conditional one outside."""
    cond, paired = conditioning
    scale, lo, hi = guidance
    B = x.shape[0]
    if scale == 1 or not lo <= t <= hi:
        return model(x, torch.full((B,), t), *cond)
    v = model(torch.cat([x, x], 0), torch.full((2 * B,), t), *paired)
    v_cond, v_uncond = v.chunk(2)
    return v_uncond + scale * (v_cond - v_uncond)


def sample_tokens(model, tokens, noise, plan, settings):
    """sampleTokens: image tokens [B, Np, patchDim] from noise x_1 [B, Np, patchDim]; settings as SamplingSettings."""
    guidance = (settings["guidanceScale"], *settings["guidanceInterval"])
    times = sampling_times(settings["steps"], settings["timestepShift"])
    heun = settings["solver"] == "heun"
    conditioning = sampler_conditioning(model, tokens, plan)
    x = noise
    for t, t_next in zip(times[:-1], times[1:]):
        v = velocity_at(model, conditioning, x, t, guidance)
        euler = x - (t - t_next) * v  # x_t' = x_t - (t - t') v
        if heun and t_next > 0:
            v_next = velocity_at(model, conditioning, euler, t_next, guidance)
            x = x - (t - t_next) * (0.5 * (v + v_next))  # trapezoid rule
        else:
            x = euler
    return x


def load_weights(model, weights):
    """Copies lib/model variables (name -> {shape, values}) into the twin; the twin's parameters must all be among them
    (variables it does not have, e.g. understanding heads and plan prediction, are not read by sampling)."""
    params = dict(model.named_parameters())
    loaded = set()
    for name, w in weights.items():
        target = params.get(torch_name(name))
        if target is None:
            continue
        value = to_torch_layout(name, tensor_of(w))
        assert target.shape == value.shape, (name, target.shape, value.shape)
        with torch.no_grad():
            target.copy_(value)
        loaded.add(torch_name(name))
    missing = sorted(set(params) - loaded)
    assert not missing, f"twin parameters with no lib/model variable: {missing}"


def check_sample(payload_file):
    """bench/check-sampling.ts: the toolkit's sampleTokens output for these weights, prompts, plans and noise, compared."""
    p = json.load(open(payload_file))
    c, spec = p["config"], p["planSpec"]
    model = UnifiedModel(c, spec)
    load_weights(model, p["weights"])
    grid = c["imageSize"] // c["patchSize"]
    shape = (-1, grid * grid, c["patchSize"] ** 2 * c["channels"])
    tokens = torch.tensor(p["tokens"]).reshape(-1, c["maxTextTokens"])
    plan = None if p["plan"] is None else torch.tensor(p["plan"]).reshape(tokens.shape[0], spec["slots"], len(spec["fields"]))
    with torch.inference_mode():
        out = sample_tokens(model, tokens, torch.tensor(p["noise"]).reshape(shape), plan, p["settings"])
    toolkit = torch.tensor(p["out"]).reshape(shape)
    print(json.dumps({
        "max_abs_diff_tokens": (out - toolkit).abs().max().item(),
        "max_abs_tokens": toolkit.abs().max().item(),
        "params_torch": sum(q.numel() for q in model.parameters()),
    }))


def sample_throughput(a):
    """Images per second of sample_tokens on a randomly initialised twin (the FLOPs do not depend on the weights): prompts
    of 4-Tt words, random plans when thinking, --sample-images images in batches of --batch, best of --rounds rounds."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    c, spec = json.loads(a.config), json.loads(a.plan)
    settings = {"steps": a.sample_steps, "solver": a.solver, "guidanceScale": a.guidance_scale, "timestepShift": a.timestep_shift,
                "guidanceInterval": [float(v) for v in a.guidance_interval.split(",")]}
    model = UnifiedModel(c, spec).eval()
    grid = c["imageSize"] // c["patchSize"]
    B, Tt = a.batch, c["maxTextTokens"]
    lengths = torch.randint(4, Tt + 1, (B, 1), generator=gen)
    tokens = torch.randint(1, c["vocabSize"], (B, Tt), generator=gen) * (torch.arange(Tt)[None] < lengths)
    plan = random_plans(B, spec, gen) if a.think else None
    batches = math.ceil(a.sample_images / B)
    rounds = []
    with torch.inference_mode():
        for _ in range(a.rounds):
            started = time.perf_counter()
            for _ in range(batches):
                noise = torch.randn(B, grid * grid, c["patchSize"] ** 2 * c["channels"], generator=gen)
                sample_tokens(model, tokens, noise, plan, settings)
            rounds.append(batches * B / (time.perf_counter() - started))
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "images_per_s": max(rounds),
        "rounds_images_per_s": rounds,
        "images_per_round": batches * B,
        "batch": B,
        "settings": settings,
        "think": a.think,
        "plan_prediction": "not mirrored: the twin conditions on given (random) plans",
    }))
