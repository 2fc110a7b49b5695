#!/usr/bin/python3
"""Builds the demo's ticket batch from the shared datasets (scripts/demo calls it).

Writes, line-aligned:
  OUT/tickets.jsonl  the workflow's input shape, {"subject", "body"}
  OUT/labels.jsonl   what is known about each line: {"source", "language", "label" (banking77 only),
                     "pii_kinds" (presidio only: the gold span types)}
With --language-data FILE it writes only the training data of a French/English language model instead:
sib200_fr train + validation sentences (fr) and as many banking77 train queries (en).
Sources of the tickets (real texts, deterministic picks spread over each file):
  banking77 test (en, labelled with the category), sib200_fr test (fr), orangesum_fr (fr, the first
  sentences of the article), presidio_synth_pii (en, with personal data).
"""
import argparse
import json
import os
import re


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def spread(rows, n):
    """n rows spread evenly over `rows` (stable: the same picks every run)."""
    if n >= len(rows):
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def subject_of(text, words=8):
    head = text.split()[:words]
    return " ".join(head) + (" …" if len(text.split()) > words else "")


def first_sentences(text, max_chars=420):
    """The article's opening sentences, cut at a sentence end when one comes before max_chars."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 80 else cut


def write_language_data(d, path):
    """fr: sib200_fr train + validation (its test split is in the tickets); en: banking77 train queries."""
    fr = [r["text"] for r in read_jsonl(os.path.join(d, "sib200_fr", "sib200_fr.jsonl")) if r["split"] != "test"]
    en = [r["text"] for r in read_jsonl(os.path.join(d, "banking77", "banking77.jsonl")) if r["split"] == "train"]
    with open(path, "w", encoding="utf-8") as f:
        for label, texts in (("fr", fr), ("en", spread(en, len(fr)))):
            for t in texts:
                f.write(json.dumps({"text": t, "label": label, "split": "train"}, ensure_ascii=False) + "\n")
    print(f"{path}: {2 * len(fr)} sentences (fr, en)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", required=True, help="the shared data folder (OCCAM_SHARED)")
    ap.add_argument("--out", help="output folder of tickets.jsonl and labels.jsonl")
    ap.add_argument("--language-data", help="write the language model's training data here instead")
    ap.add_argument("--banking77", type=int, default=150)
    ap.add_argument("--sib200", type=int, default=50)
    ap.add_argument("--orangesum", type=int, default=40)
    ap.add_argument("--presidio", type=int, default=60)
    a = ap.parse_args()
    d = os.path.join(a.shared, "datasets")
    if a.language_data:
        write_language_data(d, a.language_data)
        return
    if not a.out:
        ap.error("--out is required")
    tickets, labels = [], []

    def add(body, meta):
        tickets.append({"subject": subject_of(body), "body": body})
        labels.append(meta)

    banking = [r for r in read_jsonl(os.path.join(d, "banking77", "banking77.jsonl")) if r["split"] == "test"]
    for r in spread(banking, a.banking77):
        add(r["text"], {"source": "banking77", "language": "en", "label": r["label"]})
    sib = [r for r in read_jsonl(os.path.join(d, "sib200_fr", "sib200_fr.jsonl")) if r["split"] == "test"]
    for r in spread(sib, a.sib200):
        add(r["text"], {"source": "sib200_fr", "language": "fr"})
    for r in spread(read_jsonl(os.path.join(d, "orangesum_fr", "orangesum_abstract_test.jsonl")), a.orangesum):
        add(first_sentences(r["document"]), {"source": "orangesum_fr", "language": "fr"})
    for r in spread(read_jsonl(os.path.join(d, "presidio_synth_pii", "presidio_synth_pii.jsonl")), a.presidio):
        add(r["text"], {"source": "presidio_synth_pii", "language": "en",
                        "pii_kinds": sorted({s["type"] for s in r["spans"]})})

    os.makedirs(a.out, exist_ok=True)
    for name, rows in (("tickets.jsonl", tickets), ("labels.jsonl", labels)):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    by_source = {}
    for meta in labels:
        by_source[meta["source"]] = by_source.get(meta["source"], 0) + 1
    print(f"{len(tickets)} tickets: " + ", ".join(f"{k} {v}" for k, v in by_source.items()))


if __name__ == "__main__":
    main()
