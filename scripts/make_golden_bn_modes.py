#!/usr/bin/python3
"""Generate golden reference values (PyTorch, float64) for the BatchNorm modes.

Usage (from anywhere; needs Debian's python with torch + numpy)::

    /usr/bin/python3 scripts/make_golden_bn_modes.py             # write the file
    /usr/bin/python3 scripts/make_golden_bn_modes.py --out-dir DIR

Writes (deterministically) ``tests/golden/bn_modes.json``, read by
tests/nn/test_golden_bn_modes.cpp.  One case per mode, each three training
steps of plain SGD (lr 0.1, p -= lr*g) on three batches of m = 8 rows, then an
inference pass over an evaluation set of 7 rows::

    x[8,4] -> Dense(4->5, W1[4,5], b1[5]) -> relu -> BN(5, eps=1e-3)
           -> Dense(5->3, W2[5,3], b2[3]) = logits -> softmax
    loss = mean sparse categorical cross-entropy

Cases (our momentum is Keras': running = m*running + (1-m)*batch; PyTorch's
momentum is 1 - m):

* ``batch_stats``: torch.nn.BatchNorm1d(track_running_stats=False).  The
  evaluation set is evaluated in batches of 3 rows, the last row joining the
  batch before it (bnrun's rule): batches of 3 and 4 rows, each normalized
  with its own statistics.
* ``cumulative``: torch.nn.BatchNorm1d(momentum=None) (unbiased running
  variance, as PyTorch), num_batches_tracked = 3.
* ``ghost``: Ghost BN written in plain torch ops: virtual batches of 4
  consecutive rows, each normalized with its own biased statistics; the
  running statistics (momentum 0.9, biased) move once per step toward the mean
  over the virtual batches of their mean and variance (Keras).
* ``renorm``: Batch Renormalization written in plain torch ops from Ioffe
  2017: s_B = sqrt(var_B + eps), r = clip(s_B / s, 1/r_max, r_max),
  d = clip((mu_B - mu) / s, -d_max, d_max) with mu, s the renorm moving
  statistics before the step (initially 0 and 1), both detached;
  y = gamma * ((x - mu_B) / s_B * r + d) + beta.  Then renorm_mean and
  renorm_stddev move with momentum 0.8 toward mu_B and s_B; running mean and
  variance with momentum 0.9 toward mu_B and var_B (biased).  r_max follows
  {start 1, end 2, warmup 1, ramp 2} (1, 1, 1.5 over the three steps), d_max
  {start 0, end 1, warmup 0, ramp 2} (0, 0.5, 1).

Initial values from numpy.random.default_rng(11), in this order: three
batches x ~ N(0,1)[8,4] * [1,2,0.5,3] + [0.5,-1,2,0]; W1 ~ U(-0.8,0.8)[4,5];
b1 ~ U(-0.1,0.1)[5]; gamma ~ U(0.5,1.5)[5]; beta ~ U(-0.2,0.2)[5];
W2 ~ U(-0.8,0.8)[5,3]; b2 ~ U(-0.1,0.1)[3]; evaluation x ~ N(0,1)[7,4] with
the same scale and shift.  Labels: [0,1,2,1,0,2,1,0] for every training batch,
[2,0,1,1,0,2,0] for the evaluation set.
"""

import argparse
import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

EPS = 1e-3
LR = 0.1
SCALE = np.array([1.0, 2.0, 0.5, 3.0])
SHIFT = np.array([0.5, -1.0, 2.0, 0.0])
LABELS = [0, 1, 2, 1, 0, 2, 1, 0]
EVAL_LABELS = [2, 0, 1, 1, 0, 2, 0]
NAMES = ["W1", "b1", "gamma", "beta", "W2", "b2"]


def initial_values():
    rng = np.random.default_rng(11)
    batches = [rng.standard_normal((8, 4)) * SCALE + SHIFT for _ in range(3)]
    params = {
        "W1": rng.uniform(-0.8, 0.8, (4, 5)),
        "b1": rng.uniform(-0.1, 0.1, 5),
        "gamma": rng.uniform(0.5, 1.5, 5),
        "beta": rng.uniform(-0.2, 0.2, 5),
        "W2": rng.uniform(-0.8, 0.8, (5, 3)),
        "b2": rng.uniform(-0.1, 0.1, 3),
    }
    evaluation = rng.standard_normal((7, 4)) * SCALE + SHIFT
    return batches, params, evaluation


def schedule(start, end, warmup, ramp, step):
    if step < warmup:
        return start
    if step >= warmup + ramp:
        return end
    return start + (end - start) * (step - warmup) / ramp


class Ghost:
    def __init__(self, size, momentum):
        self.size, self.momentum = size, momentum
        self.mean, self.var = torch.zeros(5), torch.ones(5)

    def train(self, h, gamma, beta):
        outs, means, variances = [], [], []
        for first in range(0, h.shape[0], self.size):
            g = h[first:first + self.size]
            mu = g.mean(0)
            var = ((g - mu) ** 2).mean(0)
            outs.append(gamma * (g - mu) / torch.sqrt(var + EPS) + beta)
            means.append(mu.detach())
            variances.append(var.detach())
        m = self.momentum
        self.mean = m * self.mean + (1 - m) * torch.stack(means).mean(0)
        self.var = m * self.var + (1 - m) * torch.stack(variances).mean(0)
        return torch.cat(outs)

    def infer(self, h, gamma, beta):
        return gamma * (h - self.mean) / torch.sqrt(self.var + EPS) + beta


class Renorm:
    def __init__(self, momentum, renorm_momentum):
        self.momentum, self.renorm_momentum = momentum, renorm_momentum
        self.mean, self.var = torch.zeros(5), torch.ones(5)
        self.renorm_mean, self.renorm_stddev = torch.zeros(5), torch.ones(5)
        self.step = 0
        self.r, self.d = [], []

    def train(self, h, gamma, beta):
        r_max = schedule(1.0, 2.0, 1, 2, self.step)
        d_max = schedule(0.0, 1.0, 0, 2, self.step)
        mu = h.mean(0)
        var = ((h - mu) ** 2).mean(0)
        s = torch.sqrt(var + EPS)
        r = torch.clamp(s.detach() / self.renorm_stddev, 1 / r_max, r_max)
        d = torch.clamp((mu.detach() - self.renorm_mean) / self.renorm_stddev, -d_max, d_max)
        self.r.append(r.tolist())
        self.d.append(d.tolist())
        y = gamma * ((h - mu) / s * r + d) + beta
        rm, m = self.renorm_momentum, self.momentum
        self.renorm_mean = rm * self.renorm_mean + (1 - rm) * mu.detach()
        self.renorm_stddev = rm * self.renorm_stddev + (1 - rm) * s.detach()
        self.mean = m * self.mean + (1 - m) * mu.detach()
        self.var = m * self.var + (1 - m) * var.detach()
        self.step += 1
        return y

    def infer(self, h, gamma, beta):
        return gamma * (h - self.mean) / torch.sqrt(self.var + EPS) + beta


class TorchModule:
    """torch.nn.BatchNorm1d with gamma and beta taken from the parameter list."""

    def __init__(self, **kwargs):
        self.module = torch.nn.BatchNorm1d(5, eps=EPS, affine=False, **kwargs)

    def train(self, h, gamma, beta):
        self.module.train()
        return self.module(h) * gamma + beta

    def infer(self, h, gamma, beta):
        self.module.eval()
        return self.module(h) * gamma + beta


def forward(p, x, bn, training):
    h = torch.relu(x @ p["W1"] + p["b1"])
    z = (bn.train if training else bn.infer)(h, p["gamma"], p["beta"])
    return z @ p["W2"] + p["b2"]


def cross_entropy(logits, labels):
    return torch.nn.functional.cross_entropy(logits, torch.tensor(labels))


def evaluation_batches(rows, size):
    """bnrun's rule: batches of `size` rows, a last batch of one row joining the one before."""
    bounds, start = [], 0
    while start < rows:
        end = min(start + size, rows)
        if rows - end == 1:
            end = rows
        bounds.append((start, end))
        start = end
    return bounds


def run_case(bn, batches, params_np, evaluation, evaluation_batch_size=None):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params_np.items()}
    losses = []
    for x in batches:
        loss = cross_entropy(forward(p, torch.tensor(x), bn, True), LABELS)
        for t in p.values():
            t.grad = None
        loss.backward()
        with torch.no_grad():
            for t in p.values():
                t -= LR * t.grad
        losses.append(loss.item())
    x_eval = torch.tensor(evaluation)
    with torch.no_grad():
        if evaluation_batch_size:
            logits = torch.cat([forward(p, x_eval[a:b], bn, False)
                                for a, b in evaluation_batches(7, evaluation_batch_size)])
        else:
            logits = forward(p, x_eval, bn, False)
        eval_loss = cross_entropy(logits, EVAL_LABELS).item()
        probabilities = torch.softmax(logits, 1)
    return {
        "step_losses": losses,
        "params": {k: p[k].detach().tolist() for k in NAMES},
        "evaluation_loss": eval_loss,
        "evaluation_probabilities": probabilities.tolist(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                          "tests", "golden"))
    args = parser.parse_args()
    batches, params, evaluation = initial_values()
    golden = {
        "config": {"epsilon": EPS, "learning_rate": LR, "labels": LABELS, "evaluation_labels": EVAL_LABELS},
        "batches": [b.tolist() for b in batches],
        "init_params": {k: v.tolist() for k, v in params.items()},
        "evaluation_x": evaluation.tolist(),
    }

    golden["batch_stats"] = run_case(TorchModule(track_running_stats=False), batches, params, evaluation, 3)
    golden["batch_stats"]["evaluation_batch_size"] = 3

    cumulative = TorchModule(momentum=None)
    golden["cumulative"] = run_case(cumulative, batches, params, evaluation)
    golden["cumulative"]["running_mean"] = cumulative.module.running_mean.tolist()
    golden["cumulative"]["running_variance"] = cumulative.module.running_var.tolist()
    golden["cumulative"]["num_batches_tracked"] = int(cumulative.module.num_batches_tracked)

    ghost = Ghost(4, 0.9)
    golden["ghost"] = run_case(ghost, batches, params, evaluation)
    golden["ghost"].update({"virtual_batch_size": 4, "momentum": 0.9, "running_mean": ghost.mean.tolist(),
                            "running_variance": ghost.var.tolist()})

    renorm = Renorm(0.9, 0.8)
    golden["renorm"] = run_case(renorm, batches, params, evaluation)
    golden["renorm"].update({
        "momentum": 0.9, "renorm_momentum": 0.8,
        "r_max": {"start": 1.0, "end": 2.0, "warmup_steps": 1, "ramp_steps": 2},
        "d_max": {"start": 0.0, "end": 1.0, "warmup_steps": 0, "ramp_steps": 2},
        "r": renorm.r, "d": renorm.d,
        "running_mean": renorm.mean.tolist(), "running_variance": renorm.var.tolist(),
        "renorm_mean": renorm.renorm_mean.tolist(), "renorm_stddev": renorm.renorm_stddev.tolist()})

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "bn_modes.json")
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(golden, indent=1, allow_nan=False) + "\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
