#!/usr/bin/python3
"""Checks of the demo's results (scripts/demo calls it).

  demo-check.py accuracy --results R.jsonl --labels L.jsonl --schema S.json --out accuracy.json
      Compares the workflow's outputs with what the datasets know (category vs banking77 label, language
      vs the source's language, PII found where presidio put some that occam's rules cover) and validates
      every `fields` output against the extraction schema. Writes [{name, correct, total}] for
      `occam report --accuracy`. Fails when a run is not done or a `fields` output is outside the schema.
  demo-check.py schema --results R.jsonl --field output.fields --schema S.json
      Validates one field (a dotted path) of every line of `occam flow run|batch` results against a schema
      (the subset the examples use); fails when a run is not done or a value is outside the schema.
  demo-check.py energy --db requests.db --joules-per-token J
      Prints one line: the log's energy against an all-LLM estimate (every request's tokens x J per token
      of the LLM tier), for the report's notes.
  demo-check.py totals --db requests.db --report report.json [--html report.html]
      Sums the request log directly (every row, in Python, and SQLite's SUM) and fails loudly unless
      `occam report --json`'s totals (and the HTML report's) equal them.
"""
import argparse
import json
import math
import re
import sqlite3
import sys

# presidio span types that occam's PII rules detect (src/rules): names and addresses need a model.
RULE_PII = {"EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "US_SSN", "IP_ADDRESS"}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def type_matches(value, kind):
    if kind in ("number", "integer"):
        numeric = not isinstance(value, bool) and isinstance(value, (int, float))
        return numeric and (kind == "number" or float(value).is_integer())
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    return isinstance(value, types[kind])


def schema_errors(value, schema, path="$"):
    """Errors of `value` against the JSON-schema subset the examples use."""
    errors = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(type_matches(value, k) for k in kinds):
            return [f"{path}: expected {' or '.join(kinds)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str) and len(value) > schema.get("maxLength", math.inf):
        errors.append(f"{path}: longer than {schema['maxLength']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        for k, v in value.items():
            if k in props:
                errors += schema_errors(v, props[k], f"{path}.{k}")
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected {k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors += schema_errors(v, schema["items"], f"{path}[{i}]")
    return errors


def accuracy(a):
    results = read_jsonl(a.results)
    labels = read_jsonl(a.labels)
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    checks = {}

    def count(name, ok):
        c = checks.setdefault(name, [0, 0])
        c[0] += bool(ok)
        c[1] += 1

    invalid = []
    for r in results:
        meta = labels[r["line"] - 1]
        count("runs done", r["status"] == "done")
        if r["status"] != "done":
            print(f"line {r['line']}: {r['status']}: {r.get('error', '')}", file=sys.stderr)
            continue
        out = r["output"]
        if "label" in meta:
            count("category vs banking77 label", out["category"] == meta["label"])
        count("language vs the source's language", out["language"] == meta["language"])
        if RULE_PII & set(meta.get("pii_kinds", [])):
            count("PII found (presidio texts with e-mail, phone, IBAN, card, SSN or IP)", len(out["pii"]) > 0)
        errs = schema_errors(out["fields"], schema)
        count("fields valid against schemas/ticket.json", not errs)
        if errs:
            invalid.append((r["line"], errs))
    shown = set()
    for r in results:  # one run per source, as a sample of what the workflow gives
        meta = labels[r["line"] - 1]
        if r["status"] == "done" and meta["source"] not in shown:
            shown.add(meta["source"])
            o = r["output"]
            print(f"[{meta['source']}] language={o['language']} category={o['category']} pii={o['pii']} "
                  f"fields={json.dumps(o['fields'], ensure_ascii=False)[:90]}")
    rows = [{"name": k, "correct": v[0], "total": v[1]} for k, v in checks.items()]
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=1)
    for row in rows:
        print(f"{row['name']:<72} {row['correct']:>5} / {row['total']:<5} "
              f"{100 * row['correct'] / max(1, row['total']):5.1f} %")
    failed = checks["runs done"][0] != checks["runs done"][1] or invalid
    for line, errs in invalid[:10]:
        print(f"line {line}: fields outside the schema: {errs}", file=sys.stderr)
    if failed:
        sys.exit("demo-check: FAILED: runs not done or fields outside the schema")


def schema_check(a):
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    results = read_jsonl(a.results)
    bad = 0
    for i, r in enumerate(results, 1):
        value = r
        for key in a.field.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        errs = [f"status {r.get('status')}: {r.get('error', '')}"] if r.get("status") != "done" else []
        errs += schema_errors(value, schema)
        if errs:
            bad += 1
            print(f"{a.results}:{i}: {errs}", file=sys.stderr)
    print(f"{len(results) - bad} / {len(results)} results: {a.field} valid against {a.schema}")
    if bad or not results:
        sys.exit("demo-check: FAILED")


KEYS = ["requests", "prompt_tokens", "completion_tokens", "cost", "baseline_cost", "energy_j", "latency_ms"]


def close(x, y):
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)


def totals(a):
    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    direct = dict.fromkeys(KEYS, 0)
    for row in db.execute("SELECT prompt_tokens, completion_tokens, cost, baseline_cost, energy_j, latency_ms "
                          "FROM requests"):
        direct["requests"] += 1
        for k, v in zip(KEYS[1:], row):
            direct[k] += v
    sql = dict(zip(KEYS, db.execute(
        "SELECT COUNT(*), TOTAL(prompt_tokens), TOTAL(completion_tokens), TOTAL(cost), TOTAL(baseline_cost), "
        "TOTAL(energy_j), TOTAL(latency_ms) FROM requests").fetchone()))
    with open(a.report, encoding="utf-8") as f:
        report = json.load(f)["total"]
    sources = {"rows summed": direct, "SQLite SUM": sql, "occam report --json": report}
    if a.html:
        with open(a.html, encoding="utf-8") as f:
            html = f.read()
        sources["report.html"] = {k: float(v) for k, v in
                                  re.findall(r"data-key='(\w+)' data-value='([^']*)'", html) if k in KEYS}
    bad = []
    print(f"{'total':<18}" + "".join(f"{name:>24}" for name in sources))
    for k in KEYS:
        values = [s.get(k, float("nan")) for s in sources.values()]
        print(f"{k:<18}" + "".join(f"{v:>24.10g}" for v in values))
        if not all(close(v, direct[k]) for v in values):
            bad.append(k)
    if direct["requests"] == 0:
        sys.exit("demo-check: FAILED: the request log is empty")
    if bad:
        sys.exit(f"demo-check: FAILED: report totals differ from the request log's sums: {', '.join(bad)}")
    print(f"report totals = request log sums ({direct['requests']} requests)")


def energy(a):
    db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    tokens, joules = db.execute(
        "SELECT TOTAL(prompt_tokens + completion_tokens), TOTAL(energy_j) FROM requests").fetchone()
    baseline = tokens * a.joules_per_token
    print(f"Energy: {joules:.1f} J measured against {baseline:.1f} J estimated for the all-LLM baseline "
          f"({tokens:.0f} tokens x {a.joules_per_token:g} J/token).")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accuracy")
    acc.add_argument("--results", required=True)
    acc.add_argument("--labels", required=True)
    acc.add_argument("--schema", required=True)
    acc.add_argument("--out", required=True)
    sch = sub.add_parser("schema")
    sch.add_argument("--results", required=True)
    sch.add_argument("--field", required=True)
    sch.add_argument("--schema", required=True)
    en = sub.add_parser("energy")
    en.add_argument("--db", required=True)
    en.add_argument("--joules-per-token", type=float, required=True)
    tot = sub.add_parser("totals")
    tot.add_argument("--db", required=True)
    tot.add_argument("--report", required=True)
    tot.add_argument("--html")
    a = ap.parse_args()
    {"accuracy": accuracy, "schema": schema_check, "energy": energy, "totals": totals}[a.command](a)


if __name__ == "__main__":
    main()
