#!/usr/bin/python3
# test-returning-user.py: a user comes back: after a restart, with the key, with a recovery code
#
# Signs up as test-new-user.py does and reads the recovery codes as a screen reader reads them;
# quits and starts Keyturn again, which lands signed in from the keyring; starts it once more
# with the server down and signs in with Try Again once the server is back; signs out and back in
# with the security key; signs out and back in with a recovery code instead, after a wrong one
# that the page refuses in words a screen reader speaks.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import signal
import sys
import time

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import Session, find, log, press, type_into, wait_for  # noqa: E402

EMAIL = "returning-user@example.com"


def read_text(acc):
    text = acc.queryText()
    # GTK 4.8 answers getText (0, -1) with nothing: ask for the characters it has.
    return text.getText(0, text.characterCount)


def enabled(acc):
    return acc.getState().contains(pyatspi.STATE_SENSITIVE)


def signed_in(app):
    find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")


def other_alert(acc, name):
    """A visible alert under @acc with a name other than @name, or None."""
    try:
        if (acc.getRole() == pyatspi.ROLE_ALERT and acc.name and acc.name != name
                and acc.getState().contains(pyatspi.STATE_VISIBLE)):
            return acc
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            found = other_alert(child, name) if child is not None else None
            if found is not None:
                return found
    except Exception:
        # An object can go away while it is walked: look again on the next poll.
        return None
    return None


def sign_out(app):
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
    find(app, pyatspi.ROLE_TEXT, "Email address")


def main():
    with Session(*sys.argv[1:4]) as session:
        app = session.start_app()
        session.sign_in(app, EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
        # The keyring answers slowly from here on (it is stopped), so the signed-in session is
        # still on its way there when Keyturn is told to quit.
        keyring = int(os.environ["KEYTURN_TEST_KEYRING_PID"])
        os.kill(keyring, signal.SIGSTOP)
        try:
            session.touch_key(app, "register")

            # The page's one document is the list of codes; GTK 4.8 names a label by its text.
            codes_view = find(app, pyatspi.ROLE_DOCUMENT_TEXT, None)
            codes = read_text(codes_view).split()
            if len(codes) < 2:
                raise AssertionError(f"expected recovery codes, read {codes!r}")
            press(app, pyatspi.ROLE_CHECK_BOX,
                  "I have written these codes down or stored them safely")
            press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")
            signed_in(app)
            log("signed up")

            # Told to quit (SIGTERM, as when the desktop session ends) while the keyring is slow:
            # Keyturn finishes keeping the session before it goes.
            session.app_process.send_signal(signal.SIGTERM)
            time.sleep(1)
        finally:
            os.kill(keyring, signal.SIGCONT)
        session.quit_app()
        app = session.start_app()
        signed_in(app)
        log("quitting while the keyring was slow kept the session: a restart lands signed in")

        # The server is out of reach when Keyturn starts: the saved sign-in waits for it.
        session.quit_app()
        session.stop_sandbox()
        app = session.start_app()
        find(app, pyatspi.ROLE_ALERT, None)
        retry = find(app, pyatspi.ROLE_PUSH_BUTTON, "Try Again")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Try Again")
        # The attempt tries the server three times over about a second: until it has given up,
        # a server back in time would let it succeed without a second Try Again.
        wait_for("the attempt to start", lambda: not enabled(retry))
        wait_for("the attempt to give up", lambda: enabled(retry))
        session.restart_sandbox()
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Try Again")
        signed_in(app)
        find(app, pyatspi.ROLE_ALERT, "Connected to the server again")
        log("with the server down at start-up, Try Again signs in once it is back, and says so")

        sign_out(app)
        session.sign_in(app, EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
        session.touch_key(app, "authenticate")
        signed_in(app)
        log("signed in again with the key")

        sign_out(app)
        session.sign_in(app, EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Use a Recovery Code Instead")
        type_into(app, "Recovery code", "not-a-code")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Continue")
        # The sign-out's toast may still be up: the refusal is the other alert.
        alert = wait_for("the wrong code to be refused in words",
                         lambda: other_alert(app, "Signed out"))
        log(f"a wrong code is refused, in words: {alert.name}")
        type_into(app, "Recovery code", codes[0])
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Continue")
        signed_in(app)
        log("signed in again with a recovery code")
        session.check_app_running()

    print("1..1\nok 1 - a returning user lands signed in, then signs in with the key and a code")


if __name__ == "__main__":
    main()
