#!/usr/bin/python3
"""A training step (forward, loss, backward, optimizer update) in Netwright and in PyTorch, side by side.

Usage: train_peers.py BUILD_DIR [--runs R] [--rounds K] [--batch B] [--optimizer sgd|adam] [--markdown]

For LeNet-5 and the MNIST Inception and residual nets (their presets' input sizes) and a CIFAR-style
ResNet-18 (tests/bench/resnet18_cifar.netw, 3×32×32, batch norm: its batch is not split): Netwright's
`netwright-cli bench NET --train` (median step) and PyTorch 1.13 on the model.py `export --pytorch`
writes (train mode, torch.optim at the same settings, 2 threads), each in its own process, the peers
taking turns for K rounds and keeping their best; the peak resident memory of each process too.
Prints samples/s, the ratio Netwright/PyTorch (above 1: Netwright is faster) and the memory.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
NETS = {name: os.path.join(ROOT, "presets", name + ".netw") for name in ["lenet5", "mnist_inception", "mnist_residual"]}
NETS["resnet18_cifar"] = os.path.join(HERE, "resnet18_cifar.netw")

TORCH_STEP = r'''
import importlib.util, json, sys, time, torch, torch.nn.functional as F
directory, batch, runs, optimizer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(2)
spec = importlib.util.spec_from_file_location("model", directory + "/model.py")
m = importlib.util.module_from_spec(spec); sys.path.insert(0, directory); spec.loader.exec_module(m)
model = m.build_model().train()
opt = (torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
       else torch.optim.Adam(model.parameters(), lr=0.001))
x = torch.randn(batch, *m.INPUT_SHAPE); y = torch.randint(0, 10, (batch,))
times = []
for i in range(runs + 2):
    t = time.perf_counter()
    out = model(x)
    loss = F.nll_loss(torch.log(out), y) if m.OUTPUT_IS_PROBABILITY else F.cross_entropy(out, y)
    opt.zero_grad(); loss.backward(); opt.step()
    times.append(time.perf_counter() - t)
times = sorted(times[2:])
print(json.dumps({"median_ms": 1000 * times[len(times) // 2]}))
'''


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    cli = os.path.join(args.build, "app", "netwright-cli")
    work = tempfile.mkdtemp(prefix="train_peers-")
    best = {}
    for net in NETS:
        subprocess.run([cli, "export", NETS[net], "--pytorch",
                        os.path.join(work, net), "--force"], check=True, capture_output=True)
    for _ in range(args.rounds):
        for net in NETS:
            # Each measurement in its own process under /usr/bin/time, whose %M is that process's peak.
            r = subprocess.run(["/usr/bin/time", "-f", "%M", cli, "bench", NETS[net],
                                "--train", "--batch", str(args.batch), "--threads", "2", "--runs", str(args.runs),
                                "--json"], capture_output=True, text=True, check=True)
            ours = json.loads(r.stdout)["median_ms"], int(r.stderr.strip().splitlines()[-1]) / 1024
            t = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", TORCH_STEP, os.path.join(work, net),
                                str(args.batch), str(args.runs), args.optimizer],
                               capture_output=True, text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="2"))
            theirs = json.loads(t.stdout)["median_ms"], int(t.stderr.strip().splitlines()[-1]) / 1024
            o, q = best.get(net, (ours, theirs))
            best[net] = (min(o, ours), min(q, theirs))
    rows = []
    for net in NETS:
        (ms, mem), (tms, tmem) = best[net]
        rows.append((net, args.batch * 1000 / ms, args.batch * 1000 / tms, tms / ms, mem, tmem))
    if args.markdown:
        print("| network (batch %d) | Netwright samples/s | PyTorch samples/s | Netwright / PyTorch | peak MB Netwright | peak MB PyTorch |"
              % args.batch)
        print("|---|---|---|---|---|---|")
        for r in rows:
            print("| %s | %.0f | %.0f | **%.2f×** | %.0f | %.0f |" % r)
    else:
        for r in rows:
            print("%-16s Netwright %7.0f samples/s  PyTorch %7.0f samples/s  ratio %.2f  peak %5.0f MB vs %5.0f MB" % r)


if __name__ == "__main__":
    sys.exit(main())
