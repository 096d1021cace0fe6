#!/usr/bin/python3
# test-screen-reader.py: what a screen-reader user hears, and where the focus goes, at each step
#
# Records the AT-SPI events a screen reader acts on (the focus moving, a name or description
# changing, announcements) while a new user signs up, renames their key and signs out, comes back
# with the key, after a restart, and with recovery codes (a wrong one, a spent one), meets the
# server out of reach, and signs out while it is down. Every error, key prompt and confirmation
# must reach the screen reader within seconds of appearing; every page change must put the focus
# on the page's first control; no control may be named with a mnemonic mark or its label twice.
# With a locale as fourth argument ("de_DE.UTF-8"), all of it in that language.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import locale
import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import (Catalog, EventRecorder, Session, check_names, find, is_gone,  # noqa: E402
                  is_visible, keyboard, log, press, read_code, search, type_into, wait_for)

EMAIL = "listener@example.com"
KEY_NAME = "Desk key"
NEW_NAME = "Spare key"


def read_text(acc):
    text = acc.queryText()
    # GTK 4.8 answers getText (0, -1) with nothing: ask for the characters it has.
    return text.getText(0, text.characterCount)


def close_dialog_as_a_window_manager_would(app, dialog):
    """Once @dialog has closed, gives the keyboard back to the main window, as a window manager
    does (there is none under Xvfb); until then the window is not active, and GTK reports no
    control in it as focused."""
    wait_for("the dialog to close", lambda: is_gone(dialog))
    keyboard().focus_window(find(app, pyatspi.ROLE_FRAME, None).name)


def alerts(acc):
    """The names of the visible alerts under @acc: errors, and the toasts of passing events."""
    found = []
    try:
        if acc.getRole() == pyatspi.ROLE_ALERT and is_visible(acc) and acc.name:
            found.append(acc.name)
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                found += alerts(child)
    except Exception:
        pass
    return found


def told_error(rec, app, since, toasts=()):
    """The error the page shows now (an alert that is none of @toasts) reached the screen
    reader."""
    error = wait_for("an error on the page",
                     lambda: next((a for a in alerts(app) if a not in toasts), None))
    rec.told(error, since)
    return error


class Listener:
    """A screen-reader user: finds controls by role and name, and checks what they are told."""

    def __init__(self, session, rec):
        self.session = session
        self.rec = rec
        self.name = session.catalog.name

    def enter_code(self, app, email):
        name = self.name
        self.rec.focus_on(pyatspi.ROLE_TEXT, name("_Email address"))
        type_into(app, name("_Email address"), email)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Send Code"))
        self.rec.focus_on(pyatspi.ROLE_TEXT, name("_Code from the email"))
        code = wait_for("the email with the code",
                        lambda: read_code(self.session.description["outbox"], email))
        type_into(app, name("_Code from the email"), code)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Verify"))

    def touch(self, app):
        since = self.rec.mark()
        find(app, pyatspi.ROLE_STATUS_BAR, self.name("Touch your security key."))
        self.rec.told(self.name("Touch your security key."), since)
        press(app, pyatspi.ROLE_PUSH_BUTTON, self.name("_Touch Key"))

    def signed_in(self, app):
        find(app, pyatspi.ROLE_LABEL, self.name("You are signed in as %s.") % EMAIL)

    def sign_out(self, app):
        since = self.rec.mark()
        press(app, pyatspi.ROLE_PUSH_BUTTON, self.name("Sign _Out"))
        self.rec.focus_on(pyatspi.ROLE_TEXT, self.name("_Email address"))
        self.rec.told(self.name("Signed out"), since)


def new_user(session, rec, app, who):
    """Wrong code, register with the touch prompt, keep the codes, rename, sign out."""
    name = who.name
    rec.focus_on(pyatspi.ROLE_TEXT, name("_Email address"), app)
    type_into(app, name("_Email address"), EMAIL)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Send Code"))
    rec.focus_on(pyatspi.ROLE_TEXT, name("_Code from the email"))
    since = rec.mark()
    type_into(app, name("_Code from the email"), "000000")
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Verify"))
    told_error(rec, app, since)
    code = wait_for("the email with the code",
                    lambda: read_code(session.description["outbox"], EMAIL))
    type_into(app, name("_Code from the email"), code)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Verify"))

    rec.focus_on(pyatspi.ROLE_TEXT, name("Key _name (optional)"))
    session.on_page(app, "register")
    type_into(app, name("Key _name (optional)"), KEY_NAME)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Register Security Key"))
    who.touch(app)

    rec.focus_on(pyatspi.ROLE_CHECK_BOX,
                 name("I have _written these codes down or stored them safely"))
    codes = read_text(find(app, pyatspi.ROLE_DOCUMENT_TEXT, None)).split()
    session.on_page(app, "recovery-codes")
    press(app, pyatspi.ROLE_CHECK_BOX,
          name("I have _written these codes down or stored them safely"))
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("I Have _Saved These Codes"))
    who.signed_in(app)
    rename = name("Rename “%s”") % KEY_NAME
    rec.focus_on(pyatspi.ROLE_LIST_ITEM, KEY_NAME)
    session.on_page(app, "account")

    press(app, pyatspi.ROLE_PUSH_BUTTON, rename)
    dialog = find(app, pyatspi.ROLE_DIALOG, name("Rename Security Key"))
    rec.focus_on(pyatspi.ROLE_TEXT, name("Name"))
    check_names(app, "rename dialog")
    find(dialog, pyatspi.ROLE_PUSH_BUTTON, name("_Rename"))
    since = rec.mark()
    type_into(app, name("Name"), NEW_NAME)
    press(dialog, pyatspi.ROLE_PUSH_BUTTON, name("_Rename"))
    close_dialog_as_a_window_manager_would(app, dialog)
    rec.told(name("Security key renamed to “%s”") % NEW_NAME, since)
    # The row is rebuilt with the new name: the focus stays on it.
    rec.focus_on(pyatspi.ROLE_LIST_ITEM, NEW_NAME)
    find(app, pyatspi.ROLE_PUSH_BUTTON, name("Close"))
    check_names(app, "account with a toast")
    log("a rename is said, the focus stays on the renamed key, the toast's close button is named")

    who.sign_out(app)
    return codes


def returning_user(session, rec, app, who, codes):
    """With the key: the focus waits on Use Security Key; a restart lands on the account."""
    name = who.name
    who.enter_code(app, EMAIL)
    rec.focus_on(pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))
    session.on_page(app, "authenticate")
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))
    who.touch(app)
    who.signed_in(app)

    session.quit_app()
    rec.focus = None
    app = session.start_app(who.app_env)
    who.signed_in(app)
    rec.focus_on(pyatspi.ROLE_LIST_ITEM, NEW_NAME, app)
    log("a restored session lands on the account page's first control")
    who.sign_out(app)

    # A wrong recovery code, then a good one; after signing out, the same one again, spent.
    for attempt in ("wrong", "spent"):
        who.enter_code(app, EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("Use a _Recovery Code Instead"))
        rec.focus_on(pyatspi.ROLE_TEXT, name("_Recovery code"))
        session.on_page(app, "recovery-code")
        since = rec.mark()
        type_into(app, name("_Recovery code"), "not-a-code" if attempt == "wrong" else codes[0])
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Continue"))
        error = told_error(rec, app, since, toasts=(name("Signed out"),))
        log(f"a {attempt} recovery code is refused, and said: {error}")
        if attempt == "wrong":
            type_into(app, name("_Recovery code"), codes[0])
            press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Continue"))
            who.signed_in(app)
            who.sign_out(app)
    type_into(app, name("_Recovery code"), codes[1])
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Continue"))
    who.signed_in(app)
    who.sign_out(app)
    return app


def server_down(session, rec, app, who):
    """The server out of reach: a failed send is said; a sign-out warns and offers Try Again."""
    name = who.name
    session.stop_sandbox()
    rec.focus_on(pyatspi.ROLE_TEXT, name("_Email address"))
    since = rec.mark()
    type_into(app, name("_Email address"), EMAIL)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Send Code"))
    told_error(rec, app, since, toasts=(name("Signed out"),))
    session.restart_sandbox()

    # Signed in with the key, then the server goes away and the person signs out.
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Send Code"))
    rec.focus_on(pyatspi.ROLE_TEXT, name("_Code from the email"))
    code = wait_for("the email with the code",
                    lambda: read_code(session.description["outbox"], EMAIL))
    type_into(app, name("_Code from the email"), code)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Verify"))
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))
    who.touch(app)
    who.signed_in(app)
    session.stop_sandbox()
    since = rec.mark()
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("Sign _Out"))
    rec.focus_on(pyatspi.ROLE_TEXT, name("_Email address"))
    warning = name("Signed out on this computer only: the server could not be reached, so the "
                   "session stays valid until it expires. Try again to end it there.")
    find(app, pyatspi.ROLE_ALERT, warning)
    rec.told(warning, since)
    find(app, pyatspi.ROLE_LABEL, name("Your last session could not be ended on the server."))
    if any(when >= since and data == name("Signed out") for when, _, _, _, data in rec.events):
        raise AssertionError("a sign-out the server never heard of says only “Signed out”")
    session.on_page(app, "signed-out-not-revoked")
    log("signing out with the server down says the session is still valid there")

    # Try Again with the server still down says so again; once it is back, it ends the session.
    retry = find(app, pyatspi.ROLE_PUSH_BUTTON, name("_Try Again"))
    since = rec.mark()
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Try Again"))
    rec.told(warning, since, timeout=30)
    session.restart_sandbox()
    since = rec.mark()
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Try Again"))
    rec.told(name("Your last session is ended on the server"), since, timeout=30)
    wait_for("Try Again to go", lambda: search(app, pyatspi.ROLE_PUSH_BUTTON,
                                               name("_Try Again")) is None)
    del retry
    log("Try Again ends the session on the server once it is back, and says so")


def main():
    language = sys.argv[4] if len(sys.argv) > 4 else None
    catalog, app_env = Catalog(), {}
    if language is not None:
        # Without the locale, glibc falls back to C and keyturn would speak English.
        try:
            locale.setlocale(locale.LC_ALL, language)
        except locale.Error:
            raise AssertionError(f"the {language} locale is not installed (Debian: locales-all)")
        locale.setlocale(locale.LC_ALL, "C.UTF-8")
        catalog = Catalog(os.environ["KEYTURN_BUILD_ROOT"], language)
        app_env = {"LANGUAGE": language, "LANG": language, "LC_ALL": language}

    rec = EventRecorder()
    try:
        with Session(*sys.argv[1:4], catalog=catalog) as session:
            who = Listener(session, rec)
            who.app_env = app_env
            app = session.start_app(app_env)
            codes = new_user(session, rec, app, who)
            app = returning_user(session, rec, app, who, codes)
            server_down(session, rec, app, who)
            session.check_app_running()
    finally:
        rec.close()

    print(f"1..1\nok 1 - {language or 'English'}: every error, key prompt and confirmation reaches "
          "a screen reader, and the focus lands on each page's first control")


if __name__ == "__main__":
    main()
