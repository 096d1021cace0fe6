#!/usr/bin/python3
# test-pin.py: a security key with a PIN, from choosing the PIN to typing a wrong one
#
# The environment requires user verification, so a key with no PIN cannot be registered: a new
# user sets one in the set-PIN dialog (a PIN that is too short and two that differ are refused
# in words; cancelling changes nothing), then registers with it. Signed out, the user comes back
# with the key: the PIN dialog opens with the keyboard in its entry; wrong PINs are refused in
# words, with the attempts left once three or fewer remain, and the right PIN signs in.
# Cancelling the PIN dialog, with its button or Escape, ends the wait and the page offers to try
# again. The PINs are typed with real key presses, and neither stays in the logs or in Keyturn's
# memory, nor can be read over the accessibility bus from the entry it is typed in. What the PIN
# dialog says (a wrong PIN, the attempts left) reaches a screen reader with the focus in the entry.
# With a locale as fourth argument ("de_DE.UTF-8"), all of it in that language.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import locale
import os
import re
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import (Catalog, Session, character_count, find, is_focused,  # noqa: E402
                  is_gone, log, press, press_key, search, shown_pattern, type_secret, wait_for)

EMAIL = "pin-user@example.com"
# Distinctive enough that finding them in a log or in memory means they were kept.
PIN = "7391kt"
WRONG_PIN = "5026qz"

SANDBOX_CONFIG = {
    "environments": [{
        "id": "6d1f5c1e-8f0b-4c7e-9a55-2f4b1c3d9e01",
        "displayName": "Keyturn PIN test",
        "mfa": {"required": True, "userVerification": "required"},
    }],
}

# What the PIN dialog says, as Keyturn's msgids: translated, then formatted, as the app does.
WRONG_PIN_SAID = "That PIN is not right. Try again."
WRONG_PIN_LEFT = "That PIN is not right. %s"
ATTEMPTS_LEFT = ("%d attempt left before the key locks.", "%d attempts left before the key locks.")
NO_PIN_YET = "This security key has no PIN yet. Set a PIN for it, then try again."


def enabled(acc):
    return acc.getState().contains(pyatspi.STATE_SENSITIVE)


def dialog_gone(app, dialog, title):
    """Waits until @dialog has closed, and checks that no other dialog @title took its place."""
    wait_for(f"the dialog “{title}” to close", lambda: is_gone(dialog))
    if search(app, pyatspi.ROLE_DIALOG, title) is not None:
        raise AssertionError(f"a dialog “{title}” is still open")


def attempts_left(session, retries):
    """What the PIN dialog says after a wrong PIN with @retries attempts left."""
    translation = session.catalog.translation
    left = translation.ngettext(*ATTEMPTS_LEFT, retries) % retries
    return translation.gettext(WRONG_PIN_LEFT) % left


def counts_attempts(session, said):
    """Whether @said tells how many attempts are left, whatever the count."""
    forms = {session.catalog.translation.ngettext(*ATTEMPTS_LEFT, n) for n in (1, 2)}
    return "attempt" in said or any(re.search(shown_pattern(form), said) for form in forms)


def open_pin_dialog(session, app, says=None):
    """Waits for the PIN dialog and checks that the keyboard is in its entry, and that what
    the dialog @says reached the screen reader there."""
    name = session.catalog.name
    dialog = find(app, pyatspi.ROLE_DIALOG, name("Enter Your Security Key's PIN"))
    entry = find(dialog, pyatspi.ROLE_PASSWORD_TEXT, name("PIN"))
    wait_for("the PIN entry to have the focus", lambda: is_focused(entry))
    if says is not None:
        # The focus lands on an object whose description holds the message: a screen reader
        # reads it with the entry's name as the dialog opens.
        wait_for(f"the PIN entry to say “{says}”", lambda: says in entry.description)
        log(f"the PIN dialog opens with the focus on “{entry.name}”, described "
            f"“{entry.description}”")
    if character_count(entry) != 0:
        raise AssertionError("the PIN dialog opened with text in its entry")
    session.on_page(app, "pin")
    return dialog


def dialog_text(dialog):
    """What the dialog says: the names of its labels, as a screen reader reads them."""
    said = []

    def walk(acc):
        if acc.getRole() == pyatspi.ROLE_LABEL:
            said.append(acc.name)
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                walk(child)
    walk(dialog)
    return " ".join(said)


def texts(acc):
    """The text of @acc and of everything under it, as any client of the accessibility bus
    reads it."""
    found = []
    try:
        text = acc.queryText()
        found.append(text.getText(0, text.characterCount))
    except NotImplementedError:
        pass
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            found += texts(child)
    return found


def enter_pin(session, app, pin, says=None):
    """Types @pin into the PIN dialog and presses Enter, which answers and closes it."""
    dialog = open_pin_dialog(session, app, says)
    entry = type_secret(app, session.catalog.name("PIN"), pin)
    read = texts(entry)
    if any(pin in text for text in read):
        raise AssertionError(f"the PIN can be read over AT-SPI from its entry: {read}")
    log(f"the PIN entry gives away no PIN over AT-SPI: {read}")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, session.catalog.name("PIN"), "Return")
    # The next dialog, if the PIN was wrong, has the same title: wait until this one is gone.
    wait_for("the PIN dialog to close", lambda: is_gone(dialog))


def signed_in(session, app):
    find(app, pyatspi.ROLE_LABEL, session.catalog.name("You are signed in as %s.") % EMAIL)


def sign_out_and_in(session, app):
    name = session.catalog.name
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("Sign _Out"))
    session.sign_in(app, EMAIL)
    find(app, pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))


def set_pin(session, app):
    """(a) A new user's key has no PIN: the set-PIN dialog refuses bad PINs, then sets one."""
    name = session.catalog.name
    title = name("Set a PIN for This Key")
    set_label = name("_Set PIN")
    too_short = session.catalog.translation.ngettext(
        "This PIN is too short. It needs at least %d character.",
        "This PIN is too short. It needs at least %d characters.", 4) % 4
    session.sign_in(app, EMAIL)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Register Security Key"))
    find(app, pyatspi.ROLE_ALERT, name(NO_PIN_YET))

    session.on_page(app, "register-pin-not-set")
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("Set a _PIN for This Key"))
    dialog = find(app, pyatspi.ROLE_DIALOG, title)
    set_button = find(dialog, pyatspi.ROLE_PUSH_BUTTON, set_label)
    session.on_page(app, "set-pin")

    type_secret(app, name("New PIN"), "12")
    find(dialog, pyatspi.ROLE_STATUS_BAR, too_short)
    session.screenshot("set-pin-too-short")
    if enabled(set_button):
        raise AssertionError(f"“{set_label}” is enabled for a PIN that is too short")
    log("a PIN that is too short is refused")

    type_secret(app, name("New PIN"), "34")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, name("New PIN"), "Return")
    type_secret(app, name("New PIN again"), "1243")
    find(dialog, pyatspi.ROLE_STATUS_BAR, name("The two PINs are not the same."))
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, name("New PIN again"), "Return")
    # Keys arrive in order: once this one is in the entry, Enter has been handled.
    type_secret(app, name("New PIN again"), "5")
    if enabled(set_button) or is_gone(dialog):
        raise AssertionError("two different PINs were taken")
    log("two different PINs are refused")

    press(dialog, pyatspi.ROLE_PUSH_BUTTON, name("_Cancel"))
    dialog_gone(app, dialog, title)
    # Still no PIN: registering stops at the same place, and asks for no PIN.
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Register Security Key"))
    find(app, pyatspi.ROLE_ALERT, name(NO_PIN_YET))
    find(app, pyatspi.ROLE_PUSH_BUTTON, name("Set a _PIN for This Key"))
    if search(app, pyatspi.ROLE_DIALOG, name("Enter Your Security Key's PIN")) is not None:
        raise AssertionError("the key asked for a PIN after setting one was cancelled")
    log("cancelling sets no PIN")

    press(app, pyatspi.ROLE_PUSH_BUTTON, name("Set a _PIN for This Key"))
    dialog = find(app, pyatspi.ROLE_DIALOG, title)
    entry = find(dialog, pyatspi.ROLE_PASSWORD_TEXT, name("New PIN"))
    if character_count(entry) != 0:
        raise AssertionError("the set-PIN dialog kept the PIN typed before it was cancelled")
    type_secret(app, name("New PIN"), PIN)
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, name("New PIN"), "Return")
    type_secret(app, name("New PIN again"), PIN)
    find(dialog, pyatspi.ROLE_STATUS_BAR, name("The PINs match."))
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, name("New PIN again"), "Return")
    dialog_gone(app, dialog, title)
    log("the PIN is set")

    # Registering goes on by itself, and now the key wants its new PIN.
    enter_pin(session, app, PIN)
    session.touch_key(app, "register-pin")
    press(app, pyatspi.ROLE_CHECK_BOX,
          name("I have _written these codes down or stored them safely"))
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("I Have _Saved These Codes"))
    signed_in(session, app)
    log("registered with the new PIN")


def wrong_pins(session, app):
    """(b) The PIN dialog refuses wrong PINs in words, counting down once 3 or fewer are left."""
    name = session.catalog.name
    wrong = name(WRONG_PIN_SAID)
    three_left = attempts_left(session, 3)
    sign_out_and_in(session, app)
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))
    dialog = open_pin_dialog(session, app)
    if counts_attempts(session, dialog_text(dialog)):
        raise AssertionError(f"a key with 8 attempts left counts them: {dialog_text(dialog)}")
    log("the PIN dialog opens with the focus in its entry")

    # The key gives three tries in a row, then wants to be plugged in again; 8 in all.
    enter_pin(session, app, WRONG_PIN)
    find(app, pyatspi.ROLE_LABEL, wrong)
    log("a wrong PIN is refused")
    enter_pin(session, app, WRONG_PIN, says=wrong)
    enter_pin(session, app, WRONG_PIN, says=wrong)
    alert = find(app, pyatspi.ROLE_ALERT,
                 name("Too many wrong PINs. Unplug the security key, insert it again and retry."))
    log(f"three wrong PINs in a row: {alert.name}")
    press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Use Security Key"))

    enter_pin(session, app, WRONG_PIN)
    find(app, pyatspi.ROLE_LABEL, wrong)
    enter_pin(session, app, WRONG_PIN, says=wrong)
    find(app, pyatspi.ROLE_LABEL, three_left)
    session.screenshot("pin-attempts-left")
    log("with 3 attempts left, the dialog says so")

    enter_pin(session, app, PIN, says=three_left)
    session.touch_key(app, "authenticate-pin")
    signed_in(session, app)
    log("the right PIN signs in")


def cancel_pin(session, app):
    """(c) Cancelling the PIN dialog ends the wait, and the page offers to try again."""
    name = session.catalog.name
    use_key = name("_Use Security Key")
    working = name("Working…")
    sign_out_and_in(session, app)
    # With the Cancel button, then from the keyboard.
    for how in ("Cancel", "Escape"):
        press(app, pyatspi.ROLE_PUSH_BUTTON, use_key)
        dialog = open_pin_dialog(session, app)
        find(app, pyatspi.ROLE_STATUS_BAR, working)
        if how == "Cancel":
            press(dialog, pyatspi.ROLE_PUSH_BUTTON, name("_Cancel"))
        else:
            press_key(dialog, pyatspi.ROLE_PASSWORD_TEXT, name("PIN"), "Escape")
        dialog_gone(app, dialog, name("Enter Your Security Key's PIN"))
        find(app, pyatspi.ROLE_STATUS_BAR, name("Cancelled. Try again when you are ready."))
        session.on_page(app, "authenticate-cancelled")
        wait_for("the wait to end",
                 lambda: search(app, pyatspi.ROLE_STATUS_BAR, working) is None)
        retry = find(app, pyatspi.ROLE_PUSH_BUTTON, use_key)
        wait_for(f"“{use_key}” to be enabled", lambda: enabled(retry))
        log(f"{how} in the PIN dialog ends the wait")

    press(app, pyatspi.ROLE_PUSH_BUTTON, use_key)
    enter_pin(session, app, PIN)
    session.touch_key(app, "authenticate-again")
    signed_in(session, app)
    log("trying again signs in")


def memory_holds(pid, secret):
    """Whether @secret is anywhere in the writable memory of process @pid."""
    needle = secret.encode()
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps, \
         open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if "w" not in fields[1]:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, ValueError, OverflowError, MemoryError):
                # MemoryError: AddressSanitizer's shadow, terabytes reserved and never written.
                continue
    return False


def main():
    language = sys.argv[4] if len(sys.argv) > 4 else None
    catalog, app_env = Catalog(), {"G_MESSAGES_DEBUG": "all"}
    if language is not None:
        # Without the locale, glibc falls back to C and keyturn would speak English.
        try:
            locale.setlocale(locale.LC_ALL, language)
        except locale.Error:
            raise AssertionError(f"the {language} locale is not installed (Debian: locales-all)")
        locale.setlocale(locale.LC_ALL, "C.UTF-8")
        catalog = Catalog(os.environ["KEYTURN_BUILD_ROOT"], language)
        app_env.update({"LANGUAGE": language, "LANG": language, "LC_ALL": language})

    with Session(*sys.argv[1:4], sandbox_config=SANDBOX_CONFIG, keep_logs=True,
                 catalog=catalog) as session:
        app = session.start_app(app_env)
        set_pin(session, app)
        wrong_pins(session, app)
        cancel_pin(session, app)
        session.check_app_running()

        # The address is on screen: a scan that misses it could not find a PIN either.
        if not memory_holds(session.app_process.pid, EMAIL):
            raise AssertionError("the memory scan does not see what Keyturn holds")
        for secret in (PIN, WRONG_PIN):
            if memory_holds(session.app_process.pid, secret):
                raise AssertionError("a PIN is still in Keyturn's memory")
        logs = session.logs()
        for secret in (PIN, WRONG_PIN):
            if re.search(re.escape(secret), logs):
                raise AssertionError("a PIN was written to a log")
        log("no PIN is left in memory or in the logs")

    print(f"1..1\nok 1 - {language or 'English'}: a PIN is set, refused when wrong, counted "
          "down, cancelled, and not kept")


if __name__ == "__main__":
    main()
