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
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import (Session, character_count, check_names, find,  # noqa: E402
                  is_focused, is_gone, log, press, press_key, screenshot, search, type_secret,
                  wait_for)

EMAIL = "pin-user@example.com"
# Distinctive enough that finding them in a log or in memory means they were kept.
PIN = "7391kt"
WRONG_PIN = "5026qz"

SANDBOX_CONFIG = {
    "environments": [{
        "id": "6d1f5c1e-8f0b-4c7e-9a55-2f4b1c3d9e01",
        "displayName": "Keyturn PIN test",
        # Legacy until Keyturn's client speaks step-up (2026_04_01).
        "minApiVersion": "2026_01_01",
        "mfa": {"required": True, "userVerification": "required"},
    }],
}

SET_PIN_TITLE = "Set a PIN for This Key"
PIN_TITLE = "Enter Your Security Key's PIN"


def enabled(acc):
    return acc.getState().contains(pyatspi.STATE_SENSITIVE)


def dialog_gone(app, dialog, title):
    """Waits until @dialog has closed, and checks that no other dialog @title took its place."""
    wait_for(f"the dialog “{title}” to close", lambda: is_gone(dialog))
    if search(app, pyatspi.ROLE_DIALOG, title) is not None:
        raise AssertionError(f"a dialog “{title}” is still open")


def open_pin_dialog(app, says=None):
    """Waits for the PIN dialog and checks that the keyboard is in its entry, and that what
    the dialog @says reached the screen reader there."""
    dialog = find(app, pyatspi.ROLE_DIALOG, PIN_TITLE)
    entry = find(dialog, pyatspi.ROLE_PASSWORD_TEXT, "PIN")
    wait_for("the PIN entry to have the focus", lambda: is_focused(entry))
    if says is not None:
        # The focus lands on an object whose description holds the message: a screen reader
        # reads it with the entry's name as the dialog opens.
        wait_for(f"the PIN entry to say “{says}”", lambda: says in entry.description)
        log(f"the PIN dialog opens with the focus on “PIN”, described “{entry.description}”")
    if character_count(entry) != 0:
        raise AssertionError("the PIN dialog opened with text in its entry")
    check_names(app, "pin")
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


def enter_pin(app, pin, says=None):
    """Types @pin into the PIN dialog and presses Enter, which answers and closes it."""
    dialog = open_pin_dialog(app, says)
    entry = type_secret(app, "PIN", pin)
    read = texts(entry)
    if any(pin in text for text in read):
        raise AssertionError(f"the PIN can be read over AT-SPI from its entry: {read}")
    log(f"the PIN entry gives away no PIN over AT-SPI: {read}")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, "PIN", "Return")
    # The next dialog, if the PIN was wrong, has the same title: wait until this one is gone.
    wait_for("the PIN dialog to close", lambda: is_gone(dialog))


def signed_in(app):
    find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")


def sign_out_and_in(session, app):
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
    session.sign_in(app, EMAIL)
    find(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")


def set_pin(session, app):
    """(a) A new user's key has no PIN: the set-PIN dialog refuses bad PINs, then sets one."""
    session.sign_in(app, EMAIL)
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
    find(app, pyatspi.ROLE_ALERT, "This security key has no PIN yet. Set a PIN for it, then try again.")

    session.on_page(app, "register-pin-not-set")
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Set a PIN for This Key")
    dialog = find(app, pyatspi.ROLE_DIALOG, SET_PIN_TITLE)
    set_button = find(dialog, pyatspi.ROLE_PUSH_BUTTON, "Set PIN")
    session.on_page(app, "set-pin")

    type_secret(app, "New PIN", "12")
    find(dialog, pyatspi.ROLE_STATUS_BAR, "This PIN is too short. It needs at least 4 characters.")
    screenshot("set-pin-too-short")
    if enabled(set_button):
        raise AssertionError("“Set PIN” is enabled for a PIN that is too short")
    log("a PIN that is too short is refused")

    type_secret(app, "New PIN", "34")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, "New PIN", "Return")
    type_secret(app, "New PIN again", "1243")
    find(dialog, pyatspi.ROLE_STATUS_BAR, "The two PINs are not the same.")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, "New PIN again", "Return")
    # Keys arrive in order: once this one is in the entry, Enter has been handled.
    type_secret(app, "New PIN again", "5")
    if enabled(set_button) or is_gone(dialog):
        raise AssertionError("two different PINs were taken")
    log("two different PINs are refused")

    press(dialog, pyatspi.ROLE_PUSH_BUTTON, "Cancel")
    dialog_gone(app, dialog, SET_PIN_TITLE)
    # Still no PIN: registering stops at the same place, and asks for no PIN.
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
    find(app, pyatspi.ROLE_ALERT, "This security key has no PIN yet. Set a PIN for it, then try again.")
    find(app, pyatspi.ROLE_PUSH_BUTTON, "Set a PIN for This Key")
    if search(app, pyatspi.ROLE_DIALOG, PIN_TITLE) is not None:
        raise AssertionError("the key asked for a PIN after setting one was cancelled")
    log("cancelling sets no PIN")

    press(app, pyatspi.ROLE_PUSH_BUTTON, "Set a PIN for This Key")
    dialog = find(app, pyatspi.ROLE_DIALOG, SET_PIN_TITLE)
    entry = find(dialog, pyatspi.ROLE_PASSWORD_TEXT, "New PIN")
    if character_count(entry) != 0:
        raise AssertionError("the set-PIN dialog kept the PIN typed before it was cancelled")
    type_secret(app, "New PIN", PIN)
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, "New PIN", "Return")
    type_secret(app, "New PIN again", PIN)
    find(dialog, pyatspi.ROLE_STATUS_BAR, "The PINs match.")
    press_key(app, pyatspi.ROLE_PASSWORD_TEXT, "New PIN again", "Return")
    dialog_gone(app, dialog, SET_PIN_TITLE)
    log("the PIN is set")

    # Registering goes on by itself, and now the key wants its new PIN.
    enter_pin(app, PIN)
    session.touch_key(app, "register-pin")
    press(app, pyatspi.ROLE_CHECK_BOX, "I have written these codes down or stored them safely")
    press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")
    signed_in(app)
    log("registered with the new PIN")


def wrong_pins(session, app):
    """(b) The PIN dialog refuses wrong PINs in words, counting down once 3 or fewer are left."""
    sign_out_and_in(session, app)
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
    dialog = open_pin_dialog(app)
    if "attempt" in dialog_text(dialog):
        raise AssertionError(f"a key with 8 attempts left counts them: {dialog_text(dialog)}")
    log("the PIN dialog opens with the focus in its entry")

    # The key gives three tries in a row, then wants to be plugged in again; 8 in all.
    enter_pin(app, WRONG_PIN)
    find(app, pyatspi.ROLE_LABEL, "That PIN is not right. Try again.")
    log("a wrong PIN is refused")
    enter_pin(app, WRONG_PIN, says="That PIN is not right. Try again.")
    enter_pin(app, WRONG_PIN, says="That PIN is not right. Try again.")
    alert = find(app, pyatspi.ROLE_ALERT,
                 "Too many wrong PINs. Unplug the security key, insert it again and retry.")
    log(f"three wrong PINs in a row: {alert.name}")
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")

    enter_pin(app, WRONG_PIN)
    find(app, pyatspi.ROLE_LABEL, "That PIN is not right. Try again.")
    enter_pin(app, WRONG_PIN, says="That PIN is not right. Try again.")
    find(app, pyatspi.ROLE_LABEL,
         "That PIN is not right. 3 attempts left before the key locks.")
    screenshot("pin-attempts-left")
    log("with 3 attempts left, the dialog says so")

    enter_pin(app, PIN, says="That PIN is not right. 3 attempts left before the key locks.")
    session.touch_key(app, "authenticate-pin")
    signed_in(app)
    log("the right PIN signs in")


def cancel_pin(session, app):
    """(c) Cancelling the PIN dialog ends the wait, and the page offers to try again."""
    sign_out_and_in(session, app)
    # With the Cancel button, then from the keyboard.
    for how in ("Cancel", "Escape"):
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
        dialog = open_pin_dialog(app)
        find(app, pyatspi.ROLE_STATUS_BAR, "Working…")
        if how == "Cancel":
            press(dialog, pyatspi.ROLE_PUSH_BUTTON, "Cancel")
        else:
            press_key(dialog, pyatspi.ROLE_PASSWORD_TEXT, "PIN", "Escape")
        dialog_gone(app, dialog, PIN_TITLE)
        find(app, pyatspi.ROLE_STATUS_BAR, "Cancelled. Try again when you are ready.")
        session.on_page(app, "authenticate-cancelled")
        wait_for("the wait to end",
                 lambda: search(app, pyatspi.ROLE_STATUS_BAR, "Working…") is None)
        retry = find(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
        wait_for("“Use Security Key” to be enabled", lambda: enabled(retry))
        log(f"{how} in the PIN dialog ends the wait")

    press(app, pyatspi.ROLE_PUSH_BUTTON, "Use Security Key")
    enter_pin(app, PIN)
    session.touch_key(app, "authenticate-again")
    signed_in(app)
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
    with Session(*sys.argv[1:4], sandbox_config=SANDBOX_CONFIG, keep_logs=True) as session:
        app = session.start_app({"G_MESSAGES_DEBUG": "all"})
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

    print("1..1\nok 1 - a PIN is set, refused when wrong, counted down, cancelled, and not kept")


if __name__ == "__main__":
    main()
