#!/usr/bin/env python3
"""Validates every shipped scenario and the valid test fixtures against Scenarios/scenario.schema.json
with an independent validator (Python's jsonschema), and checks that invalid fixtures fail it too.
YAML is read as YAML 1.2 reads it (`on:` is a key, not a boolean), as podsim and
yaml-language-server do."""
import glob
import json
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML speaks YAML 1.1, where on/off/yes/no are booleans; YAML 1.2 keeps only true/false."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

schema = json.load(open("Scenarios/scenario.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
files = sorted(glob.glob("Scenarios/**/*.yaml", recursive=True)) + [
    "Tests/Fixtures/every-step.yaml", "Tests/Fixtures/every-hosted-step.yaml", "Tests/Fixtures/escapes.yaml", "Tests/Fixtures/failing.yaml",
]
bad = 0
for path in files:
    with open(path) as handle:
        document = yaml.load(handle, Loader=Yaml12Loader)
    for error in validator.iter_errors(document):
        bad += 1
        print(f"{path}: {'/'.join(map(str, error.path))}: {error.message}")
# Files the parser rejects in ways the schema can express must fail the schema too.
rejected = ["Tests/Fixtures/invalid.yaml", "Tests/Fixtures/invalid-steps.yaml"]
for path in rejected:
    with open(path) as handle:
        if not list(validator.iter_errors(yaml.load(handle, Loader=Yaml12Loader))):
            bad += 1
            print(f"{path}: podsim rejects it, the schema accepts it")
print(f"{len(files)} scenario files checked against the schema and {len(rejected)} invalid ones rejected: {bad} problem(s)")
sys.exit(1 if bad else 0)
