#!/usr/bin/python3
# test-backup-key.py: a user adds a backup key, removes the first, and signs in with the backup
#
# Against an environment that enforces step-up (API version 2026_04_01): the account page
# suggests a backup key while there is one; Add Security Key asks for the new key's name, says
# each step it asks for: a touch of the first key, then the new key in its place, which is
# registered and listed beside the first.
# Removing the first key says what it confirms and takes a touch of the backup. Signing out and
# in again then takes the backup key.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import Session, find, log, press, type_into, wait_for  # noqa: E402

EMAIL = "backup-key@example.com"
FIRST = "Blue key"
BACKUP = "Green key"


def main():
    # The demo environment's own API version, said here as the test is about it.
    with Session(*sys.argv[1:4], api_version="2026_04_01") as session:
        app = session.start_app()
        session.sign_in(app, EMAIL)
        type_into(app, "Key name (optional)", FIRST)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
        session.touch_key(app, "register")
        press(app, pyatspi.ROLE_CHECK_BOX,
              "I have written these codes down or stored them safely")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")

        find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")
        keys = find(app, pyatspi.ROLE_LIST, "Security keys")
        wait_for("one passkey in the list", lambda: keys.childCount == 1)
        find(app, pyatspi.ROLE_LABEL,
             "You have one security key. Add a backup key, so that losing it does not leave "
             "you with only your recovery codes.")
        log("with one key, the account page suggests a backup key")

        press(app, pyatspi.ROLE_PUSH_BUTTON, "Add Security Key")
        type_into(app, "Name of the new key", BACKUP)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Add")
        find(app, pyatspi.ROLE_LABEL,
             f"Confirm with a security key you already have to add “{BACKUP}”.")
        find(app, pyatspi.ROLE_PUSH_BUTTON, "Use a Recovery Code Instead")
        session.touch_key(app, "add-key-step-up")
        find(app, pyatspi.ROLE_LABEL,
             f"Insert the new key “{BACKUP}” in place of the other one, then choose Continue "
             "With the New Key.")
        session.on_page(app, "add-key-insert")
        log("the key already registered confirmed; the page asks for the new one")

        session.replace_key()
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Continue With the New Key")
        find(app, pyatspi.ROLE_LABEL, f"Touch the new key “{BACKUP}” to add it.")
        session.touch_key(app, "add-key")
        find(app, pyatspi.ROLE_ALERT, f"“{BACKUP}” added")
        wait_for("two passkeys in the list", lambda: keys.childCount == 2)
        find(keys, pyatspi.ROLE_LABEL, FIRST)
        find(keys, pyatspi.ROLE_LABEL, BACKUP)
        session.on_page(app, "account-two-keys")
        log("the backup key is registered and listed beside the first")

        press(app, pyatspi.ROLE_PUSH_BUTTON, f"Remove “{FIRST}”")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Remove")
        find(app, pyatspi.ROLE_LABEL, f"Confirm with your security key to remove “{FIRST}”.")
        find(app, pyatspi.ROLE_PUSH_BUTTON, "Use a Recovery Code Instead")
        session.touch_key(app, "remove-step-up")
        find(app, pyatspi.ROLE_ALERT, f"“{FIRST}” removed")
        wait_for("one passkey in the list", lambda: keys.childCount == 1)
        find(keys, pyatspi.ROLE_LABEL, BACKUP)
        log("the first key is removed after one touch of the backup")

        # The last key: removing it says what that means before it goes.
        press(app, pyatspi.ROLE_PUSH_BUTTON, f"Remove “{BACKUP}”")
        find(app, pyatspi.ROLE_LABEL,
             f"“{BACKUP}” is your only security key. Without it you can sign in only with a "
             "recovery code, and the next sign-in will ask you to register a key again.")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Cancel")
        log("removing the last key warns first")

        press(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
        session.sign_in(app, EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
        session.touch_key(app, "authenticate")
        find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")
        log("signed in again with the backup key")
        session.check_app_running()

    print("1..1\nok 1 - a user adds a backup key, removes the first with a step-up, and signs "
          "in with the backup")


if __name__ == "__main__":
    main()
