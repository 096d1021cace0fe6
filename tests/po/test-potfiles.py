#!/usr/bin/python3
# test-potfiles.py: every source file with a string marked for translation is in po/POTFILES.in
#
# A file left out is a file whose strings translators never see.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import sys

MARKED = re.compile(r'\b(?:N?_|C_|NC_|g_dngettext|ngettext)\s*\(|translatable="yes"'
                    r'|<(?:summary|description)>|^(?:Name|Comment|Keywords)=', re.MULTILINE)
SUFFIXES = (".c", ".ui", ".desktop.in", ".metainfo.xml.in", ".gschema.xml")


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "po", "POTFILES.in"), encoding="utf-8") as f:
        listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}

    missing = []
    for folder in ("src", "data"):
        for path, _, names in os.walk(os.path.join(root, folder)):
            for name in sorted(names):
                if not name.endswith(SUFFIXES):
                    continue
                full = os.path.join(path, name)
                relative = os.path.relpath(full, root)
                with open(full, encoding="utf-8", errors="replace") as f:
                    if MARKED.search(f.read()) and relative not in listed:
                        missing.append(relative)
    stale = sorted(p for p in listed if not os.path.exists(os.path.join(root, p)))

    print("1..2")
    print(("ok" if not missing else "not ok") + " 1 - every file with translatable strings is listed")
    for path in missing:
        print(f"# missing from po/POTFILES.in: {path}")
    print(("ok" if not stale else "not ok") + " 2 - every listed file exists")
    for path in stale:
        print(f"# listed but not found: {path}")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
