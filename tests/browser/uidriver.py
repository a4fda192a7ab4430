#!/usr/bin/python3
"""uidriver.py: a headless Chromium for the on-call page's test.

Run by tests/lib/browser.c (test_ui_browser) as
    /usr/bin/python3 -B uidriver.py WORKDIR
It starts Debian's chromium through chromedriver (selenium from the Debian
archive) with a fresh profile in WORKDIR, prints one JSON line
{"ok": true, "ready": ...} once the browser answers, then reads one JSON
command per line on standard input and answers each with one JSON line:

    {"op": "open", "url": U}                   load U (a new document)
    {"op": "eval", "js": EXPR}                 {"value": EXPR's value}
    {"op": "wait", "js": EXPR, "timeout": S}   until EXPR is truthy, at most S s
    {"op": "type", "css": SEL, "text": T}      type T into the element
    {"op": "click", "css": SEL}
    {"op": "console"}                          {"value": [the console's messages]}
    {"op": "quit"}

A failure is {"ok": false, "error": ..., "page": the page's visible text},
and a screenshot of it is saved in WORKDIR.
Nothing here asserts: the C test decides. The network stays closed: the
browser talks to the loopback controller only.
"""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WORKDIR = "."


def start(workdir):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--disable-extensions",
              "--window-size=1280,900",
              "--user-data-dir=" + os.path.join(workdir, "profile")):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER,
                      log_path=os.path.join(workdir, "chromedriver.log"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(30)
    d.set_script_timeout(30)
    return d


def page_text(d):
    try:
        return d.execute_script("return document.body ? document.body.innerText : ''")
    except Exception as e:  # the page itself may be what broke
        return "(no page text: %s)" % e


def screenshot(d, n):
    """Saves what the page looked like at failure n; says where."""
    path = os.path.join(WORKDIR, "failure-%d.png" % n)
    try:
        d.save_screenshot(path)
        return " (screenshot: %s; KEEP_TMP=1 keeps it)" % path
    except Exception:
        return ""


def run(d, cmd):
    op = cmd.get("op")
    if op == "open":
        d.get(cmd["url"])
        return {}
    if op == "eval":
        return {"value": d.execute_script("return (" + cmd["js"] + ");")}
    if op == "wait":
        deadline = time.monotonic() + float(cmd.get("timeout", 20))
        started = time.monotonic()
        while True:
            v = d.execute_script("return (" + cmd["js"] + ");")
            if v:
                return {"value": v, "waited_s": round(time.monotonic() - started, 3)}
            if time.monotonic() >= deadline:
                raise TimeoutError("timed out after %s s waiting for: %s"
                                   % (cmd.get("timeout", 20), cmd["js"]))
            time.sleep(0.05)
    if op == "type":
        e = d.find_element(By.CSS_SELECTOR, cmd["css"])
        e.clear()
        e.send_keys(cmd["text"])
        return {}
    if op == "click":
        d.find_element(By.CSS_SELECTOR, cmd["css"]).click()
        return {}
    if op == "console":
        return {"value": [e.get("message", "") for e in d.get_log("browser")]}
    raise ValueError("unknown op %r" % op)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: uidriver.py WORKDIR\n")
        return 2
    global WORKDIR
    WORKDIR = sys.argv[1]
    try:
        d = start(WORKDIR)
    except Exception as e:
        reply({"ok": False, "error": "cannot start chromium: %s" % e})
        return 1
    reply({"ok": True, "ready": d.capabilities.get("browserVersion", "?")})
    failures = 0
    try:
        for line in sys.stdin:
            try:
                cmd = json.loads(line)
                if cmd.get("op") == "quit":
                    reply({"ok": True})
                    break
                out = run(d, cmd)
                out["ok"] = True
                reply(out)
            except Exception as e:
                failures += 1
                reply({"ok": False, "error": "%s: %s%s" % (type(e).__name__, e,
                                                          screenshot(d, failures)),
                       "page": page_text(d)})
    finally:
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
