#!/usr/bin/env python3
"""The cost model of docs/SCALE.md: predicted scaling efficiency of data-parallel training over K nodes.

    scripts/scale_model.py SAMPLES_PER_SECOND

SAMPLES_PER_SECOND is one node's training rate on the Fashion-MNIST network (784-256-128-10 with BatchNorm,
batch 128), measured; the model turns it into an effective FLOP rate and applies it to both networks below. Standard
library only.

Per step, each node computes its share of the batch, then exchanges:
  - gradients: 4 bytes per parameter (float32);
  - with sync_bn, per BatchNorm feature: the forward statistics (sum and squared deviations, 2 doubles) and the
    backward sums (sum dy and sum dy*x_hat, 2 doubles): 32 bytes, in 2 extra exchanges per BatchNorm layer.
bnrun exchanges by all-gather and adds in rank order (the same bits for any transport): each node receives
(K - 1) x the buffer. A ring all-reduce (what NCCL and most MPI libraries do, in an order they choose) moves
2 (K - 1) / K x the buffer. Each exchange also pays a latency per message step: (K - 1) steps for a ring all-gather,
2 (K - 1) for a ring all-reduce.

Strong scaling: the configured batch (bnrun's batch_size is the global batch) split over K nodes: compute / K.
Weak scaling: batch_size grown with K, 128 rows per node: compute per node stays.
Efficiency = (one node's step time x work per step ratio) / (K nodes' step time x K) as usual: 1.0 is perfect.
"""
import sys

NETWORKS = {
    "Fashion-MNIST 784-256-128-10": [784, 256, 128, 10],
    "wide 784-4096-4096-10": [784, 4096, 4096, 10],
}
LINKS = {"10 Gb/s": (10e9 / 8, 10e-6), "100 Gb/s": (100e9 / 8, 2e-6)}  # bytes/s, latency per message step
NODES = [2, 4, 8, 16, 32, 64]
BATCH_PER_NODE = 128


def parameters(widths):
    dense = sum(a * b + b for a, b in zip(widths, widths[1:]))
    bn_features = sum(widths[1:-1])
    return dense + 2 * bn_features, bn_features


def main():
    samples_per_second = float(sys.argv[1])
    ref_params, _ = parameters(NETWORKS["Fashion-MNIST 784-256-128-10"])
    flops_per_second = samples_per_second * 6 * ref_params  # forward + backward ~ 6 FLOPs per weight and sample
    print(f"one node: {samples_per_second:,.0f} samples/s on the Fashion-MNIST network = "
          f"{flops_per_second / 1e9:.0f} GFLOP/s effective\n")
    for name, widths in NETWORKS.items():
        params, bn_features = parameters(widths)
        bn_layers = len(widths) - 2
        gradient_bytes = 4 * params
        bn_bytes = 32 * bn_features
        compute = BATCH_PER_NODE * 6 * params / flops_per_second  # one node, one batch of 128
        print(f"{name}: {params:,} parameters, {gradient_bytes / 1e6:.2f} MB of gradients + {bn_bytes:,} B of "
              f"sync_bn statistics per step; one node: {compute * 1e3:.2f} ms per batch of {BATCH_PER_NODE}")
        print("| link | exchange | scaling | " + " | ".join(f"K={k}" for k in NODES) + " |")
        print("|---|---|---|" + "--:|" * len(NODES))
        for link, (bandwidth, latency) in LINKS.items():
            for exchange in ("all-gather (bnrun)", "ring all-reduce"):
                for scaling in ("strong (batch 128)", "weak (128 per node)"):
                    cells = []
                    for k in NODES:
                        if exchange.startswith("all-gather"):
                            moved, steps = (k - 1), (k - 1)
                        else:
                            moved, steps = 2 * (k - 1) / k, 2 * (k - 1)
                        exchanges = 1 + 2 * bn_layers
                        comm = moved * (gradient_bytes + bn_bytes) / bandwidth + exchanges * steps * latency
                        per_node = compute / k if scaling.startswith("strong") else compute
                        efficiency = per_node / (per_node + comm)
                        cells.append(f"{efficiency:.2f}")
                    print(f"| {link} | {exchange} | {scaling} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
