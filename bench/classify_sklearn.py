#!/usr/bin/env python3
"""scikit-learn reference for bench_classify: the equivalent TF-IDF + LogisticRegression pipeline.

usage: classify_sklearn.py NAME=FILE.jsonl[:OOS_LABEL] ...   prints one JSON object per dataset.
Word 1-2 grams + char_wb 2-5 grams, sublinear TF, LogisticRegression(C=30) trained on split=train.
With an OOS label, the threshold on the best in-scope probability is chosen on the validation split
by the same rule as occam (maximise in-scope accuracy + OOS recall).
"""
import json
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline


def load(path):
    splits = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            splits.setdefault(o.get("split", "train"), []).append((o["text"], o["label"]))
    return splits


def decisions(model, texts, oos, threshold):
    p = model.predict_proba(texts)
    classes = list(model.classes_)
    out = []
    for row in p:
        best = int(np.argmax(row))
        if oos is None:
            out.append(classes[best])
            continue
        oi = classes.index(oos)
        inscope = row.copy()
        inscope[oi] = -1
        bi = int(np.argmax(inscope))
        out.append(oos if best == oi or row[bi] < threshold else classes[bi])
    return out


def choose_threshold(model, texts, labels, oos):
    best_t, best_score = 0.0, -1.0
    for t in np.linspace(0, 1, 101):
        pred = decisions(model, texts, oos, t)
        ins = [p == l for p, l in zip(pred, labels) if l != oos]
        rec = [p == oos for p, l in zip(pred, labels) if l == oos]
        score = (np.mean(ins) if ins else 0) + (np.mean(rec) if rec else 0)
        if score > best_score + 1e-12:
            best_t, best_score = t, score
    return best_t


def main():
    for arg in sys.argv[1:]:
        name, rest = arg.split("=", 1)
        path, _, oos = rest.partition(":")
        oos = oos or None
        s = load(path)
        xtr, ytr = zip(*s["train"])
        xte, yte = zip(*s["test"])
        model = make_pipeline(
            FeatureUnion([
                ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ]),
            LogisticRegression(C=30, max_iter=1000),
        )
        t0 = time.perf_counter()
        model.fit(xtr, ytr)
        train_seconds = time.perf_counter() - t0
        threshold = 0.0
        if oos and "validation" in s:
            xva, yva = zip(*s["validation"])
            threshold = choose_threshold(model, xva, yva, oos)
        pred = decisions(model, xte, oos, threshold)
        result = {"name": name, "train_seconds": train_seconds,
                  "accuracy": float(np.mean([p == l for p, l in zip(pred, yte)]))}
        if oos:
            result["in_scope_accuracy"] = float(np.mean([p == l for p, l in zip(pred, yte) if l != oos]))
            result["oos_recall"] = float(np.mean([p == oos for p, l in zip(pred, yte) if l == oos]))
        lat = []
        for text in xte[:500]:
            t0 = time.perf_counter()
            model.predict_proba([text])
            lat.append(time.perf_counter() - t0)
        lat.sort()
        result["predict_p50_us"] = lat[len(lat) // 2] * 1e6
        result["predict_p99_us"] = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
