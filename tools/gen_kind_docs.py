#!/usr/bin/env python3
"""Writes what the documentation says of each layer kind from the registry (`netwright-cli kinds --json`),
so that adding a kind to core/layers/ never leaves the docs behind:

  docs/kinds.md                 every kind: ports, attributes (type, default, range or choices), formulas
  README.md                     the list of kinds, between <!-- kinds:begin --> and <!-- kinds:end -->
  resources/netw.schema.json    $defs.kind_attrs: per kind, the attributes a node may set and their values

usage: gen_kind_docs.py NETWRIGHT_CLI [ROOT] [--check]
--check writes nothing and exits 1 naming each file that differs from what it would write (CI runs it).
"""
import json
import pathlib
import subprocess
import sys

BEGIN, END = "<!-- kinds:begin -->", "<!-- kinds:end -->"
FORMULA = {"type": "string", "pattern": "^=", "description": "a formula over the module's parameters"}


def load(cli):
    return json.loads(subprocess.run([cli, "kinds", "--json"], check=True, capture_output=True, text=True).stdout)


def by_category(kinds):
    groups = {}
    for k in kinds:
        groups.setdefault(k["category"], []).append(k)
    return groups


def value_text(a):
    if "choices" in a:
        return " / ".join("`%s`" % c for c in a["choices"])
    lo, hi = a["range"] if "range" in a else (None, None)
    if lo is None:
        return "true / false"
    return "%s … %s" % (format_number(lo), format_number(hi))


def format_number(v):
    return format(v, ",") if isinstance(v, int) else ("%g" % v)


def kinds_markdown(kinds):
    out = ["# Layer kinds", "",
           "Generated from the registry by `tools/gen_kind_docs.py` (`netwright-cli kinds --json`); do not edit.",
           "Each kind is declared once, in `core/layers/`. Counting conventions: [architecture.md](architecture.md).", ""]
    for category, members in by_category(kinds).items():
        out += ["## " + category, ""]
        for k in members:
            ports = ", ".join(k["inputs"]) if k["inputs"] else "none"
            if k["variadic"]:
                ports = "in0 … in{num_inputs−1}"
            out += ["### " + k["kind"], "", k["doc"], "",
                    "Inputs: %s · outputs: %s" % (ports, ", ".join(k["outputs"]) or "none"), ""]
            if k["attrs"]:
                out += ["| attribute | type | default | values | meaning |", "|---|---|---|---|---|"]
                for a in k["attrs"]:
                    out.append("| `%s` | %s | `%s` | %s | %s |" % (a["name"], a["type"], a["default"], value_text(a),
                                                                  a["doc"].replace("|", "\\|")))
                out.append("")
            f = k["formulas"]
            out += ["- output shape: " + f["shape"], "- parameters: " + f["params"], "- MACs: " + f["macs"], ""]
    return "\n".join(out)


def readme_list(kinds):
    return "; ".join("%s: %s" % (c, ", ".join(k["kind"] for k in m)) for c, m in by_category(kinds).items())


def attr_schema(a):
    t = a["type"]
    if t == "bool":
        plain = {"type": "boolean"}
    elif t == "choice":
        plain = {"enum": a["choices"]}
    elif t == "float":
        plain = {"type": "number", "minimum": a["range"][0], "maximum": a["range"][1]}
    else:
        number = {"type": "integer", "minimum": a["range"][0], "maximum": a["range"][1]}
        if t == "int":
            plain = number
        elif t == "int2":
            plain = {"oneOf": [number, {"type": "array", "items": number, "minItems": 2, "maxItems": 2}]}
        else:  # padding: n, [h, w], [top, left, bottom, right], same, valid
            plain = {"oneOf": [number, {"type": "array", "items": number, "minItems": 2, "maxItems": 4},
                               {"enum": ["same", "valid"]}]}
    return {"description": a["doc"], "anyOf": [plain, {"$ref": "#/$defs/formula"}]}


def schema_defs(kinds):
    rules = []
    for k in kinds:
        attrs = {"type": "object", "additionalProperties": False,
                 "properties": {a["name"]: attr_schema(a) for a in k["attrs"]}}
        rules.append({"if": {"properties": {"kind": {"const": k["kind"]}}, "required": ["kind"]},
                      "then": {"properties": {"attrs": attrs, "repeat_attrs": attrs}}})
    return {"description": "per layer kind: the attributes a node may set and the values they take (generated)",
            "allOf": rules}


def compact_json(value, indent=0, width=120):
    """JSON with each object or array on one line when it fits in `width`, as the schema is written."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        items = ["%s%s: %s" % (inner, json.dumps(k, ensure_ascii=False), compact_json(v, indent + 2, width))
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    items = [inner + compact_json(v, indent + 2, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + pad + "]"


def render(root, kinds):
    files = {}
    files[root / "docs" / "kinds.md"] = kinds_markdown(kinds) + "\n"
    readme = (root / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    files[root / "README.md"] = readme[:start] + readme_list(kinds) + readme[end:]
    schema_path = root / "resources" / "netw.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["$defs"]["formula"] = FORMULA
    schema["$defs"]["kind_attrs"] = schema_defs(kinds)
    schema["$defs"]["node"]["allOf"] = [{"$ref": "#/$defs/kind_attrs"}]
    files[schema_path] = compact_json(schema) + "\n"
    return files


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv
    root = pathlib.Path(args[1] if len(args) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    files = render(root, load(args[0]))
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if check:
        for p in stale:
            print("%s: not what the registry says; run tools/gen_kind_docs.py build/app/netwright-cli" % p.relative_to(root))
        print("kind docs: %d of %d files current" % (len(files) - len(stale), len(files)))
        sys.exit(1 if stale else 0)
    for p in stale:
        p.write_text(files[p], encoding="utf-8")
        print("wrote", p.relative_to(root))


if __name__ == "__main__":
    main()
