#!/usr/bin/python3
"""Regenerate the small CSV data sets shipped in ``datasets/``.

Usage (from the repository root, or any directory)::

    /usr/bin/python3 scripts/make_datasets.py            # write every file
    /usr/bin/python3 scripts/make_datasets.py --check    # verify, write nothing
    /usr/bin/python3 scripts/make_datasets.py --iris-source PATH

Files produced (deterministic, byte-identical on every run):

``datasets/iris.csv``
    Fisher's iris data (150 rows, 4 numeric features, 3 classes), converted from
    the copy shipped by Debian's ``python3-sklearn`` package at
    ``/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv``.
    That file has an unusual header (``150,4,setosa,versicolor,virginica``)
    and an integer label column indexing the class names listed in the header.
    The output has the header
    ``sepal_length,sepal_width,petal_length,petal_width,species``, string
    labels, the same row order, and the numeric fields copied verbatim as text
    (no float round-trip), so the values are exactly those of the source.

``datasets/wine.csv``, ``datasets/breast_cancer.csv``
    scikit-learn's copies of the UCI wine (178 rows, 13 features, 3 cultivars) and Wisconsin diagnostic breast
    cancer (569 rows, 30 features, malignant/benign) data, from the same Debian package folder, with snake_case
    column names, string labels and the numeric fields copied verbatim.

``datasets/diabetes.csv``
    scikit-learn's raw diabetes regression table (442 rows, 10 features, the numeric target ``progression``),
    from ``diabetes_data_raw.csv.gz`` and ``diabetes_target.csv.gz`` in the same folder.

``datasets/digits.csv``
    scikit-learn's 8×8 handwritten digits (1797 rows, 64 pixel counts 0..16, 10 classes), from ``digits.csv.gz``.

``datasets/cgpa_iq.csv``
    The 5-row toy table (cgpa, iq, binary target) from the seed notebook
    ``../shared/seed/batch_normalization_notebook.txt``; hard-coded below.

Both files use LF line endings and end with a trailing newline.
With ``--check`` the script exits non-zero if a committed file differs from
what it would generate.

Only the Python standard library is needed.
"""

import argparse
import gzip
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS_DIR = os.path.join(REPO_ROOT, "datasets")
DEFAULT_IRIS_SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv"

IRIS_HEADER = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]

# Seed notebook: pd.DataFrame({'cgpa': [3.0, 3.5, 4.0, 3.2, 3.7],
#                              'iq': [120, 125, 130, 127, 132],
#                              'target': [0, 1, 0, 0, 1]})
CGPA_IQ_HEADER = ["cgpa", "iq", "target"]
CGPA_IQ_ROWS = [
    ("3.0", "120", "0"),
    ("3.5", "125", "1"),
    ("4.0", "130", "0"),
    ("3.2", "127", "0"),
    ("3.7", "132", "1"),
]


def to_csv(header, rows):
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("ascii")


def make_iris(source_path):
    with open(source_path, "r", encoding="ascii", newline="") as f:
        text = f.read()
    lines = [ln.rstrip("\r") for ln in text.split("\n") if ln.strip() != ""]
    head = lines[0].split(",")
    n_samples, n_features = int(head[0]), int(head[1])
    class_names = head[2:]
    if n_features != 4 or class_names != ["setosa", "versicolor", "virginica"]:
        raise ValueError("unexpected iris header: %r" % lines[0])
    rows = []
    for ln in lines[1:]:
        fields = [s.strip() for s in ln.split(",")]
        if len(fields) != n_features + 1:
            raise ValueError("bad iris row: %r" % ln)
        for v in fields[:n_features]:
            float(v)  # validate, but keep the original text
        rows.append(tuple(fields[:n_features]) + (class_names[int(fields[-1])],))
    if len(rows) != n_samples:
        raise ValueError("expected %d rows, got %d" % (n_samples, len(rows)))
    return to_csv(IRIS_HEADER, rows)


WINE_HEADER = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
               "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
               "od280_od315_of_diluted_wines", "proline", "cultivar"]

_CANCER_MEASURES = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                    "concave_points", "symmetry", "fractal_dimension"]
BREAST_CANCER_HEADER = (["mean_" + m for m in _CANCER_MEASURES] + [m + "_error" for m in _CANCER_MEASURES]
                        + ["worst_" + m for m in _CANCER_MEASURES] + ["diagnosis"])


def make_from_sklearn_csv(source_path, header, expected_classes):
    """scikit-learn's layout: a first line "n_samples,n_features,class names...", then numeric rows ending in the
    class index. Numeric fields are copied as written; the class index becomes its name."""
    with open(source_path, "r", encoding="ascii", newline="") as f:
        text = f.read()
    lines = [ln.rstrip("\r") for ln in text.split("\n") if ln.strip() != ""]
    head = lines[0].split(",")
    n_samples, n_features = int(head[0]), int(head[1])
    class_names = head[2:]
    if n_features != len(header) - 1 or class_names != expected_classes:
        raise ValueError("unexpected header in %s: %r" % (source_path, lines[0]))
    rows = []
    for ln in lines[1:]:
        fields = [s.strip() for s in ln.split(",")]
        if len(fields) != n_features + 1:
            raise ValueError("bad row in %s: %r" % (source_path, ln))
        for v in fields[:n_features]:
            float(v)
        rows.append(tuple(fields[:n_features]) + (class_names[int(fields[-1])],))
    if len(rows) != n_samples:
        raise ValueError("expected %d rows, got %d" % (n_samples, len(rows)))
    return to_csv(header, rows)


DIABETES_HEADER = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"]


def make_diabetes(sklearn_data):
    """scikit-learn's raw (unscaled) diabetes table: diabetes_data_raw.csv.gz (442 rows of 10 space-separated
    features) and diabetes_target.csv.gz (the target, written as %.18e of a whole number). Features are copied as
    written; the target is written as the whole number it is."""
    with gzip.open(os.path.join(sklearn_data, "diabetes_data_raw.csv.gz"), "rt", encoding="ascii") as f:
        features = [ln.split() for ln in f.read().split("\n") if ln.strip()]
    with gzip.open(os.path.join(sklearn_data, "diabetes_target.csv.gz"), "rt", encoding="ascii") as f:
        targets = [ln.strip() for ln in f.read().split("\n") if ln.strip()]
    if len(features) != 442 or len(targets) != 442 or any(len(row) != 10 for row in features):
        raise ValueError("unexpected diabetes files in %s" % sklearn_data)
    rows = []
    for row, target in zip(features, targets):
        for v in row:
            float(v)
        value = float(target)
        if value != int(value):
            raise ValueError("diabetes target %r is not a whole number" % target)
        rows.append(tuple(row) + (str(int(value)),))
    return to_csv(DIABETES_HEADER, rows)


DIGITS_HEADER = ["pixel_%d_%d" % (r, c) for r in range(8) for c in range(8)] + ["digit"]


def make_digits(sklearn_data):
    """scikit-learn's digits.csv.gz: 1797 rows of 64 pixel counts (0..16) and the digit; no header. Copied
    verbatim under a header of pixel_<row>_<column> names."""
    with gzip.open(os.path.join(sklearn_data, "digits.csv.gz"), "rt", encoding="ascii") as f:
        lines = [ln.strip() for ln in f.read().split("\n") if ln.strip()]
    rows = [tuple(ln.split(",")) for ln in lines]
    if len(rows) != 1797 or any(len(row) != 65 for row in rows) or {row[-1] for row in rows} != set("0123456789"):
        raise ValueError("unexpected digits file in %s" % sklearn_data)
    for row in rows:
        for v in row:
            int(v)
    return to_csv(DIGITS_HEADER, rows)


def make_cgpa_iq():
    return to_csv(CGPA_IQ_HEADER, CGPA_IQ_ROWS)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iris-source", default=DEFAULT_IRIS_SOURCE,
                    help="path of scikit-learn's iris.csv (default: %(default)s)")
    ap.add_argument("--out-dir", default=DATASETS_DIR,
                    help="output directory (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="compare with existing files instead of writing")
    args = ap.parse_args(argv)

    sklearn_data = os.path.dirname(args.iris_source)
    outputs = {
        "iris.csv": make_iris(args.iris_source),
        "cgpa_iq.csv": make_cgpa_iq(),
        "wine.csv": make_from_sklearn_csv(os.path.join(sklearn_data, "wine_data.csv"), WINE_HEADER,
                                          ["class_0", "class_1", "class_2"]),
        "breast_cancer.csv": make_from_sklearn_csv(os.path.join(sklearn_data, "breast_cancer.csv"),
                                                   BREAST_CANCER_HEADER, ["malignant", "benign"]),
        "diabetes.csv": make_diabetes(sklearn_data),
        "digits.csv": make_digits(sklearn_data),
    }
    status = 0
    for name, data in outputs.items():
        path = os.path.join(args.out_dir, name)
        if args.check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except FileNotFoundError:
                same = False
            print("%s: %s" % (path, "ok" if same else "DIFFERS"))
            status |= 0 if same else 1
        else:
            os.makedirs(args.out_dir, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print("wrote %s (%d bytes)" % (path, len(data)))
    return status


if __name__ == "__main__":
    sys.exit(main())
