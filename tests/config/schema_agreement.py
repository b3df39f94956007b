#!/usr/bin/python3
"""The config's JSON Schema (`bnrun schema`) agrees with bnrun, checked by an independent validator (Debian's
python3-jsonschema, draft 2020-12):

- the schema is a valid draft 2020-12 schema;
- every shipped config (configs/*.json, configs/claims/*.json) validates, and so does one with "$schema";
- every config the hostile catalogue (tests/hostile/hostile_cases.sh) expects bnrun to refuse for a structural
  reason (an unknown key, a wrong type, a number out of range, a value not among the choices) is refused by the
  schema too. Its other refusals are listed in EXEMPT, each with why a JSON Schema cannot make it;
- every value of a few shipped configs replaced in turn by each of MUTATIONS: `bnrun validate --config-only` and the
  schema accept the same ones, but for the rules across keys listed in MUTATION_EXEMPT.

    schema_agreement.py BNRUN SOURCE_DIR      exit 0: they agree; 77: no jsonschema module here (skipped)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("skip: python3-jsonschema is not installed (scripts/install-deps.sh installs it)")
    sys.exit(77)

# Hostile cases whose refused configs a JSON Schema cannot refuse, and why. Every other config-feeding case must be
# refused by the schema; a case neither refused nor listed here fails the test.
EXEMPT = {
    "batch_size_one_with_batchnorm": "across keys: a batch of 1 is refused only when the model has batchnorm layers",
    "output_width_mismatch": "against the data: the output width must equal the data's class count",
    "network_too_large_for_memory": "against the machine: the network's memory estimate",
    "learning_rate_overflowing_to_infinity": "1e999 is beyond a double: a JSON parser reads it as infinity, which a "
                                             "number schema with no maximum admits",
    "duplicate_config_key_names_both_lines": "a duplicate key is a property of the JSON text, gone once parsed",
}

# The hostile cases that feed bnrun a config it must refuse for what the config says (not its data, files or
# command line): each runs with BNRUN_SAVE_CONFIGS_TO, which keeps every config it feeds bnrun.
CONFIG_CASES = [
    "unknown_config_key", "wrong_type", "out_of_range", "config_is_a_json_array", "zero_epochs", "zero_batch_size",
    "negative_batch_size", "zero_units", "unknown_activation", "unknown_layer_type", "no_layers", "learning_rate_nan",
    "test_fraction_of_one", "bad_sweep_value", "deeply_nested_override_value",
] + sorted(EXEMPT)


# Values each value of the mutated configs is replaced by: wrong types, numbers at and beyond the usual bounds.
MUTATIONS = ["x", -1, 0, 0.5, 1e12, True, None, [], {}]
MUTATED_CONFIGS = ["iris_bn.json", "iris_notebook.json", "paper_fig1.json", "claims/normalizers.json",
                   "claims/batch_size.json"]
# (key path pattern, which values, why) for the mutations bnrun refuses by a rule a JSON Schema cannot say.
MUTATION_EXEMPT = [
    (re.compile(r"experiment\.arms\[\d+\]\.[rd]_max\.start"), lambda value: value == 1e12,
     "across keys: a clipping schedule's start above its end"),
    (re.compile(r"experiment\.reference"), lambda value: isinstance(value, str),
     "across keys: the reference must be one of the arms"),
]


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def value_of(text):
    """A --set value as bnrun reads it (config/load.h): JSON when it parses (strict JSON: NaN and Infinity are not),
    else the text as a string."""
    try:
        return json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        return text


def key_steps(path):
    """ "model.layers[1].type" → ["model", "layers", 1, "type"]."""
    steps = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            steps.append(int(index))
            rest = rest.lstrip("[")
    return steps


def set_value(document, path, value):
    steps = key_steps(path)
    target = document
    for step in steps[:-1]:
        if isinstance(step, str) and step not in target:
            target[step] = {}
        target = target[step]
    target[steps[-1]] = value


def configs_of(folder):
    """The configs one expect_error call fed bnrun: its config.json with each --set applied, once per --sweep
    value (bnrun refuses the study when it refuses any of them)."""
    with open(os.path.join(folder, "arguments"), "rb") as file:
        arguments = [argument.decode() for argument in file.read().split(b"\0") if argument]
    config_path = os.path.join(folder, "config.json")
    if not os.path.exists(config_path) or "-c" not in arguments and "--config" not in arguments:
        return []
    with open(config_path) as file:
        try:
            document = json.load(file)
        except ValueError:
            return []  # not JSON at all: bnrun's own parser refuses it, no schema is asked
    sweeps = []
    i = 0
    while i < len(arguments):
        option = arguments[i]
        if option in ("--set", "-s", "--sweep") and i + 1 < len(arguments):
            assignment = arguments[i + 1]
            key, _, text = assignment.partition("=")
            if option == "--sweep":
                sweeps.append((key, [value_of(item) for item in text.split(",")]))
            elif isinstance(document, dict):
                set_value(document, key, value_of(text))
            i += 2
        else:
            i += 1
    if not sweeps:
        return [document]
    result = []
    for key, values in sweeps:
        for value in values:
            copy = json.loads(json.dumps(document))
            set_value(copy, key, value)
            result.append(copy)
    return result


def leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, member in value.items():
            yield from leaf_paths(member, path + (key,))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from leaf_paths(member, path + (index,))
    else:
        yield path


def dotted(path):
    return "".join(f"[{step}]" if isinstance(step, int) else ("." if i else "") + step for i, step in enumerate(path))


def check_mutations(bnrun, source_dir, validator, failures):
    """Each value of MUTATED_CONFIGS replaced by each of MUTATIONS: bnrun and the schema agree."""
    checked = 0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "config.json")
        for name in MUTATED_CONFIGS:
            with open(os.path.join(source_dir, "configs", name)) as file:
                base = json.load(file)
            # The sections other commands read (a claim, a sweep, a launcher) are described loosely.
            for steps in [p for p in leaf_paths(base) if p[0] not in ("claim", "sweep", "launcher")]:
                for value in MUTATIONS:
                    config = json.loads(json.dumps(base))
                    target = config
                    for step in steps[:-1]:
                        target = target[step]
                    target[steps[-1]] = value
                    with open(path, "w") as file:
                        json.dump(config, file)
                    run = subprocess.run([bnrun, "validate", "--config-only", "-c", path], capture_output=True,
                                         text=True)
                    by_bnrun = run.returncode == 0
                    by_schema = validator.is_valid(config)
                    checked += 1
                    if by_bnrun == by_schema:
                        continue
                    key = dotted(steps)
                    if any(pattern.fullmatch(key) and applies(value) for pattern, applies, _ in MUTATION_EXEMPT):
                        continue
                    failures.append(f"{name} with {key} = {json.dumps(value)}: bnrun "
                                    f"{'accepts' if by_bnrun else 'refuses'} it, the schema "
                                    f"{'accepts' if by_schema else 'refuses'} it ({run.stderr.strip()[:200]})")
    print(f"{checked} mutated configs checked")


def main():
    bnrun, source_dir = sys.argv[1], sys.argv[2]
    schema = json.loads(subprocess.run([bnrun, "schema"], check=True, capture_output=True, text=True).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []

    shipped = []
    for folder in ("configs", "configs/claims"):
        directory = os.path.join(source_dir, folder)
        shipped += [os.path.join(directory, name) for name in sorted(os.listdir(directory)) if name.endswith(".json")]
    for path in shipped:
        with open(path) as file:
            config = json.load(file)
        errors = [error.message for error in validator.iter_errors(config)]
        if errors:
            failures.append(f"{path}: refused by the schema: {errors[0]}")
        config["$schema"] = "./bnrun-config.schema.json"
        if not validator.is_valid(config):
            failures.append(f"{path}: with \"$schema\", refused by the schema")
    print(f"{len(shipped)} shipped configs checked")

    refused = 0
    with tempfile.TemporaryDirectory() as saved:
        environment = dict(os.environ, BNRUN_SAVE_CONFIGS_TO=saved)
        script = os.path.join(source_dir, "tests", "hostile", "hostile_cases.sh")
        for case in CONFIG_CASES:
            run = subprocess.run(["bash", script, bnrun, source_dir, case], env=environment, capture_output=True,
                                 text=True)
            if run.returncode != 0:
                failures.append(f"hostile case {case} failed by itself: {run.stdout.strip()}")
        checked_cases = set()
        for folder in sorted(os.listdir(saved)):
            case = folder.rsplit(".", 1)[0]
            configs = configs_of(os.path.join(saved, folder))
            if not configs:
                continue
            accepted = all(validator.is_valid(config) for config in configs)
            if case in EXEMPT:
                if not accepted:
                    failures.append(f"hostile case {case} is listed as exempt, but the schema refuses it: "
                                    "take it off the list")
            elif accepted:
                failures.append(f"hostile case {case}: bnrun refuses this config, the schema accepts it: "
                                f"{json.dumps(configs)[:300]}")
            else:
                refused += 1
                checked_cases.add(case)
        for case in sorted(set(CONFIG_CASES) - set(EXEMPT) - checked_cases):
            failures.append(f"hostile case {case} fed bnrun no config this test could check")
    print(f"{refused} refused hostile configs refused by the schema too; exempt: {', '.join(sorted(EXEMPT))}")

    check_mutations(bnrun, source_dir, validator, failures)

    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
