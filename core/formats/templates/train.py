#!/usr/bin/env python3
"""Trains the network of model.py on Fashion-MNIST, an MNIST-format idx pair or an image-folder tree.

    python3 train.py --data fashion-mnist --epochs 5
    torchrun --nproc_per_node=2 train.py --data fashion-mnist          # several processes (DDP)

Written by Netwright. Unchanged, it runs on one process or under torchrun on one or several machines
with DistributedDataParallel: every process takes its share of each batch (--batch is the global
batch), and rank 0 evaluates, prints and writes the weights after each epoch.
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from model import INPUT_SHAPE, NORMALIZE, OUTPUT_IS_PROBABILITY, build_model, load_safetensors, save_safetensors

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def read_idx(path):
    """An unsigned-byte idx file (gzip or not) as a numpy array."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] or data[1] or data[2] != 0x08:
        sys.exit("%s: not an unsigned-byte idx file" % path)
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    values = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(dims)):
        sys.exit("%s: holds %d values, its header says %s" % (path, values.size, "×".join(map(str, dims))))
    return values.reshape(dims)


def normalize(x):
    """Pixels in [0, 1] scaled as the Input node says."""
    if NORMALIZE == "mnist":
        return (x - 0.1307) / 0.3081
    if NORMALIZE == "imagenet":
        c = x.shape[1]
        mean = torch.tensor(IMAGENET_MEAN[:c]).view(1, c, 1, 1)
        std = torch.tensor(IMAGENET_STD[:c]).view(1, c, 1, 1)
        return (x - mean) / std
    if NORMALIZE == "tf":
        return x * 2 - 1
    return x


def prepare(images):
    """uint8 N×H×W (or N×H×W×C) images → float N×C×H×W of the Input node's size: padded when smaller
    (LeNet-5's 32×32 from 28×28, as the classic recipe does), resized when larger."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float() / 255.0
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    c, h, w = INPUT_SHAPE
    if x.shape[2] <= h and x.shape[3] <= w:
        top, left = (h - x.shape[2]) // 2, (w - x.shape[3]) // 2
        x = F.pad(x, (left, w - x.shape[3] - left, top, h - x.shape[2] - top))
    else:
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    if x.shape[1] != c:
        x = x.mean(1, keepdim=True).expand(-1, c, -1, -1) if c in (1, 3) else sys.exit("cannot make %d channels" % c)
    return normalize(x.contiguous())


def split(x, y, fraction, seed):
    if fraction <= 0:
        return x, y, None, None
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n = max(1, int(len(y) * fraction))
    return x[order[n:]], y[order[n:]], x[order[:n]], y[order[:n]]


def load_data(spec, val_split, seed):
    """(train images, train labels, test images, test labels); the test set may be None."""
    if spec == "fashion-mnist":
        part = lambda name: os.path.join(FASHION_MNIST, name)
        if not os.path.exists(part("train-images-idx3-ubyte.gz")):
            sys.exit("Fashion-MNIST is not in %s: apt install dataset-fashion-mnist" % FASHION_MNIST)
        return (prepare(read_idx(part("train-images-idx3-ubyte.gz"))),
                torch.from_numpy(read_idx(part("train-labels-idx1-ubyte.gz")).astype(np.int64)),
                prepare(read_idx(part("t10k-images-idx3-ubyte.gz"))),
                torch.from_numpy(read_idx(part("t10k-labels-idx1-ubyte.gz")).astype(np.int64)))
    if spec.startswith("idx:"):
        images, labels = spec[4:].split(",")
        x, y = prepare(read_idx(images)), torch.from_numpy(read_idx(labels).astype(np.int64))
        if len(x) != len(y):
            sys.exit("%s holds %d images but %s %d labels" % (images, len(x), labels, len(y)))
        return split(x, y, val_split, seed)
    if os.path.isdir(spec):
        import torchvision  # only for image folders
        c, h, w = INPUT_SHAPE
        steps = [torchvision.transforms.Resize(min(h, w)), torchvision.transforms.CenterCrop((h, w))]
        if c == 1:
            steps.append(torchvision.transforms.Grayscale())
        folder = torchvision.datasets.ImageFolder(spec, torchvision.transforms.Compose(
            steps + [torchvision.transforms.PILToTensor()]))
        pairs = [folder[i] for i in range(len(folder))]
        x = normalize(torch.stack([p[0] for p in pairs]).float() / 255.0)
        return split(x, torch.tensor([p[1] for p in pairs]), val_split or 0.1, seed)
    sys.exit("--data is fashion-mnist, idx:IMAGES,LABELS or a folder of class folders; got %r" % spec)


def loss_of(output, labels, smoothing):
    if OUTPUT_IS_PROBABILITY:  # the network ends in a softmax
        logp = torch.log(output.clamp_min(1e-12))
        return (1 - smoothing) * F.nll_loss(logp, labels) - smoothing * logp.mean(1).mean()
    return F.cross_entropy(output, labels, label_smoothing=smoothing)


@torch.no_grad()
def accuracy(model, x, y, batch):
    model.eval()
    right = sum((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item() for i in range(0, len(y), batch))
    model.train()
    return right / max(len(y), 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist, idx:IMAGES,LABELS or a folder")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=64, help="global batch (split between processes)")
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="sgd")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", choices=["constant", "cosine", "step"], default="constant")
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--val-split", type=float, default=0.0, help="fraction held out (idx data and folders)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", help="start from these weights (safetensors); default: PyTorch's initialisation")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    p.add_argument("-o", "--output", default="trained.safetensors")
    args = p.parse_args()

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
    torch.manual_seed(args.seed)

    train_x, train_y, test_x, test_y = load_data(args.data, args.val_split, args.seed)
    model = build_model()
    if args.weights:
        model.load_state_dict(load_safetensors(args.weights))
    model.to(device).train()
    net = nn.parallel.DistributedDataParallel(model) if distributed else model
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, nesterov=args.nesterov,
                              weight_decay=args.weight_decay)
    else:
        kind = torch.optim.Adam if args.optimizer == "adam" else torch.optim.AdamW
        opt = kind(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(train_y) / args.batch)
    total = steps_per_epoch * args.epochs

    def factor(step):
        warm = min(1.0, (step + 1) / args.warmup_steps) if args.warmup_steps else 1.0
        if args.schedule == "cosine":
            return warm * 0.5 * (1 + math.cos(math.pi * step / max(total, 1)))
        if args.schedule == "step":
            return warm * 0.1 ** (step // max(steps_per_epoch * max(args.epochs // 3, 1), 1))
        return warm

    schedule = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    step, started = 0, time.time()
    for epoch in range(args.epochs):
        # The same seeded order on every process; each takes every world-th sample of a batch.
        order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(args.seed + epoch))
        for first in range(0, len(order), args.batch):
            take = order[first:first + args.batch][rank::world]
            x, y = train_x[take].to(device), train_y[take].to(device)
            loss = loss_of(net(x), y, args.label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            step += 1
            if rank == 0 and (step % 50 == 0 or step == 1):
                rate = step * args.batch / max(time.time() - started, 1e-9)
                print("epoch %d step %d/%d loss %.4f  %.0f samples/s" % (epoch + 1, step, total, loss.item(), rate),
                      flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        if rank == 0:
            if test_y is not None:
                print("epoch %d: test accuracy %.2f %%" % (epoch + 1, 100 * accuracy(model, test_x, test_y, 256)),
                      flush=True)
            save_safetensors({k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")},
                             args.output)
        if args.max_steps and step >= args.max_steps:
            break
    if rank == 0:
        print("wrote %s after %d steps" % (args.output, step))
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
