# tap.py: TAP output for the Python tests that check several things in one run
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later


class Tap:
    """Numbered results; each says what is wrong as diagnostics before its `not ok`."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, description, problems):
        """One result: @problems lists what is wrong, and is empty when all is well."""
        self.count += 1
        for problem in problems:
            for line in problem.splitlines():
                print(f"# {line}")
        self.failed += bool(problems)
        print(f"{'not ok' if problems else 'ok'} {self.count} - {description}", flush=True)
