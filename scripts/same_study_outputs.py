#!/usr/bin/env python3
"""Checks that two bnrun output folders hold the same results, file by file, timings aside.

    scripts/same_study_outputs.py BEFORE AFTER

Every file must be in both folders. JSON files are compared as data without the keys that measure the machine
rather than the result (timings, per-epoch seconds, peak memory); history.csv and summary.csv without their
seconds columns; everything else (report.md, plots, config.json, model files, test.csv) byte for byte. JSON numbers
are compared as bnrun wrote them (the shortest text that reads back as the same double), so equal means the same
bits, -0.0 included. Exit 0 when the folders agree, 1 with the differences listed when they do not.
"""
import csv
import io
import json
import sys
from pathlib import Path

TIMING_KEYS = {"timings", "seconds", "train_seconds", "load_seconds", "samples_per_second", "peak_rss_bytes"}
TIMING_COLUMNS = {"seconds", "train_seconds"}


def without_timings(value):
    if isinstance(value, dict):
        return {key: without_timings(item) for key, item in value.items() if key not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def csv_without_timings(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return rows
    kept = [i for i, name in enumerate(rows[0]) if name not in TIMING_COLUMNS]
    return [[row[i] for i in kept if i < len(row)] for row in rows]


def comparable(path):
    if path.suffix == ".json":
        return without_timings(json.loads(path.read_text(), parse_float=str))
    if path.name in ("history.csv", "summary.csv") or path.name.startswith("history_"):
        return csv_without_timings(path.read_text())
    return path.read_bytes()


def files_in(folder):
    return {path.relative_to(folder) for path in folder.rglob("*") if path.is_file() and path.name != ".bnrun.lock"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    before_files, after_files = files_in(before), files_in(after)
    problems = [f"only in {before}: {name}" for name in sorted(before_files - after_files)]
    problems += [f"only in {after}: {name}" for name in sorted(after_files - before_files)]
    for name in sorted(before_files & after_files):
        if comparable(before / name) != comparable(after / name):
            problems.append(f"differs: {name}")
    for problem in problems:
        print(problem)
    print(f"{len(before_files & after_files)} files compared, {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
