#!/usr/bin/env python3
"""PyTorch peer of bnrun's peer benchmark (bench/peer_bench.cpp, `bnrun_bench --peers`).

Trains the network of configs/fashion_mnist_bn.json the way bnrun does and prints one JSON object to stdout:
784 -> Linear 256 -> BatchNorm1d -> ReLU -> Linear 128 -> BatchNorm1d -> ReLU -> Linear 10, softmax
cross-entropy (--arm no_bn drops the two BatchNorm1d layers); Glorot-uniform weights, zero biases; BatchNorm
with Keras' defaults (Keras momentum 0.99 is PyTorch momentum 0.01, epsilon 1e-3; PyTorch's running variance
stays unbiased, it has no switch for Keras' biased one); Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7; batch 128,
shuffled every epoch; features standardized with the training rows' mean and population standard deviation.

Only the epochs are timed (shuffle, batch gather, forward, backward, update); reading the CSVs, standardizing
and the test evaluation are not. Which OpenBLAS build is used and how many threads it starts are chosen by the
caller before the process starts (LD_LIBRARY_PATH, OPENBLAS_NUM_THREADS); this script reports the libraries it
really has mapped, so the caller can check.
"""
import argparse
import ctypes
import json
import sys
import time

import numpy as np
import pandas as pd
import torch
from torch import nn


def read_labeled_csv(path, rows):
    """Features (float64, one row per sample) and labels from a CSV whose first column is the label."""
    table = pd.read_csv(path, nrows=rows if rows > 0 else None)
    return table.iloc[:, 1:].to_numpy(np.float64), table.iloc[:, 0].to_numpy(np.int64)


def fit_standardizer(features):
    """bnrun's rule (lib/data/dataset.cpp): population standard deviation; a constant column keeps scale 1."""
    mean = features.mean(axis=0)
    deviation = np.sqrt(((features - mean) ** 2).mean(axis=0))
    constant = deviation <= 1e-12 * np.maximum(1.0, np.abs(mean))
    return mean, np.where(constant, 1.0, deviation)


def build_model(batch_norm):
    def normalization(width):
        return [nn.BatchNorm1d(width, eps=1e-3, momentum=0.01)] if batch_norm else []

    model = nn.Sequential(nn.Linear(784, 256), *normalization(256), nn.ReLU(), nn.Linear(256, 128),
                          *normalization(128), nn.ReLU(), nn.Linear(128, 10))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def compiled(model, how, example_batch):
    """The module the training loop calls: eager, or TorchScript by scripting or tracing (in training mode)."""
    if how == "script":
        return torch.jit.script(model)
    if how == "trace":
        # Tracing runs the model once, which would update the running statistics: put them back.
        running_statistics = {name: buffer.clone() for name, buffer in model.named_buffers()}
        traced = torch.jit.trace(model, example_batch)
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                buffer.copy_(running_statistics[name])
        return traced
    return model


def mapped_blas_libraries():
    """Real paths of the BLAS libraries this process has mapped (/proc/self/maps)."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and ("libopenblas" in fields[5] or "libblas" in fields[5]):
                paths.add(fields[5])
    return sorted(paths)


def openblas_config(libraries):
    """openblas_get_config() of the mapped libopenblas, which names its version and the core it chose."""
    for path in libraries:
        if "libopenblas" in path:
            library = ctypes.CDLL(path)
            library.openblas_get_config.restype = ctypes.c_char_p
            library.openblas_get_corename.restype = ctypes.c_char_p
            return f"{library.openblas_get_config().decode()}, core {library.openblas_get_corename().decode()}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--arm", choices=["bn", "no_bn"], required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--train-rows", type=int, default=0, help="read only the first N training rows (0: all)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--compile", choices=["eager", "script", "trace"], default="eager")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_features, train_labels = read_labeled_csv(args.train, args.train_rows)
    test_features, test_labels = read_labeled_csv(args.test, 0)
    mean, scale = fit_standardizer(train_features)
    train_x = torch.from_numpy(((train_features - mean) / scale).astype(np.float32))
    test_x = torch.from_numpy(((test_features - mean) / scale).astype(np.float32))
    train_y = torch.from_numpy(train_labels)
    test_y = torch.from_numpy(test_labels)

    batch_norm = args.arm == "bn"
    model = build_model(batch_norm).train()
    network = compiled(model, args.compile, train_x[: args.batch_size])
    loss_function = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    shuffle = torch.Generator().manual_seed(args.seed)
    rows = train_x.shape[0]

    epoch_seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(rows, generator=shuffle)
        for first in range(0, rows, args.batch_size):
            batch = order[first:first + args.batch_size]
            if batch_norm and batch.numel() == 1:
                continue  # a batch of one row has no variance; bnrun skips it too
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(network(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - start)

    # The eager module shares its parameters and running statistics with the compiled one, and unlike a
    # traced module it can be switched to evaluation mode (running statistics instead of the batch's).
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(test_x[first:first + 1024]).argmax(dim=1)
                               for first in range(0, test_x.shape[0], 1024)])
    libraries = mapped_blas_libraries()
    json.dump({
        "program": "PyTorch",
        "version": torch.__version__,
        "arm": args.arm,
        "epochs": args.epochs,
        "train_rows": rows,
        "epoch_seconds": epoch_seconds,
        "samples_per_second": rows * args.epochs / sum(epoch_seconds),
        "test_rows": int(test_y.shape[0]),
        "test_accuracy": float((predicted == test_y).double().mean()),
        "final_batch_loss": float(loss),
        "blas_libraries": libraries,
        "openblas": openblas_config(libraries),
        "libraries": "",
        "configuration": f"torch threads {torch.get_num_threads()}, {args.compile}",
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
