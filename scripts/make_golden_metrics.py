#!/usr/bin/python3
"""scikit-learn's classification metrics on fixed labels and probabilities: tests/golden/classification.json.

Run once by hand (/usr/bin/python3 scripts/make_golden_metrics.py > tests/golden/classification.json);
tests/stats/test_classification.cpp checks lib/stats/classification.h against the file to 1e-12. The product
and its tests never need scikit-learn. Each case names the edge it pins.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics

warnings.simplefilter("ignore")  # zero_division and absent-class warnings: the values are what is checked


def softmax(logits):
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def case(name, classes, labels, probabilities):
    y = np.asarray(labels)
    p = np.asarray(probabilities, dtype=np.float64)
    k = len(classes)
    labels_range = list(range(k))
    predicted = p.argmax(axis=1)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y, predicted, labels=labels_range, zero_division=0)
    try:
        if k == 2:
            auc = metrics.roc_auc_score(y, p[:, 1])
        else:
            auc = metrics.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels_range)
        auc_error = None
    except ValueError as error:
        auc, auc_error = None, str(error)
    return {
        "name": name,
        "classes": classes,
        "labels": [int(v) for v in y],
        "probabilities": p.tolist(),
        "expected": {
            "confusion": metrics.confusion_matrix(y, predicted, labels=labels_range).tolist(),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": [int(v) for v in support],
            "macro_f1": float(metrics.f1_score(y, predicted, labels=labels_range, average="macro", zero_division=0)),
            "balanced_accuracy": float(metrics.balanced_accuracy_score(y, predicted)),
            "roc_auc": auc,
            "roc_auc_error": auc_error,
            "log_loss": float(metrics.log_loss(y, p, labels=labels_range)),
        },
    }


rng = np.random.default_rng(16)
binary_p = rng.uniform(0.02, 0.98, 40)
binary_y = (rng.uniform(size=40) < 0.35 + 0.4 * binary_p).astype(int)
three_logits = rng.normal(size=(60, 3))
three_y = rng.integers(0, 3, 60)
three_logits[np.arange(60), three_y] += 1.0

cases = [
    case("binary, 40 rows", ["no", "yes"], binary_y, np.stack([1 - binary_p, binary_p], axis=1)),
    case("three classes, 60 rows", ["a", "b", "c"], three_y, softmax(three_logits)),
    # Class c is never predicted: its precision is 0 (zero_division=0), and so is its F1.
    case("a class never predicted", ["a", "b", "c"], [0, 0, 1, 1, 2, 2, 0, 1],
         [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.4, 0.45, 0.15],
          [0.45, 0.3, 0.25], [0.3, 0.4, 0.3], [0.6, 0.1, 0.3], [0.5, 0.35, 0.15]]),
    # Tied scores across classes: ROC-AUC counts a tied positive-negative pair as one half.
    case("ties in the binary scores", ["neg", "pos"], [0, 1, 0, 1, 1, 0, 0, 1, 0, 1],
         [[0.75, 0.25], [0.75, 0.25], [0.5, 0.5], [0.5, 0.5], [0.25, 0.75],
          [0.25, 0.75], [0.75, 0.25], [0.25, 0.75], [0.5, 0.5], [0.0, 1.0]]),
    case("ties in three-class scores", ["x", "y", "z"], [0, 1, 2, 0, 1, 2, 0, 1, 2],
         [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.25, 0.5, 0.25], [0.5, 0.25, 0.25],
          [0.25, 0.25, 0.5], [0.5, 0.25, 0.25], [0.25, 0.25, 0.5], [0.25, 0.5, 0.25]]),
    # Class c has no row: ROC-AUC is undefined (scikit-learn raises), recall of c is 0, balanced accuracy skips it.
    case("a class absent from the labels", ["a", "b", "c"], [0, 1, 0, 1, 0, 1],
         [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.2, 0.5], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1], [0.4, 0.4, 0.2]]),
    # Probabilities of exactly 0 and 1: log loss clips them to [eps, 1 - eps] and renormalizes the row.
    case("certain predictions, one of them wrong", ["a", "b"], [0, 1, 1, 0],
         [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.9, 0.1]]),
]
json.dump({"generator": "scripts/make_golden_metrics.py", "sklearn": sklearn.__version__, "numpy": np.__version__,
           "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
