#!/usr/bin/python3
"""Writes sklearn_splits.json: the rows scikit-learn's train_test_split puts in the training and test sets, for
several sizes, test fractions, seeds, label sets and stratification, so that tests/data/test_sklearn_split.cpp can
check dataset.split {"method": "sklearn"} against them without scikit-learn at test time.

Run once by hand (Debian's python3-sklearn): /usr/bin/python3 scripts/make_golden_sklearn_splits.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split


def labels_for(name, rows):
    if name == "iris":  # 50 of each of 3 classes, in file order
        return [k for k in range(3) for _ in range(50)]
    if name == "imbalanced":  # 3 classes, 70 % / 20 % / 10 %, interleaved
        return [0 if i % 10 < 7 else (1 if i % 10 < 9 else 2) for i in range(rows)]
    if name == "random4":  # 4 classes drawn at random: remainders that tie and ones that do not
        return [int(v) for v in np.random.RandomState(7).randint(0, 4, size=rows)]
    if name == "equal5":  # 5 equal classes: every remainder ties, so the leftover rows are drawn
        return [i % 5 for i in range(rows)]
    raise ValueError(name)


cases = []
for rows, fraction, seed in [(10, 0.2, 42), (150, 0.2, 42), (150, 0.2, 0), (150, 0.33, 1), (569, 0.25, 12345),
                             (1000, 0.1, 4294967295), (7, 0.5, 3), (2, 0.5, 9)]:
    train, test = train_test_split(list(range(rows)), test_size=fraction, random_state=seed)
    cases.append({"rows": rows, "test_fraction": fraction, "random_state": seed, "shuffle": True,
                  "labels": None, "train": [int(i) for i in train], "test": [int(i) for i in test]})
for rows, fraction, seed, name in [(150, 0.2, 42, "iris"), (150, 0.3, 5, "iris"), (100, 0.2, 42, "imbalanced"),
                                   (103, 0.25, 11, "imbalanced"), (97, 0.2, 3, "random4"), (61, 0.33, 8, "random4"),
                                   (52, 0.2, 2, "equal5"), (23, 0.5, 4, "equal5")]:
    labels = labels_for(name, rows)
    train, test = train_test_split(list(range(rows)), test_size=fraction, random_state=seed, stratify=labels)
    cases.append({"rows": rows, "test_fraction": fraction, "random_state": seed, "shuffle": True,
                  "labels": labels, "train": [int(i) for i in train], "test": [int(i) for i in test]})
for rows, fraction in [(150, 0.2), (11, 0.3)]:
    train, test = train_test_split(list(range(rows)), test_size=fraction, shuffle=False)
    cases.append({"rows": rows, "test_fraction": fraction, "random_state": 0, "shuffle": False,
                  "labels": None, "train": [int(i) for i in train], "test": [int(i) for i in test]})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "sklearn_splits.json")
with open(out, "w") as f:
    json.dump({"made_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}: "
                          "scripts/make_golden_sklearn_splits.py", "cases": cases}, f, separators=(",", ":"))
    f.write("\n")
print(f"{out}: {len(cases)} cases")
