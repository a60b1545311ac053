#!/usr/bin/python3
"""The JSON Schema accepts every reference design and rejects the structural mistakes of the
invalid corpus that a schema can see (unknown keys, bare numbers, wrong units, bad enums).
Run by ctest with Debian's python3-jsonschema (draft 2020-12)."""
import glob
import json
import os
import sys

import jsonschema

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
schema = json.load(open(os.path.join(root, "topologies", "nvlsim-design.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = 0
designs = sorted(glob.glob(os.path.join(root, "topologies", "*.json")))
designs = [d for d in designs if not d.endswith(".schema.json")]
for path in designs:
    errors = list(validator.iter_errors(json.load(open(path))))
    if errors:
        failures += 1
        print(f"FAIL {os.path.basename(path)}: {errors[0].message}")
must_reject = ["unknown-top-key", "unknown-rule-key", "quantity-bare-number", "quantity-unknown-unit",
               "quantity-negative", "count-negative", "count-wrong-type", "unknown-rule",
               "name-trailing-digit", "format-version", "expect-unknown-key",
               "efficiency-out-of-range", "unknown-kind", "missing-name", "missing-system"]
for case in must_reject:
    path = os.path.join(root, "tests", "cases", "invalid", case, "design.json")
    if validator.is_valid(json.load(open(path))):
        failures += 1
        print(f"FAIL schema accepts invalid case {case}")
print(f"{len(designs) + len(must_reject) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
