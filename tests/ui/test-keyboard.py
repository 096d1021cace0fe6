#!/usr/bin/python3
# test-keyboard.py: a new user signs up with the keyboard alone
#
# Every key press is a real one (XTest). Each page must put the keyboard in its first field, so
# that typing goes there at once; Enter in a field does the page's main action; every other
# control is reached with Tab and used with Space or Enter. The shortcuts Ctrl+, (Preferences),
# Ctrl+? (keyboard shortcuts), Escape (close a window) and Ctrl+Q (quit) work. Only touching the
# software key, which stands for a finger on a real key, goes through its on-screen button.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import (Session, find, is_focused, keyboard, log, read_code, search,  # noqa: E402
                  wait_for)

EMAIL = "keyboard-user@example.com"
WINDOW = "Keyturn"
# Tab stops on a page are few; more than this means focus is lost or going round in circles.
MAX_TABS = 25


def focused_field(app, role, name):
    """The control, which must have the keyboard focus without anyone moving it there."""
    control = find(app, role, name)
    wait_for(f"“{name}” to have the focus", lambda: is_focused(control))
    log(f"the keyboard is in “{name}”")
    return control


def tab_to(app, role, name):
    """Presses Tab until the control with this role and name has the focus."""
    control = find(app, role, name)
    keyboard().focus_window(WINDOW)
    for _ in range(MAX_TABS):
        if is_focused(control):
            log(f"reached “{name}” with Tab")
            return control
        keyboard().key("Tab")
        # Let GTK move the focus before looking again.
        try:
            wait_for("the focus to move", lambda: is_focused(control), timeout=0.3)
        except AssertionError:
            pass
    raise AssertionError(f"Tab never reaches “{name}”")


def type_keys(text):
    keyboard().focus_window(WINDOW)
    keyboard().type(text)


def enter():
    keyboard().focus_window(WINDOW)
    keyboard().key("Return")


def main():
    with Session(*sys.argv[1:4]) as session:
        app = session.start_app()

        focused_field(app, pyatspi.ROLE_TEXT, "Email address")
        type_keys(EMAIL)
        enter()

        focused_field(app, pyatspi.ROLE_TEXT, "Code from the email")
        code = wait_for("the email with the code",
                        lambda: read_code(session.description["outbox"], EMAIL))
        type_keys(code)
        enter()

        focused_field(app, pyatspi.ROLE_TEXT, "Key name (optional)")
        type_keys("Desk key")
        enter()
        session.touch_key(app, "register")

        # The codes are acknowledged only once the user says they are kept.
        switch = tab_to(app, pyatspi.ROLE_CHECK_BOX,
                        "I have written these codes down or stored them safely")
        keyboard().key("space")
        wait_for("the switch to be on",
                 lambda: switch.getState().contains(pyatspi.STATE_CHECKED))
        tab_to(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")
        keyboard().key("space")

        find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")
        keys = find(app, pyatspi.ROLE_LIST, "Security keys")
        wait_for("the key in the list", lambda: keys.childCount == 1)
        find(keys, pyatspi.ROLE_LABEL, "Desk key")
        log("signed up with the keyboard alone")

        keyboard().focus_window(WINDOW)
        keyboard().chord("Control_L", "comma")
        find(app, pyatspi.ROLE_FRAME, "Preferences")
        keyboard().focus_window("Preferences")
        keyboard().key("Escape")
        wait_for("Preferences to close",
                 lambda: search(app, pyatspi.ROLE_FRAME, "Preferences") is None)
        log("Ctrl+, opens Preferences and Escape closes it")

        keyboard().focus_window(WINDOW)
        keyboard().chord("Control_L", "Shift_L", "question")
        find(app, pyatspi.ROLE_FRAME, "Keyboard Shortcuts")
        keyboard().focus_window("Keyboard Shortcuts")
        keyboard().key("Escape")
        wait_for("the shortcuts window to close",
                 lambda: search(app, pyatspi.ROLE_FRAME, "Keyboard Shortcuts") is None)
        log("Ctrl+? shows the keyboard shortcuts and Escape closes them")

        tab_to(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
        keyboard().key("Return")
        focused_field(app, pyatspi.ROLE_TEXT, "Email address")
        log("signed out")

        keyboard().focus_window(WINDOW)
        keyboard().chord("Control_L", "q")
        wait_for("keyturn to quit", lambda: session.app_process.poll() is not None)
        if session.app_process.returncode != 0:
            raise AssertionError(f"keyturn quit with status {session.app_process.returncode}")
        log("Ctrl+Q quits")

    print("1..1\nok 1 - a new user signs up, opens Preferences and the shortcuts, signs out and "
          "quits with the keyboard alone")


if __name__ == "__main__":
    main()
