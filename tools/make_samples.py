#!/usr/bin/python3
"""Writes the sample images in resources/samples/ (run once; the PNGs are committed).

- fashion_*.png: the first test image of five Fashion-MNIST classes, from Debian's
  dataset-fashion-mnist package (Zalando SE, MIT/Expat licence; see resources/samples/LICENSE).
- shapes_224.png, gradient_299.png: rendered here (no third-party content).
Needs python3-pil and numpy.
"""
import gzip
import os

import numpy as np
from PIL import Image, ImageDraw

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "samples")
FASHION = "/usr/share/datasets/fashion-mnist"
NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def fashion():
    images = np.frombuffer(gzip.open(FASHION + "/t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.frombuffer(gzip.open(FASHION + "/t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    for cls in (0, 1, 5, 7, 9):
        i = int(np.nonzero(labels == cls)[0][0])
        Image.fromarray(images[i]).save(os.path.join(OUT, "fashion_%s.png" % NAMES[cls]))


def rendered():
    img = Image.new("RGB", (224, 224), (235, 235, 225))
    d = ImageDraw.Draw(img)
    d.ellipse((20, 30, 120, 130), fill=(200, 40, 40))
    d.rectangle((110, 100, 200, 200), fill=(40, 90, 200))
    d.polygon([(40, 200), (100, 140), (160, 210)], fill=(40, 160, 70))
    img.save(os.path.join(OUT, "shapes_224.png"))
    y, x = np.mgrid[0:299, 0:299]
    grad = np.stack([x * 255 / 298, y * 255 / 298, (x + y) * 255 / 596], -1).astype(np.uint8)
    Image.fromarray(grad).save(os.path.join(OUT, "gradient_299.png"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    fashion()
    rendered()
