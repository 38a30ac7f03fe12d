#!/bin/sh
# Large graphs, an older build beside this one in one run, alternating over 3 rounds:
# `layout -o` and the window's open + draw + screenshot on 10k-node chains (with and without
# positions). usage: tests/bench/large_graphs.sh OLD_BUILD_DIR NEW_BUILD_DIR (each with app/ inside).
set -eu
OLD=$1/app NEW=$2/app
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
HERE=$(dirname "$0")
python3 "$HERE/gen_chain.py" 10000 "$WORK/c10k.netw"
python3 "$HERE/gen_chain.py" 10000 "$WORK/c10k_pos.netw" pos
t() { /usr/bin/time -f "%e s %M KB" "$@" > /dev/null 2> "$WORK/t.err"; tail -1 "$WORK/t.err"; }
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$WORK/cfg"
for round in 1 2 3; do
  for f in c10k c10k_pos; do
    echo "round $round $f layout -o: old $(t "$OLD/netwright-cli" layout "$WORK/$f.netw" -o "$WORK/o.netw")  new $(t "$NEW/netwright-cli" layout "$WORK/$f.netw" -o "$WORK/o.netw")"
    echo "round $round $f window:    old $(t "$OLD/netwright" "$WORK/$f.netw" --screenshot "$WORK/w.png")  new $(t "$NEW/netwright" "$WORK/$f.netw" --screenshot "$WORK/w.png")"
  done
done
