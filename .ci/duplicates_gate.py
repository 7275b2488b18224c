"""Reads `duplicates --min-lines 11` on stdin; fails on a pair identical to the letter outside migrations.

Rows marked `shape` (alike but for names and values) are listed as places to look, not failures: the rule is
"no pair of more than 10 identical lines".
"""

import re
import sys

ROW = re.compile(r"^D\d+ (?P<a>\S+):\d+-\d+ ~ (?P<b>\S+):\d+-\d+(?P<rest>.*)$")

identical, shaped = [], 0
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("incomplete:"):
        print(line)
        sys.exit(1)
    match = ROW.match(line)
    if not match or "/migrations/" in match["a"] + match["b"]:
        continue
    if " shape" in match["rest"]:
        shaped += 1
    else:
        identical.append(line)
print(f"duplicates: {len(identical)} identical run(s) of 11+ lines, {shaped} same-shape run(s) to look at")
for line in identical:
    print("  " + line)
sys.exit(1 if identical else 0)
