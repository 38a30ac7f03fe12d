# A chain of N layers (Input, then ReLUs) as a .netw file, with positions if a third argument is given:
# the hardening issue's scale case. usage: gen_chain.py N OUT.netw [pos]
import json, sys
n = int(sys.argv[1]); pos = len(sys.argv) > 3
nodes = [{"id": "in", "kind": "Input", "attrs": {"channels": 8, "height": 8, "width": 8}}]
edges = []
prev = "in"
for i in range(n - 1):
    nid = "r%d" % i
    nodes.append({"id": nid, "kind": "ReLU"})
    edges.append({"from": prev, "to": nid}); prev = nid
if pos:
    for i, nd in enumerate(nodes): nd["pos"] = [0, i * 100]
json.dump({"format": "netwright", "version": 1, "name": "chain %d" % n, "nodes": nodes, "edges": edges}, open(sys.argv[2], "w"))
