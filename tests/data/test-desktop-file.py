#!/usr/bin/python3
# test-desktop-file.py: the desktop file passes desktop-file-validate with no error and no warning
#
# desktop-file-validate exits 0 on warnings (deprecated keys, unknown categories): they fail here.
# Its hints are suggestions, not faults, and are only shown.
#
# Usage: test-desktop-file.py DESKTOP_FILE
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import subprocess
import sys


def main():
    result = subprocess.run(["desktop-file-validate", sys.argv[1]], capture_output=True,
                            text=True)
    output = result.stdout + result.stderr
    print(output, end="")
    faults = [line for line in output.splitlines()
              if ": error: " in line or ": warning: " in line]
    if result.returncode != 0 or faults:
        sys.exit(f"FAIL: exit status {result.returncode}, {len(faults)} error(s) or warning(s)")
    print("PASS")


if __name__ == "__main__":
    main()
