#!/usr/bin/env python3
"""Writes the prompter's input from what SmartSpec's verifier wrote.

SmartSpec's prompter (generate_prompts_from_verify_report.py) reads field names
the verifier (verify_evidence_enhanced.py) never writes: totals.total_tasks, and
per task priority, checkbox_state, code_path, test_path, code_symbol, ... This
script fills them in from the verifier's summary.json and the evidence lines of
tasks.md, the same derivation that made inventory/prompter-input-fields-aligned.json
by hand (regen checks that it still reproduces that file).

    align-fields.py SUMMARY.json TASKS.md > prompter-input-fields-aligned.json
"""
import json
import re
import shlex
import sys

# Priority as the inventory file assigns it: 1 = checked but not verified, then
# missing files before wrong content before names.
PRIORITY = {"not_implemented": 2, "missing_code": 2, "missing_tests": 3,
            "symbol_issue": 3, "content_issue": 3, "naming_issue": 4}


def evidence_by_task(tasks_md):
    out, cur = {}, None
    for line in tasks_md.splitlines():
        m = re.match(r"\s*- \[(.)\] (\S+)", line)
        if m:
            cur = m.group(2)
            out[cur] = {"checkbox": m.group(1), "code": None, "test": None}
            continue
        m = re.match(r"\s+evidence:\s*(\w+)\s+(.*)", line)
        if m and cur and m.group(1) in ("code", "test") and out[cur][m.group(1)] is None:
            kv = {}
            for tok in shlex.split(m.group(2)):
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    kv[k] = v
            out[cur][m.group(1)] = kv
    return out


def main():
    summary = json.load(open(sys.argv[1], encoding="utf-8"))
    ev = evidence_by_task(open(sys.argv[2], encoding="utf-8").read())
    tasks, by_cat = [], {}
    for t in summary["tasks"]:
        if t["verified"]:
            continue
        cat = t["category"]
        by_cat[cat] = by_cat.get(cat, 0) + 1
        e = ev.get(t["task_id"], {"checkbox": " ", "code": None, "test": None})
        code, test = e["code"] or {}, e["test"] or {}
        tasks.append({
            "task_id": t["task_id"],
            "title": t["title"],
            "category": cat,
            "priority": 1 if t["checked"] else PRIORITY.get(cat, 4),
            "checkbox_state": "x" if t["checked"] else " ",
            "code_path": code.get("path"),
            "test_path": test.get("path"),
            "code_symbol": code.get("symbol"),
            "test_symbol": test.get("symbol"),
            "code_contains": code.get("contains"),
            "test_contains": test.get("contains"),
            "suggestions": t.get("suggestions", []),
            "similar_files": [],
        })
    order = ["not_implemented", "missing_tests", "missing_code", "naming_issue",
             "symbol_issue", "content_issue"]
    out = {
        "totals": {"total_tasks": summary["totals"]["tasks"],
                   "verified": summary["totals"]["verified"],
                   "not_verified": summary["totals"]["not_verified"]},
        "by_category": {c: by_cat[c] for c in order if c in by_cat},
        "tasks": tasks,
    }
    sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False))


main()
