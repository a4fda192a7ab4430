"""check_dashboard.py FILE: deploy/grafana-dashboard.json in the shape
Grafana's dashboard import takes, with PromQL that parses.

Checks: the file is JSON; title, uid and an integer schemaVersion; a
datasource variable named "datasource" that every panel and target uses;
panels with unique ids, a type, a title and a gridPos inside the 24-column
grid; every non-row panel has targets, each with a refId and an expr; and
every expr (with Grafana's $__rate_interval as 5m) parses, checked by
promtool as the expression of a recording rule. Prints what is wrong and
exits 1, else exits 0.
"""
import json
import os
import subprocess
import sys
import tempfile


def problems(dash):
    out = []
    for key in ("title", "uid"):
        if not isinstance(dash.get(key), str) or not dash[key]:
            out.append("top level: %s missing" % key)
    if not isinstance(dash.get("schemaVersion"), int):
        out.append("top level: schemaVersion is not an integer")
    names = [v.get("name") for v in dash.get("templating", {}).get("list", [])
             if v.get("type") == "datasource"]
    if "datasource" not in names:
        out.append("templating: no datasource variable named datasource")
    seen = set()
    exprs = []
    panels = dash.get("panels")
    if not isinstance(panels, list) or not panels:
        return out + ["panels: missing or empty"]
    for p in panels:
        where = "panel %r" % p.get("title")
        if p.get("id") in seen or not isinstance(p.get("id"), int):
            out.append(where + ": id missing or not unique")
        seen.add(p.get("id"))
        if not p.get("type") or not p.get("title"):
            out.append(where + ": type or title missing")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
            out.append(where + ": gridPos outside the 24-column grid")
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            out.append(where + ": datasource is not ${datasource}")
        targets = p.get("targets") or []
        if not targets:
            out.append(where + ": no targets")
        for t in targets:
            if not t.get("refId") or not t.get("expr"):
                out.append(where + ": a target without refId or expr")
            else:
                exprs.append(t["expr"].replace("$__rate_interval", "5m"))
    return out + promql_problems(exprs)


def promql_problems(exprs):
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:expr_%d" % i, "expr": e} for i, e in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(rules, f)      # JSON is YAML
        path = f.name
    try:
        r = subprocess.run(["promtool", "check", "rules", path], capture_output=True,
                           text=True, timeout=60)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        return ["PromQL: " + r.stdout + r.stderr]
    return []


def main():
    try:
        with open(sys.argv[1]) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: %s" % (sys.argv[1], e))
        return 1
    found = problems(dash)
    for p in found:
        print("%s: %s" % (sys.argv[1], p))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
