#!/usr/bin/env python3
"""Prints criterion's medians (target/criterion) as the tables of BENCHMARKS.md.

Usage: python3 benches/table.py [criterion-dir]
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
medians = {}
for bench in root.glob("**/new/benchmark.json"):
    meta = json.loads(bench.read_text())
    est = json.loads((bench.parent / "estimates.json").read_text())
    medians[meta["full_id"]] = est["median"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "–"
    if ns >= 1000:
        return f"{ns / 1000:.2f} µs"
    return f"{ns:.1f} ns"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "–"


for kind in ("access", "id"):
    rows = [k.split("/")[1] for k in medians if k.startswith(kind + "/") and k.endswith("/tokenkind")]
    if not rows:
        continue
    print(f"\n{kind} token | tokenkind | jsonwebtoken | floor | tokenkind/floor | jsonwebtoken/floor | tokenkind/jsonwebtoken")
    print("|".join(["---"] * 7))
    order = ["RS256", "PS256", "ES256", "EdDSA", "HS256"]
    for alg in sorted(rows, key=lambda a: order.index(a) if a in order else 99):
        tk, jw, fl = (medians.get(f"{kind}/{alg}/{n}") for n in ("tokenkind", "jsonwebtoken", "floor"))
        print(f"{alg} | {fmt(tk)} | {fmt(jw)} | {fmt(fl)} | {ratio(tk, fl)} | {ratio(jw, fl)} | {ratio(tk, jw)}")

others = sorted(k for k in medians if not k.startswith(("access/", "id/")))
if others:
    print("\nbenchmark | median")
    print("---|---")
    for k in others:
        print(f"{k} | {fmt(medians[k])}")
