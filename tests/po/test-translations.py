#!/usr/bin/python3
# test-translations.py: every language in po/LINGUAS is valid and translates every string
#
#   test-translations.py check SOURCE_ROOT MSGFMT
#     msgfmt --check on each language: formats, plural forms and header as gettext checks them.
#   test-translations.py complete SOURCE_ROOT XGETTEXT [XGETTEXT_ARGS...]
#     Extracts a fresh template from the files po/POTFILES.in lists, so a string added to the
#     code counts even before anyone regenerates keyturn.pot, and names each msgid that a
#     language leaves untranslated or fuzzy, with where it is used.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import subprocess
import sys
import tempfile

import polib


def languages(root):
    with open(os.path.join(root, "po", "LINGUAS"), encoding="utf-8") as f:
        return [word for line in f if not line.startswith("#") for word in line.split()]


def check(root, msgfmt):
    langs = languages(root)
    print(f"1..{len(langs)}")
    failed = 0
    for number, lang in enumerate(langs, 1):
        result = subprocess.run([msgfmt, "--check", "--output-file=/dev/null",
                                 os.path.join(root, "po", lang + ".po")],
                                capture_output=True, text=True)
        ok = result.returncode == 0
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {number} - msgfmt --check po/{lang}.po")
        for line in (result.stdout + result.stderr).splitlines():
            print(f"# {line}")
    return 1 if failed else 0


def fresh_template(root, xgettext, args, folder):
    pot = os.path.join(folder, "keyturn.pot")
    subprocess.run([xgettext, "--package-name=keyturn", "--directory", root,
                    "--files-from", os.path.join(root, "po", "POTFILES.in"),
                    "--output", pot] + args, check=True)
    return polib.pofile(pot)


def where(entry):
    return " ".join(f"{path}:{line}" for path, line in entry.occurrences) or "?"


def complete(root, xgettext, args):
    langs = languages(root)
    with tempfile.TemporaryDirectory(prefix="keyturn-pot-") as folder:
        template = fresh_template(root, xgettext, args, folder)

    po_files = sorted(name[:-3] for name in os.listdir(os.path.join(root, "po"))
                      if name.endswith(".po"))
    print(f"1..{len(langs) + 1}")
    unlisted = sorted(set(po_files) - set(langs))
    print(("ok" if not unlisted else "not ok") + " 1 - every .po file is in po/LINGUAS")
    for lang in unlisted:
        print(f"# po/{lang}.po is not built: add {lang} to po/LINGUAS")

    failed = bool(unlisted)
    for number, lang in enumerate(langs, 2):
        path = os.path.join(root, "po", lang + ".po")
        if not os.path.exists(path):
            print(f"not ok {number} - po/{lang}.po translates every string")
            print(f"# po/LINGUAS lists {lang}, but po/{lang}.po does not exist")
            failed = True
            continue
        catalog = {(e.msgctxt, e.msgid): e for e in polib.pofile(path) if not e.obsolete}
        problems = []
        for entry in template:
            found = catalog.get((entry.msgctxt, entry.msgid))
            if found is None or not found.translated():
                state = "fuzzy" if found is not None and found.fuzzy else "untranslated"
                problems.append((state, entry))
            # A changed plural is as stale as a changed msgid.
            elif entry.msgid_plural and found.msgid_plural != entry.msgid_plural:
                problems.append(("untranslated plural", entry))
        print(f"{'not ok' if problems else 'ok'} {number} - po/{lang}.po translates every string")
        for state, entry in problems:
            print(f"# {lang}: {state}: {where(entry)}: {entry.msgid!r}")
        failed = failed or bool(problems)
    return 1 if failed else 0


def main():
    mode, root = sys.argv[1], sys.argv[2]
    if mode == "check":
        return check(root, sys.argv[3])
    if mode == "complete":
        return complete(root, sys.argv[3], sys.argv[4:])
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
