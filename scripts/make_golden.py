#!/usr/bin/python3
"""Generate golden reference values (from PyTorch, float64) for the C++ tests.

Usage (from anywhere; needs Debian's python with torch + numpy)::

    /usr/bin/python3 scripts/make_golden.py            # run self-checks, write files
    /usr/bin/python3 scripts/make_golden.py --no-check # skip the self-checks
    /usr/bin/python3 scripts/make_golden.py --out-dir DIR

Writes (deterministically; re-running gives byte-identical files on the same
torch/numpy versions):

* ``tests/golden/mlp_bn_adam.json`` -- 3 steps of Adam (Keras form)
* ``tests/golden/mlp_bn_sgd.json``  -- 3 steps of SGD, momentum 0.9, Nesterov

Network (Keras semantics), batch m = 6::

    x[6,4] -> Dense(4->5, W1[4,5], b1[5]) -> relu
           -> BatchNorm(5, gamma, beta, eps=1e-3, momentum=0.99)
           -> Dense(5->3, W2[5,3], b2[3]) = logits -> softmax
    loss = mean over batch of sparse categorical cross-entropy

Dense is y = x @ W + b with W stored [in, out].  BatchNorm in training mode
normalises with the batch mean and the *biased* batch variance; the running
statistics follow Keras: running = 0.99*running + 0.01*batch_stat (initial
mean 0, variance 1), updated once per training step from that step's forward
pass.  Two running-variance conventions are recorded: "biased" (batch var) and
"unbiased" (batch var * m/(m-1)).  Inference uses the biased-case running
statistics.  BN is written in plain torch ops (not nn.BatchNorm1d).

Initial values come from ``numpy.random.default_rng(7)`` drawn in this order:
x ~ N(0,1)[6,4] * [1,2,0.5,3] + [0.5,-1,2,0]; W1 ~ U(-0.8,0.8)[4,5];
b1 ~ U(-0.1,0.1)[5]; gamma ~ U(0.5,1.5)[5]; beta ~ U(-0.2,0.2)[5];
W2 ~ U(-0.8,0.8)[5,3]; b2 ~ U(-0.1,0.1)[3].  Labels y = [0,1,2,1,0,2].

Optimisers (hand-written, Keras form), t = 1, 2, 3:

* Adam: lr=0.01, beta1=0.9, beta2=0.999, eps=1e-7;
  m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
  alpha = lr*sqrt(1-b2^t)/(1-b1^t); p -= alpha*m/(sqrt(v)+eps)
* SGD Nesterov: lr=0.05, momentum=0.9;
  vel = momentum*vel - lr*g; p += momentum*vel - lr*g

Floats are written by the json module (shortest repr that round-trips the
double exactly).  Matrices are nested row-major lists [rows][cols].

Self-checks run before writing (disable with --no-check): hand BN vs
torch.nn.functional.batch_norm (output and unbiased running stats), autograd
gradients vs torch.autograd.gradcheck, hand Adam (eps=0) vs torch.optim.Adam
(eps=0), hand Nesterov SGD vs torch.optim.SGD(nesterov=True).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT_DIR = os.path.join(REPO_ROOT, "tests", "golden")

SEED = 7
M, N_IN, N_HID, N_OUT = 6, 4, 5, 3
BN_EPS = 1e-3
BN_MOMENTUM = 0.99
N_STEPS = 3
LABELS = [0, 1, 2, 1, 0, 2]
PARAM_NAMES = ["W1", "b1", "gamma", "beta", "W2", "b2"]

ADAM = {"name": "adam", "form": "keras", "lr": 0.01, "beta_1": 0.9,
        "beta_2": 0.999, "epsilon": 1e-7}
SGD = {"name": "sgd", "form": "keras", "lr": 0.05, "momentum": 0.9,
       "nesterov": True}


# --------------------------------------------------------------------------
# initial values
# --------------------------------------------------------------------------
def initial_values():
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((M, N_IN)) * np.array([1.0, 2.0, 0.5, 3.0]) \
        + np.array([0.5, -1.0, 2.0, 0.0])
    p = {}
    p["W1"] = rng.uniform(-0.8, 0.8, (N_IN, N_HID))
    p["b1"] = rng.uniform(-0.1, 0.1, N_HID)
    p["gamma"] = rng.uniform(0.5, 1.5, N_HID)
    p["beta"] = rng.uniform(-0.2, 0.2, N_HID)
    p["W2"] = rng.uniform(-0.8, 0.8, (N_HID, N_OUT))
    p["b2"] = rng.uniform(-0.1, 0.1, N_OUT)
    y = np.array(LABELS, dtype=np.int64)
    return x, y, p


def to_tensors(params_np):
    return {k: torch.tensor(v, dtype=torch.float64).requires_grad_(True)
            for k, v in params_np.items()}


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def bn_train(h, gamma, beta):
    """Hand-written training-mode BN; returns (out, batch_mean, biased_var)."""
    mu = h.mean(dim=0)
    var = ((h - mu) ** 2).mean(dim=0)
    xhat = (h - mu) / torch.sqrt(var + BN_EPS)
    return gamma * xhat + beta, mu, var


def bn_infer(h, gamma, beta, rmean, rvar):
    return gamma * (h - rmean) / torch.sqrt(rvar + BN_EPS) + beta


def forward(x, p, training=True, rmean=None, rvar=None):
    """Returns (logits, batch_mean, batch_biased_var); stats None in inference."""
    h = torch.relu(x @ p["W1"] + p["b1"])
    if training:
        z, mu, var = bn_train(h, p["gamma"], p["beta"])
    else:
        z, mu, var = bn_infer(h, p["gamma"], p["beta"], rmean, rvar), None, None
    logits = z @ p["W2"] + p["b2"]
    return logits, mu, var


def sparse_ce(logits, y):
    return -(torch.log_softmax(logits, dim=1)[torch.arange(logits.shape[0]), y]).mean()


def update_running(running, stat):
    return BN_MOMENTUM * running + (1.0 - BN_MOMENTUM) * stat


# --------------------------------------------------------------------------
# optimisers (Keras form)
# --------------------------------------------------------------------------
class KerasAdam:
    def __init__(self, params, lr, beta_1, beta_2, epsilon):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta_1, beta_2, epsilon
        self.m = {k: torch.zeros_like(v) for k, v in params.items()}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        t = self.t
        alpha = self.lr * math.sqrt(1.0 - self.b2 ** t) / (1.0 - self.b1 ** t)
        for k, p in self.params.items():
            g = p.grad
            self.m[k] = self.b1 * self.m[k] + (1.0 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1.0 - self.b2) * g * g
            p -= alpha * self.m[k] / (torch.sqrt(self.v[k]) + self.eps)


class KerasSGDNesterov:
    def __init__(self, params, lr, momentum):
        self.params, self.lr, self.mom = params, lr, momentum
        self.vel = {k: torch.zeros_like(v) for k, v in params.items()}

    @torch.no_grad()
    def step(self):
        for k, p in self.params.items():
            g = p.grad
            self.vel[k] = self.mom * self.vel[k] - self.lr * g
            p += self.mom * self.vel[k] - self.lr * g


def make_optimizer(cfg, params):
    if cfg["name"] == "adam":
        return KerasAdam(params, cfg["lr"], cfg["beta_1"], cfg["beta_2"], cfg["epsilon"])
    if cfg["name"] == "sgd":
        return KerasSGDNesterov(params, cfg["lr"], cfg["momentum"])
    raise ValueError(cfg["name"])


def zero_grads(params):
    for p in params.values():
        p.grad = None


# --------------------------------------------------------------------------
# golden case
# --------------------------------------------------------------------------
def tolist(t):
    return t.detach().cpu().tolist() if torch.is_tensor(t) else t.tolist()


def run_case(opt_cfg):
    x_np, y_np, p_np = initial_values()
    x = torch.tensor(x_np, dtype=torch.float64)
    y = torch.tensor(y_np)
    params = to_tensors(p_np)

    # --- initial forward/backward (training mode), gradient w.r.t. x too
    xg = x.clone().requires_grad_(True)
    logits, _, _ = forward(xg, params, training=True)
    loss = sparse_ce(logits, y)
    loss.backward()
    initial = {
        "loss": loss.item(),
        "logits": tolist(logits),
        "grads": {k: tolist(params[k].grad) for k in PARAM_NAMES},
    }
    initial["grads"]["x"] = tolist(xg.grad)
    zero_grads(params)

    # --- training steps
    opt = make_optimizer(opt_cfg, params)
    rmean = torch.zeros(N_HID)
    rvar_b = torch.ones(N_HID)
    rvar_u = torch.ones(N_HID)
    step_losses = []
    for _ in range(N_STEPS):
        zero_grads(params)
        logits, mu, var = forward(x, params, training=True)
        loss = sparse_ce(logits, y)
        step_losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            mu, var = mu.detach(), var.detach()
            rmean = update_running(rmean, mu)
            rvar_b = update_running(rvar_b, var)
            rvar_u = update_running(rvar_u, var * M / (M - 1))
        opt.step()
    zero_grads(params)

    after = {
        "params": {k: tolist(params[k]) for k in PARAM_NAMES},
        "running_mean": tolist(rmean),
        "running_var_biased": tolist(rvar_b),
        "running_var_unbiased": tolist(rvar_u),
    }

    # --- inference with the biased-case running statistics
    with torch.no_grad():
        logits, _, _ = forward(x, params, training=False, rmean=rmean, rvar=rvar_b)
        probs = torch.softmax(logits, dim=1)
        inf_loss = sparse_ce(logits, y)

    if opt_cfg["name"] == "adam":
        opt_text = ("3 training steps of Adam in Keras form (lr=0.01, beta_1=0.9, "
                    "beta_2=0.999, epsilon=1e-7, alpha_t = lr*sqrt(1-beta_2^t)/(1-beta_1^t), "
                    "p -= alpha_t*m/(sqrt(v)+epsilon))")
    else:
        opt_text = ("3 training steps of SGD in Keras form with momentum=0.9, nesterov=True, "
                    "lr=0.05 (vel = momentum*vel - lr*g; p += momentum*vel - lr*g)")
    description = (
        "Golden values for bnrun C++ tests: MLP x[6,4] -> Dense(4->5)+relu -> "
        "BatchNorm(5, eps=1e-3, Keras momentum 0.99, running mean 0 / var 1 initially) -> "
        "Dense(5->3) -> softmax, loss = mean sparse categorical cross-entropy. "
        "Dense weights stored [in,out] (y = x@W + b); matrices are row-major nested lists. "
        "BN forward uses the biased batch variance; running stats updated once per training "
        "step from that step's forward pass, running_var_biased uses the biased batch var, "
        "running_var_unbiased uses var*m/(m-1). 'initial' = training-mode loss/logits/grads at "
        "init_params; 'step_losses' = loss before each update; " + opt_text + "; "
        "inference uses the biased-case running stats. Initial values from "
        "numpy.random.default_rng(7). Generated by scripts/make_golden.py with torch %s "
        "(numpy %s), float64 throughout." % (torch.__version__, np.__version__)
    )
    return {
        "description": description,
        "generator": {"script": "scripts/make_golden.py", "torch_version": torch.__version__,
                      "numpy_version": np.__version__, "dtype": "float64"},
        "config": {
            "seed": SEED, "batch_size": M, "n_inputs": N_IN, "n_hidden": N_HID,
            "n_classes": N_OUT, "hidden_activation": "relu",
            "bn_epsilon": BN_EPS, "bn_momentum": BN_MOMENTUM,
            "bn_initial_running_mean": 0.0, "bn_initial_running_var": 1.0,
            "steps": N_STEPS, "optimizer": dict(opt_cfg),
        },
        "x": x_np.tolist(),
        "y": y_np.tolist(),
        "init_params": {k: p_np[k].tolist() for k in PARAM_NAMES},
        "initial": initial,
        "step_losses": step_losses,
        "after_3_steps": after,
        "inference_probabilities": tolist(probs),
        "inference_loss": inf_loss.item(),
    }


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
def check(cond, what):
    if not cond:
        raise AssertionError("self-check failed: " + what)
    print("  ok: " + what)


def self_checks():
    print("self-checks:")
    x_np, y_np, p_np = initial_values()
    x = torch.tensor(x_np)
    y = torch.tensor(y_np)
    p = to_tensors(p_np)

    # 1. hand BN vs F.batch_norm (training) incl. torch's (unbiased) running update
    h = torch.relu(x @ p["W1"] + p["b1"]).detach()
    ours, mu, var = bn_train(h, p["gamma"].detach(), p["beta"].detach())
    rm, rv = torch.zeros(N_HID), torch.ones(N_HID)
    ref = F.batch_norm(h, rm, rv, p["gamma"].detach(), p["beta"].detach(),
                       training=True, momentum=1.0 - BN_MOMENTUM, eps=BN_EPS)
    check(torch.allclose(ours, ref, rtol=0, atol=1e-14), "hand BN forward == F.batch_norm")
    check(torch.allclose(update_running(torch.zeros(N_HID), mu), rm, rtol=0, atol=1e-15),
          "running mean == F.batch_norm running_mean")
    check(torch.allclose(update_running(torch.ones(N_HID), var * M / (M - 1)), rv,
                         rtol=0, atol=1e-15),
          "unbiased running var == F.batch_norm running_var")
    ours_inf = bn_infer(h, p["gamma"].detach(), p["beta"].detach(), rm, rv)
    ref_inf = F.batch_norm(h, rm.clone(), rv.clone(), p["gamma"].detach(),
                           p["beta"].detach(), training=False, eps=BN_EPS)
    check(torch.allclose(ours_inf, ref_inf, rtol=0, atol=1e-14),
          "hand BN inference == F.batch_norm(training=False)")

    # 2. loss vs F.cross_entropy, and autograd vs finite differences
    logits, _, _ = forward(x, p)
    check(abs(sparse_ce(logits, y).item() - F.cross_entropy(logits, y).item()) < 1e-14,
          "sparse CE == F.cross_entropy")
    names = PARAM_NAMES

    def f(xx, *vals):
        return sparse_ce(forward(xx, dict(zip(names, vals)))[0], y)
    inputs = (x.clone().requires_grad_(True),) + tuple(p[k].detach().clone().requires_grad_(True)
                                                       for k in names)
    check(torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-6),
          "autograd gradients pass gradcheck (params and x)")

    # 3. optimisers vs torch.optim (3 steps on the same batch)
    def train(make_opt, torch_opt):
        params = to_tensors(p_np)
        opt = make_opt(params) if not torch_opt else make_opt(list(params.values()))
        losses = []
        for _ in range(N_STEPS):
            for q in params.values():
                q.grad = None
            loss = sparse_ce(forward(x, params)[0], y)
            losses.append(loss.item())
            loss.backward()
            opt.step()
        return params, losses

    def max_diff(a, b):
        return max((a[k] - b[k]).abs().max().item() for k in a)

    pa, _ = train(lambda ps: KerasAdam(ps, ADAM["lr"], ADAM["beta_1"], ADAM["beta_2"], 0.0), False)
    pb, _ = train(lambda ps: torch.optim.Adam(ps, lr=ADAM["lr"], betas=(ADAM["beta_1"],
                                              ADAM["beta_2"]), eps=0.0), True)
    d = max_diff(pa, pb)
    check(d < 1e-13, "Keras Adam (eps=0) == torch.optim.Adam (eps=0), max |diff| = %.3g" % d)

    pa, _ = train(lambda ps: KerasSGDNesterov(ps, SGD["lr"], SGD["momentum"]), False)
    pb, _ = train(lambda ps: torch.optim.SGD(ps, lr=SGD["lr"], momentum=SGD["momentum"],
                                             nesterov=True), True)
    d = max_diff(pa, pb)
    check(d < 1e-13, "Keras Nesterov SGD == torch.optim.SGD(nesterov=True), max |diff| = %.3g" % d)


# --------------------------------------------------------------------------
def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = json.dumps(obj, indent=1, allow_nan=False) + "\n"
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (path, len(text)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=DEFAULT_OUT_DIR)
    ap.add_argument("--no-check", action="store_true", help="skip self-checks")
    args = ap.parse_args(argv)
    if not args.no_check:
        self_checks()
    write_json(os.path.join(args.out_dir, "mlp_bn_adam.json"), run_case(ADAM))
    write_json(os.path.join(args.out_dir, "mlp_bn_sgd.json"), run_case(SGD))
    return 0


if __name__ == "__main__":
    sys.exit(main())
