#!/usr/bin/env python3
"""Reference baseline for the bnrun benchmarks in bench/.

Measures, on this machine and in this run:

1. PyTorch MLP training throughput (samples/s) for the workload bnrun
   benchmarks: 784-256-128-10 MLP with and without BatchNorm1d, Adam(lr=1e-3),
   cross-entropy, batch size 128, float32, synthetic N(0,1) data (seed 0).
2. pandas ``read_csv`` time and MB/s (1 MB = 1e6 bytes) for a Fashion-MNIST
   style CSV, if ``--csv`` is given and exists.

It exists as the comparison baseline for bench/: these machines are shared and
noisy, so the baseline is measured alongside bnrun rather than taken from
published figures. Each measurement is the best of ``--repeats`` timings.

Threads: torch runs ``--threads`` OpenMP threads. Debian's torch calls the
system OpenBLAS (pthread build), which otherwise starts its own pool of one
thread per core on top of that; the two pools oversubscribe the cores and make
throughput erratic (BN training measured 10-50x slower). OpenBLAS is therefore
limited to 1 thread (set before torch is imported; an existing
OPENBLAS_NUM_THREADS in the environment wins).

Prints exactly one JSON object to stdout (progress goes to stderr). Missing
torch or pandas is not an error: the corresponding fields are null.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see docstring: avoid oversubscription

BATCH = 128


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def torch_throughput(threads, batches, warmup, repeats):
    """Return (version, bn_samples_per_s, no_bn_samples_per_s) or Nones."""
    try:
        import torch
        from torch import nn
    except ImportError:
        log("torch not importable; skipping torch benchmark")
        return None, None, None

    torch.set_num_threads(threads)
    log(f"torch threads={torch.get_num_threads()} OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    torch.manual_seed(0)
    X = torch.randn(60000, 784, dtype=torch.float32)
    y = torch.randint(0, 10, (60000,))
    perm = torch.randperm(X.shape[0])
    n_batches = X.shape[0] // BATCH

    def make(bn):
        layers = [nn.Linear(784, 256)]
        layers += [nn.BatchNorm1d(256)] if bn else []
        layers += [nn.ReLU(), nn.Linear(256, 128)]
        layers += [nn.BatchNorm1d(128)] if bn else []
        layers += [nn.ReLU(), nn.Linear(128, 10)]
        return nn.Sequential(*layers)

    def run(bn):
        torch.manual_seed(0)
        model = make(bn).train()
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        step_i = 0

        def step():
            nonlocal step_i
            idx = perm[(step_i % n_batches) * BATCH:(step_i % n_batches + 1) * BATCH]
            step_i += 1
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()

        for _ in range(warmup):
            step()
        best = float("inf")
        for r in range(repeats):
            t0 = time.perf_counter()
            for _ in range(batches):
                step()
            dt = time.perf_counter() - t0
            best = min(best, dt)
            log(f"torch bn={bn} repeat {r + 1}/{repeats}: {batches * BATCH / dt:.0f} samples/s")
        return batches * BATCH / best

    return torch.__version__, run(True), run(False)


def pandas_read_csv(path, repeats):
    """Return (version, best_seconds, bytes, mb_per_s) or Nones."""
    try:
        import pandas as pd
    except ImportError:
        log("pandas not importable; skipping pandas benchmark")
        return None, None, None, None
    if not path or not os.path.isfile(path):
        if path:
            log(f"CSV not found: {path}; skipping read_csv benchmark")
        return pd.__version__, None, None, None
    size = os.path.getsize(path)
    best = float("inf")
    for r in range(repeats):
        t0 = time.perf_counter()
        pd.read_csv(path)
        dt = time.perf_counter() - t0
        best = min(best, dt)
        log(f"pandas read_csv repeat {r + 1}/{repeats}: {dt:.3f} s")
    return pd.__version__, best, size, size / 1e6 / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--csv", default=None, help="Fashion-MNIST style CSV (label,p0..p783)")
    ap.add_argument("--batches", type=int, default=300, help="timed training batches per variant")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="report the best of N timings")
    args = ap.parse_args()

    torch_version, bn, no_bn = torch_throughput(args.threads, args.batches, args.warmup, args.repeats)
    pandas_version, seconds, nbytes, mbps = pandas_read_csv(args.csv, args.repeats)
    print(json.dumps({
        "torch_version": torch_version,
        "threads": args.threads,
        "torch_bn_samples_per_second": bn,
        "torch_no_bn_samples_per_second": no_bn,
        "pandas_version": pandas_version,
        "pandas_read_csv_seconds": seconds,
        "csv_bytes": nbytes,
        "pandas_mb_per_second": mbps,
    }))


if __name__ == "__main__":
    main()
