#!/usr/bin/python3
"""Netwright's image preparation against torchvision's transforms on PIL images.

Usage: check_images.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR

Seeded images (PNG, JPEG, BMP; landscape, portrait; RGB and grayscale targets) are prepared by
`netwright-cli run --image IMG --dump input` and by torchvision (Resize + CenterCrop + ToTensor +
Normalize, or a plain Resize for stretched inputs). PIL rounds to 8 bits between its two resize passes
and Netwright does not, so pixels may differ by about one level: the check is max|Δ| ≤ 2.5 levels and
mean|Δ| ≤ 0.5 levels, measured before normalisation. JPEG decoders differ by a level or two on their own
(libjpeg's and stb_image's IDCT and chroma upsampling), so JPEG is allowed max|Δ| ≤ 4. Unreadable files must fail with a message.
"""
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

CASES = [  # preset, image size (w, h), format, torchvision pipeline, mean, std
    ("resnet18", (400, 300), "PNG", [transforms.Resize(256), transforms.CenterCrop(224)], [0.485, 0.456, 0.406],
     [0.229, 0.224, 0.225]),
    ("resnet18", (240, 500), "JPEG", [transforms.Resize(256), transforms.CenterCrop(224)], [0.485, 0.456, 0.406],
     [0.229, 0.224, 0.225]),
    ("xception", (640, 480), "BMP", [transforms.Resize((299, 299))], [0.5] * 3, [0.5] * 3),
    ("mnist_inception", (56, 56), "PNG", [transforms.Grayscale(), transforms.Resize((28, 28))], [0.1307], [0.3081]),
]


def main():
    cli, presets, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    rng = np.random.RandomState(0)
    failed = False
    for i, (preset, size, fmt, pipeline, mean, std) in enumerate(CASES):
        # Smooth content, so the comparison measures resampling rather than noise aliasing.
        yy, xx = np.mgrid[0:size[1], 0:size[0]]
        img = np.stack([127 + 120 * np.sin(xx / (7.0 + 3 * c) + yy / (11.0 + c) + rng.rand()) for c in range(3)], -1)
        path = os.path.join(work, "img%d.%s" % (i, fmt.lower()))
        Image.fromarray(img.astype(np.uint8)).save(path, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        pil = Image.open(path).convert("RGB")
        want = transforms.Compose(pipeline + [transforms.ToTensor()])(pil).numpy()
        dump = os.path.join(work, "dump%d" % i)
        os.makedirs(dump, exist_ok=True)
        r = subprocess.run([cli, "run", "%s/%s.netw" % (presets, preset), "--image", path, "--dump", "input",
                            "--dump-dir", dump], capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL %s %s: %s" % (preset, fmt, r.stderr.strip()))
            failed = True
            continue
        got = np.load(os.path.join(dump, "input.npy"))[0]
        got = got * np.array(std)[:, None, None] + np.array(mean)[:, None, None]  # back to [0, 1]
        if got.shape != want.shape:
            print("FAIL %s %s: shape %s, torchvision %s" % (preset, fmt, got.shape, want.shape))
            failed = True
            continue
        diff = np.abs(got - want) * 255
        ok = diff.max() <= (4.0 if fmt == "JPEG" else 2.5) and diff.mean() <= 0.5
        failed |= not ok
        print("%s %-16s %-4s %4d×%-4d → %s  max|Δ| %.2f levels, mean %.3f" % (
            "ok  " if ok else "FAIL", preset, fmt, size[0], size[1], "×".join(map(str, got.shape)), diff.max(),
            diff.mean()))
    bad = os.path.join(work, "broken.png")
    open(bad, "wb").write(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    r = subprocess.run([cli, "run", "%s/resnet18.netw" % presets, "--image", bad], capture_output=True, text=True)
    if r.returncode != 1 or "broken.png" not in r.stderr:
        print("FAIL a broken PNG gave exit %d: %s" % (r.returncode, r.stderr.strip()))
        failed = True
    else:
        print("ok   broken PNG refused: " + r.stderr.strip())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
