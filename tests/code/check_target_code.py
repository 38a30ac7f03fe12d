#!/usr/bin/env python3
"""Instruction-set-specific code stays in its target's file: only core/layers/simd.h chooses a target
by its macros, and intrinsics appear only in core/layers/simd_<target>.h, so that a kernel is written
once over the vector and a target is added (or dispatched at run time) in one place.

usage: check_target_code.py SOURCE_DIR
Fails listing file:line of every target macro (__AVX2__, __AVX512F__, __FMA__, __SSE…) outside simd.h
and every intrinsic (_mm…, __m128/__m256/__m512) outside the simd_<target>.h files.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
macro = re.compile(r"__(AVX\w*|FMA|SSE\w*|ARM_NEON)__")
intrinsic = re.compile(r"\b_mm\d*_\w+|\b__m(128|256|512)[id]?\b|<immintrin\.h>")

found = []
sources = [p for folder in ("core", "ui", "app") for p in sorted((root / folder).rglob("*")) if p.suffix in (".cpp", ".h")]
assert any(p.name == "simd.h" for p in sources), "core/layers/simd.h not found under " + str(root)
for path in sources:
    rel = path.relative_to(root).as_posix()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if macro.search(line) and rel != "core/layers/simd.h":
            found.append(f"{rel}:{number}: target macro outside core/layers/simd.h: {line.strip()}")
        if intrinsic.search(line) and not re.fullmatch(r"core/layers/simd_\w+\.h", rel):
            found.append(f"{rel}:{number}: intrinsic outside a core/layers/simd_<target>.h: {line.strip()}")
if found:
    print("\n".join(found))
    sys.exit(1)
print(f"{len(sources)} files: target code only in core/layers/simd*.h")
