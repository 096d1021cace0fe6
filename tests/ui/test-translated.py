#!/usr/bin/python3
# test-translated.py: a new user's whole flow with Keyturn in German
#
# Every control is found by its German accessible name, as the build's compiled catalog gives it,
# and on every page the window's whole accessibility tree is read: any name, description or text
# still in English where the catalog has German fails the test, naming it.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import locale
import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import Catalog, Session, find, log, press, type_into, wait_for  # noqa: E402

LOCALE = "de_DE.UTF-8"
EMAIL = "neue-nutzerin@example.com"
KEY_NAME = "Schlüssel im Büro"


def main():
    # Without the locale, glibc falls back to C and keyturn would speak English.
    try:
        locale.setlocale(locale.LC_ALL, LOCALE)
    except locale.Error:
        raise AssertionError(f"the {LOCALE} locale is not installed (Debian: locales-all)")
    locale.setlocale(locale.LC_ALL, "C.UTF-8")

    catalog = Catalog(os.environ["KEYTURN_BUILD_ROOT"], LOCALE)
    name = catalog.name
    app_env = {"LANGUAGE": LOCALE, "LANG": LOCALE, "LC_ALL": LOCALE}

    with Session(*sys.argv[1:4], catalog=catalog) as session:
        app = session.start_app(extra_env=app_env)
        session.sign_in(app, EMAIL)

        find(app, pyatspi.ROLE_TEXT, name("Key _name (optional)"))
        session.screenshot("register")
        session.on_page(app, "register")
        type_into(app, name("Key _name (optional)"), KEY_NAME)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Register Security Key"))
        session.touch_key(app, "register")

        find(app, pyatspi.ROLE_PUSH_BUTTON, name("_Copy All"))
        session.screenshot("recovery-codes")
        session.on_page(app, "recovery-codes")
        press(app, pyatspi.ROLE_CHECK_BOX,
              name("I have _written these codes down or stored them safely"))
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("I Have _Saved These Codes"))

        find(app, pyatspi.ROLE_LABEL, name("You are signed in as %s.") % EMAIL)
        keys = find(app, pyatspi.ROLE_LIST, name("Security keys"))
        wait_for("one passkey in the list", lambda: keys.childCount == 1)
        find(keys, pyatspi.ROLE_LABEL, KEY_NAME)
        session.screenshot("account")
        session.on_page(app, "account")

        press(app, pyatspi.ROLE_PUSH_BUTTON, name("Sign _Out"))
        find(app, pyatspi.ROLE_TEXT, name("_Email address"))
        session.on_page(app, "signed-out")
        log("signed out")
        session.check_app_running()

    print("1..1\nok 1 - in German, a new user signs in, registers a key, keeps the codes, "
          "sees the account and signs out, and no page shows a string left in English")


if __name__ == "__main__":
    main()
