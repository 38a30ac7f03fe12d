#!/usr/bin/python3
"""Validates .netw files against resources/netw.schema.json, and checks the schema rejects broken ones.

Usage: check_schema.py SCHEMA FILE...
"""
import copy
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failed = False
    for path in sys.argv[2:]:
        doc = json.load(open(path, encoding="utf-8"))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print("%s: /%s: %s" % (path, "/".join(map(str, e.path)), e.message))
        failed |= bool(errors)
        # The schema must also say no: each mutation below makes the file invalid.
        for what, mutate in [("version 2", lambda d: d.update(version=2)),
                             ("node without kind", lambda d: d["nodes"][0].pop("kind")),
                             ("misspelt key", lambda d: d["nodes"][0].update(atrrs={})),
                             ("edge without target", lambda d: d.setdefault("edges", [{}])[0].pop("to", None))]:
            broken = copy.deepcopy(doc)
            mutate(broken)
            if validator.is_valid(broken):
                print("%s: schema accepts a file with %s" % (path, what))
                failed = True
    print("%d files checked against the schema" % (len(sys.argv) - 2))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
