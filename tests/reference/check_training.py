#!/usr/bin/python3
"""Training on Fashion-MNIST: Netwright reaches the accuracy, and PyTorch on the same recipe agrees.

Usage: check_training.py NETWRIGHT_CLI PRESETS_DIR WORK_DIR [PRESET ...]

For LeNet-5 and the course's MNIST Inception and residual nets, one recipe each (optimizer, learning
rate, schedule, epochs ≤ 5, batch 64, seed 0): `netwright-cli train --data fashion-mnist` must reach
≥ 89 % on Fashion-MNIST's 10,000 test images, `evaluate` must report the same accuracy, and the
project `export --pytorch` writes, trained by its train.py from the same starting weights with the
same recipe (2 threads), must land within 1 point of Netwright. Exits 1 listing what failed.
"""
import json
import os
import re
import subprocess
import sys

# preset: the recipe's options, shared by netwright-cli train and train.py.
RECIPES = {
    "lenet5": ["--optimizer", "adam", "--lr", "0.002", "--schedule", "cosine", "--epochs", "4"],
    "mnist_residual": ["--optimizer", "adam", "--lr", "0.002", "--schedule", "cosine", "--epochs", "3"],
    "mnist_inception": ["--optimizer", "adam", "--lr", "0.002", "--schedule", "cosine", "--epochs", "3"],
}
TARGET, AGREEMENT = 0.89, 0.01


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def check(cli, presets, work, name):
    net = os.path.join(presets, name + ".netw")
    recipe = RECIPES[name] + ["--batch", "64", "--seed", "0"]
    ours = os.path.join(work, name + ".safetensors")
    r = run([cli, "train", net, "--data", "fashion-mnist", "-o", ours, "--threads", "2", "--json"] + recipe)
    if r.returncode != 0:
        return ["train failed (%d): %s%s" % (r.returncode, r.stdout[-800:], r.stderr[-800:])], None, None
    report = json.loads(r.stdout)
    accuracy = report["epochs"][-1]["validation_accuracy"]
    problems = []
    if accuracy < TARGET:
        problems.append("Netwright reached %.2f %% after %d epochs, below %.0f %%" %
                        (100 * accuracy, report["epochs_done"], 100 * TARGET))
    e = run([cli, "evaluate", net, "--weights", ours, "--data", "fashion-mnist", "--json"])
    evaluated = json.loads(e.stdout)["accuracy"] if e.returncode == 0 else None
    if evaluated is None or abs(evaluated - accuracy) > 1e-9:
        problems.append("evaluate says %s, train said %.4f" % (evaluated, accuracy))
    # PyTorch: the exported project, from the weights Netwright started from (export --seed 0 is
    # train's initialisation), on the same recipe.
    project = os.path.join(work, name)
    x = run([cli, "export", net, "--pytorch", project, "--seed", "0", "--force"])
    if x.returncode != 0:
        return problems + ["export failed: " + x.stderr[-500:]], accuracy, None
    env = dict(os.environ, OMP_NUM_THREADS="2")
    t = run([sys.executable, "train.py", "--data", "fashion-mnist", "--weights", "weights.safetensors",
             "-o", os.path.join(work, name + "_torch.safetensors")] + recipe, cwd=project, env=env, timeout=3000)
    found = re.findall(r"test accuracy ([0-9.]+) %", t.stdout)
    if t.returncode != 0 or not found:
        return problems + ["train.py failed (%d): %s" % (t.returncode, (t.stdout + t.stderr)[-800:])], accuracy, None
    torch_accuracy = float(found[-1]) / 100
    if abs(torch_accuracy - accuracy) > AGREEMENT:
        problems.append("PyTorch reached %.2f %%, Netwright %.2f %%: more than 1 point apart" %
                        (100 * torch_accuracy, 100 * accuracy))
    return problems, accuracy, torch_accuracy


def main():
    cli, presets, work = sys.argv[1:4]
    names = sys.argv[4:] or list(RECIPES)
    os.makedirs(work, exist_ok=True)
    failed = 0
    for name in names:
        problems, ours, theirs = check(cli, presets, work, name)
        line = "%-16s Netwright %s  PyTorch %s" % (name, "%.2f %%" % (100 * ours) if ours is not None else "-",
                                                    "%.2f %%" % (100 * theirs) if theirs is not None else "-")
        if problems:
            failed += 1
            print("FAIL " + line + "\n  " + "\n  ".join(problems))
        else:
            print("ok   " + line)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
