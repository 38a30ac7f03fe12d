#!/usr/bin/env python3
"""Nothing outside core/layers/ decides by a kind's name: code that needs to know what a kind does
asks its declaration (role, epilogue, affine, colour...). Format translators, which map another
format's operator names onto kinds, are the exception (core/formats/).

usage: check_kind_names.py NETWRIGHT_CLI SOURCE_DIR
Fails listing file:line of every comparison of a string literal naming a kind (== "Conv2d",
"ReLU" != x, .compare("Add"), case "Input").
"""
import json
import pathlib
import re
import subprocess
import sys

cli, root = sys.argv[1], pathlib.Path(sys.argv[2])
kinds = [k["kind"] for k in json.loads(subprocess.run([cli, "kinds", "--json"], check=True, capture_output=True, text=True).stdout)]
assert len(kinds) >= 20, kinds
names = "|".join(re.escape(k) for k in kinds)
comparison = re.compile(
    rf'(==|!=)\s*"({names})"|"({names})"\s*(==|!=)|\.compare\(\s*"({names})"\s*\)|case\s+"({names})"|starts_with\(\s*"({names})"')

def exempt(path: pathlib.Path) -> bool:
    rel = path.relative_to(root).as_posix()
    return rel.startswith("core/layers/") or rel.startswith("core/formats/")

found = []
for folder in ("core", "ui", "app"):
    for path in sorted((root / folder).rglob("*")):
        if path.suffix not in (".cpp", ".h") or exempt(path):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("//", 1)[0]
            if comparison.search(code):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")

# The check must be able to fail: a comparison written the way it is looked for is found.
assert comparison.search('if (node.kind->name == "ReLU")') and comparison.search('"Add" != k')
if found:
    print("kind names compared outside core/layers/ (ask the kind's declaration instead):")
    print("\n".join(found))
    sys.exit(1)
print(f"no kind name ({len(kinds)} kinds) compared outside core/layers/")
