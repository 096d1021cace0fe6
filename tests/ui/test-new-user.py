#!/usr/bin/python3
# test-new-user.py: a new user signs up through the whole app, as a screen reader user would
#
# Signs in with the code from the sandbox's outbox, registers the software key (touched from the
# bar that marks it when the page asks), keeps the recovery codes, and sees the account page list
# the one passkey; then renames it, removes it (touching the key again when Dynamic asks) and signs
# out.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import Session, check_names, find, log, press, screenshot, type_into, wait_for  # noqa: E402

EMAIL = "new-user@example.com"
KEY_NAME = "Test key"


def main():
    with Session(*sys.argv[1:4]) as session:
        app = session.start_app()
        session.sign_in(app, EMAIL)

        find(app, pyatspi.ROLE_TEXT, "Key name (optional)")
        screenshot("register")
        session.on_page(app, "register")
        type_into(app, "Key name (optional)", KEY_NAME)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
        session.touch_key(app, "register")

        find(app, pyatspi.ROLE_PUSH_BUTTON, "Copy All")
        screenshot("recovery-codes")
        session.on_page(app, "recovery-codes")
        press(app, pyatspi.ROLE_CHECK_BOX,
              "I have written these codes down or stored them safely")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")

        find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")
        keys = find(app, pyatspi.ROLE_LIST, "Security keys")
        wait_for("one passkey in the list", lambda: keys.childCount == 1)
        find(keys, pyatspi.ROLE_LABEL, KEY_NAME)
        screenshot("account")
        session.on_page(app, "account")
        log("the account page lists the new key")

        press(app, pyatspi.ROLE_PUSH_BUTTON, f"Rename “{KEY_NAME}”")
        type_into(app, "Name", "Spare key")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Rename")
        find(keys, pyatspi.ROLE_LABEL, "Spare key")
        # A passing event is a toast, which a screen reader learns of as an alert.
        find(app, pyatspi.ROLE_ALERT, "Security key renamed to “Spare key”")
        log("the key is renamed, and a toast says so")

        # Removing a key is a sensitive change: Dynamic asks for a fresh touch first.
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Remove “Spare key”")
        find(app, pyatspi.ROLE_DIALOG, "Remove Security Key?")
        check_names(app, "remove dialog")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Remove")
        session.touch_key(app, "remove")
        wait_for("the list to be empty", lambda: keys.childCount == 0)
        find(app, pyatspi.ROLE_ALERT, "“Spare key” removed")
        log("the key is removed, and a toast says so")

        press(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
        find(app, pyatspi.ROLE_TEXT, "Email address")
        find(app, pyatspi.ROLE_ALERT, "Signed out")
        log("signed out, and a toast says so")
        session.check_app_running()

    print("1..1\nok 1 - a new user signs in, registers a key, sees it listed, renames and removes it, signs out")


if __name__ == "__main__":
    main()
