#!/usr/bin/python3
"""Golden values for regression: scikit-learn's metrics and PyTorch's losses on fixed numbers.

Run once by hand (/usr/bin/python3 scripts/make_golden_regression.py > tests/golden/regression.json);
tests/stats/test_regression.cpp checks lib/stats/regression.h (RMSE, MAE, R²) and lib/kernels/loss.h's regression
losses (mse, mae, huber with its delta: the loss and its gradient) against the file. The product and its tests never
need scikit-learn or PyTorch. Each case names the edge it pins.
"""
import json
import sys

import numpy as np
import sklearn
import torch
from sklearn import metrics


def metric_case(name, truth, predicted):
    y = np.asarray(truth, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    return {
        "name": name,
        "truth": y.tolist(),
        "predicted": p.tolist(),
        "expected": {
            "rmse": float(np.sqrt(metrics.mean_squared_error(y, p))),
            "mae": float(metrics.mean_absolute_error(y, p)),
            "r2": float(metrics.r2_score(y, p)),
        },
    }


def loss_case(name, loss, outputs, targets, delta=1.0):
    z = torch.tensor(outputs, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(targets, dtype=torch.float64)
    if loss == "mse":
        value = torch.nn.functional.mse_loss(z, t)
    elif loss == "mae":
        value = torch.nn.functional.l1_loss(z, t)
    else:
        value = torch.nn.functional.huber_loss(z, t, delta=delta)
    value.backward()
    return {"name": name, "loss": loss, "delta": delta, "outputs": outputs, "targets": targets,
            "expected": {"loss": float(value), "gradient": z.grad.tolist()}}


rng = np.random.default_rng(17)
truth = rng.normal(150.0, 75.0, 50)
predicted = truth + rng.normal(0.0, 40.0, 50)
outputs = rng.normal(0.0, 1.5, 12).tolist()
targets = rng.normal(0.0, 1.0, 12).tolist()
cases = [
    metric_case("50 rows, predictions with noise", truth, predicted),
    metric_case("exact predictions", [1.0, 2.0, 3.5], [1.0, 2.0, 3.5]),
    # Worse than predicting the mean: R² below 0.
    metric_case("worse than the mean", [1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]),
    # A constant truth: R² is 1 for exact predictions, else 0 (force_finite).
    metric_case("constant truth, inexact", [2.0, 2.0, 2.0], [1.0, 2.0, 3.0]),
    metric_case("constant truth, exact", [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]),
]
losses = [
    loss_case("mse", "mse", outputs, targets),
    loss_case("mae", "mae", outputs, targets),
    loss_case("huber, delta 1", "huber", outputs, targets, 1.0),
    loss_case("huber, delta 0.3 (most rows linear)", "huber", outputs, targets, 0.3),
    # |r| exactly delta, and r = 0: the pieces meet; mae's gradient is 0 at r = 0 (PyTorch's sign).
    loss_case("huber at the seam", "huber", [1.0, 0.0, -0.5], [0.0, 0.0, 0.0], 1.0),
    loss_case("mae at zero residual", "mae", [1.0, 0.0, -0.5], [0.0, 0.0, 0.5]),
]
json.dump({"generator": "scripts/make_golden_regression.py", "sklearn": sklearn.__version__,
           "torch": torch.__version__, "metrics": cases, "losses": losses}, sys.stdout, indent=1)
sys.stdout.write("\n")
