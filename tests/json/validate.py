#!/usr/bin/python3
"""Validates one JSON document (stdin) against a schema of docs/json/.

Usage: validate.py docs/json/<name>.schema.json < output.json
Exit 0 when valid; 1 with every violation on stderr; 2 on bad usage or a
document that is not JSON. The schemas refer to each other by relative $ref
(run -> report): every *.schema.json next to the given one is loaded.
Debian's python3-jsonschema (scripts/deps); run with /usr/bin/python3.
"""
import json
import pathlib
import sys

import jsonschema


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = pathlib.Path(argv[1])
    store = {}
    for p in path.parent.glob("*.schema.json"):
        s = json.loads(p.read_text())
        jsonschema.Draft202012Validator.check_schema(s)
        store[s["$id"]] = s
    schema = json.loads(path.read_text())
    try:
        doc = json.loads(sys.stdin.read())
    except ValueError as e:
        print(f"validate: stdin is not JSON: {e}", file=sys.stderr)
        return 2
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print(f"{path.name}: {where}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
