#!/usr/bin/python3
# Keyturn as the desktop's sign-in: other programs ask it for the session over D-Bus, and the
# person answers in a prompt found over AT-SPI. Real everything: the sandbox, the software key,
# the keyring, the desktop's permission store (xdg-permission-store, started by D-Bus
# activation on the test's bus), a bwrap sandbox that looks like a Flatpak app, and Keyturn
# itself started by D-Bus activation at the end.
#
# Usage: test-service.py KEYTURN SANDBOX VIRTUAL_KEY
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sys
import time

import pyatspi
from gi.repository import Gio, GLib
from Xlib import X

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import (Session, check_names, find, keyboard, log, press, search,  # noqa: E402
                  wait_for)
from ktservice import (BUS_NAME, allow_in_store, allowed_apps, answer_prompt, api,  # noqa: E402
                       command, dialogs, flatpak_client, focus_topmost_window, host_client,
                       no_prompt, program, prompt_naming, sign_up, start_command, words)

EMAIL = "desktop-user@example.com"
WALLET = "org.example.Wallet"

results = []


def ok(what):
    results.append(what)
    log(f"ok: {what}")


def check_session(session, answer):
    """A successful GetSession whose token the sandbox takes, for the right user."""
    assert answer.get("response") == 0, answer
    got = answer["results"]
    assert got["email"] == EMAIL, got
    assert got["environment_id"] == session.description["environmentId"], got
    assert got["base_url"] == session.description["baseUrl"], got
    assert got["expires_at"] > time.time(), got
    status, user = api(session, "GET", "/users", got["access_token"])
    assert status == 200, (status, user)
    assert user["id"] == got["user_id"], user
    return got["access_token"]


def refused(answer, code, reason):
    assert answer.get("response") == code, answer
    assert answer["results"]["error"] == reason, answer
    assert answer["results"]["message"], answer


def main():
    keyturn = sys.argv[1]
    with Session(*sys.argv[1:4]) as session:
        app = session.start_app()

        status, out, err = command(keyturn, "token")
        assert status == 2 and out == "" and "signed in" in err, (status, out, err)
        ok("keyturn token with nobody signed in exits 2, says why, prints nothing")

        # An app that asks while nobody is signed in, and wants the sign-in shown: consent first,
        # then the window says which app asked, and the app gets the session once signed in.
        client = host_client(session, "mail-app", "session", "--interactive")
        answer_prompt(prompt_naming(app, "mail-app"), "Allow Once")
        wait_for("the window to say which app asks",
                 lambda: any("mail-app asks you to sign in" in w for w in words(app)))
        sign_up(session, app, EMAIL)
        check_session(session, client.answer())
        ok("an interactive GetSession with nobody signed in shows the sign-in, says which app "
           "asked, and answers once signed in")

        # Allow once: the token, and the next call asks again.
        client = host_client(session, "notes-app", "session")
        prompt = prompt_naming(app, "notes-app")
        check_names(prompt, "consent prompt")
        answer_prompt(prompt, "Allow Once")
        check_session(session, client.answer())
        ok("a host program gets a working token after Allow Once")

        client = host_client(session, "notes-app", "session")
        prompt = prompt_naming(app, "notes-app")
        answer_prompt(prompt, "Deny")
        refused(client.answer(), 1, "denied")
        ok("Allow Once is not remembered, and Deny answers 1")

        started = time.monotonic()
        client = host_client(session, "notes-app", "session")
        refused(client.answer(timeout=10), 1, "denied")
        assert no_prompt(app), "a prompt came up for a caller just denied"
        assert time.monotonic() - started < 10
        ok("a caller just denied is answered at once, with no prompt")

        # A Flatpak app, always allowed: named by its app id, and remembered in the permission
        # store.
        client = flatpak_client(session, WALLET, "session")
        prompt = prompt_naming(app, WALLET)
        answer_prompt(prompt, "Always Allow")
        check_session(session, client.answer())
        wait_for("the grant in the permission store", lambda: WALLET in allowed_apps())
        assert allowed_apps()[WALLET] == ["yes"], allowed_apps()
        client = flatpak_client(session, WALLET, "session")
        check_session(session, client.answer(timeout=10))
        assert no_prompt(app)
        ok("a Flatpak app is named by its app id, Always Allow is kept in the permission store, "
           "and its next call needs no prompt")

        # Two at once: one prompt, then the other.
        first = host_client(session, "first-app", "session")
        prompt = prompt_naming(app, "first-app")
        second = host_client(session, "second-app", "session")
        time.sleep(1)
        assert len(dialogs(app)) == 1, "two prompts at once"
        answer_prompt(prompt, "Allow Once")
        check_session(session, first.answer())
        prompt = prompt_naming(app, "second-app")
        answer_prompt(prompt, "Deny")
        refused(second.answer(), 1, "denied")
        ok("two callers at once are asked one after the other")

        # A caller that leaves takes its prompt with it; the next caller's prompt follows.
        leaving = host_client(session, "leaving-app", "session")
        prompt_naming(app, "leaving-app")
        waiting = host_client(session, "waiting-app", "session")
        leaving.kill()
        prompt = prompt_naming(app, "waiting-app")
        answer_prompt(prompt, "Deny")
        refused(waiting.answer(), 1, "denied")
        ok("a caller that disconnects mid-prompt closes its prompt")

        # Revoke in Preferences: the next call asks again.
        keyboard().focus_window("Keyturn")
        keyboard().chord("Control_L", "comma")
        find(app, pyatspi.ROLE_FRAME, "Preferences")
        revoke = find(app, pyatspi.ROLE_PUSH_BUTTON, f"Revoke access for {WALLET}")
        check_names(app, "preferences")
        press(app, pyatspi.ROLE_PUSH_BUTTON, f"Revoke access for {WALLET}")
        wait_for("the grant to leave the permission store", lambda: WALLET not in allowed_apps())
        wait_for("the row to go", lambda: search(app, pyatspi.ROLE_PUSH_BUTTON,
                                                 f"Revoke access for {WALLET}") is None)
        del revoke
        client = flatpak_client(session, WALLET, "session")
        prompt = prompt_naming(app, WALLET)
        # By keyboard: the prompt takes the keys, and Escape denies.
        focus_topmost_window()
        keyboard().key("Escape")
        refused(client.answer(), 1, "denied")
        wait_for("the prompt to close", lambda: no_prompt(app))
        ok("Revoke in Preferences takes the app out of the permission store, it is asked again, "
           "and Escape in the prompt denies it")

        # The command line: a caller like any other, named as such.
        running = start_command(keyturn, "token")
        prompt = prompt_naming(app, "keyturn command")
        answer_prompt(prompt, "Allow Once")
        out, err = running.communicate(timeout=30)
        assert running.returncode == 0, (running.returncode, err)
        token = out.strip()
        assert out == token + "\n" and api(session, "GET", "/users", token)[0] == 200, out
        ok("keyturn token prints the token alone after the person allows it")

        # Started by D-Bus activation: no window, and gone once idle.
        session.quit_app()
        start_by_activation(session, keyturn)
        allow_in_store(program(session, "sync-app"))
        client = host_client(session, "sync-app", "session")
        check_session(session, client.answer())
        assert name_has_owner(BUS_NAME), "Keyturn is not on the bus"
        assert viewable_windows() == 0, "Keyturn opened a window"
        ok("a call starts Keyturn by D-Bus activation, answered with no window")
        wait_for("Keyturn to quit when idle", lambda: not name_has_owner(BUS_NAME), timeout=40)
        ok("Keyturn started by activation quits when idle")

        # The command line starts it too, and a script always allowed needs no prompt.
        allow_in_store(os.path.realpath(keyturn))
        status, out, err = command(keyturn, "token")
        assert status == 0, (status, err)
        assert api(session, "GET", "/users", out.strip())[0] == 200, out
        assert viewable_windows() == 0, "Keyturn opened a window"
        ok("keyturn token starts Keyturn by D-Bus activation and prints the token")

    print(f"1..{len(results)}")
    for i, what in enumerate(results, 1):
        print(f"ok {i} - {what}")


def viewable_windows():
    """How many top-level windows are on screen (Xvfb has no window manager of its own)."""
    root = keyboard().root
    return sum(1 for w in root.query_tree().children
               if w.get_attributes().map_state == X.IsViewable)


def name_has_owner(name):
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    reply = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "NameHasOwner", GLib.Variant("(s)", (name,)), None,
                          Gio.DBusCallFlags.NONE, 5000, None)
    return reply.unpack()[0]


def start_by_activation(session, keyturn):
    """Installs a D-Bus service file for Keyturn on the test's bus, pointed at the sandbox, as
    the installed one is at the real server; the next call starts it."""
    folder = os.path.join(os.environ["XDG_DATA_HOME"], "dbus-1", "services")
    os.makedirs(folder, exist_ok=True)
    d = session.description
    with open(os.path.join(folder, BUS_NAME + ".service"), "w", encoding="utf-8") as f:
        f.write("[D-BUS Service]\n"
                f"Name={BUS_NAME}\n"
                f"Exec={keyturn} --gapplication-service --idle-timeout 5"
                f" --base-url {d['baseUrl']} --environment-id {d['environmentId']}"
                f" --origin {d['origin']} --virtual-key-socket {session.key_socket}\n")
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    names = ["DISPLAY", "GDK_BACKEND", "GSK_RENDERER", "GSETTINGS_BACKEND", "GSETTINGS_SCHEMA_DIR",
             "KEYTURN_UNINSTALLED_LOCALEDIR", "LC_ALL", "LANGUAGE", "G_SLICE", "HOME",
             "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
             "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"]
    env = {n: os.environ[n] for n in names if n in os.environ}
    if session.app_debug:
        env["G_DEBUG"] = session.app_debug
    bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "UpdateActivationEnvironment", GLib.Variant("(a{ss})", (env,)), None,
                  Gio.DBusCallFlags.NONE, 5000, None)
    bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "ReloadConfig", None, None, Gio.DBusCallFlags.NONE, 5000, None)


if __name__ == "__main__":
    main()
