#!/usr/bin/python3
# test-new-user.py: a new user signs up through the whole app, as a screen reader user would
#
# Starts the real keyturn-sandbox and keyturn-virtual-key (touched by hand, like a real key), then
# keyturn pointed at them, and goes through sign-in, the email code (read from the sandbox's
# outbox), registering the key (touched with the software key bar's button when the page asks)
# and keeping the recovery codes, to the account page listing the one passkey; then renames it
# and signs out. Every control is found by its role and accessible name, as Orca would name it.
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pyatspi

EMAIL = "new-user@example.com"
KEY_NAME = "Test key"
TIMEOUT = 30.0

keyturn, sandbox, virtual_key = sys.argv[1:4]


def log(message):
    print(f"# {message}", flush=True)


def wait_for(what, probe, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def find_app():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == "keyturn":
            return app
    return None


def is_visible(acc):
    # GTK 4.8 never sets SHOWING; hidden widgets (pages not on screen) leave the tree.
    return acc.getState().contains(pyatspi.STATE_VISIBLE)


def is_named(acc, name):
    spoken = acc.name
    if spoken == name:
        return True
    # GTK 4.8 names a button whose label property has a mnemonic by that property and its
    # label's text together ("_Rename Rename"); libadwaita's dialog buttons are built so.
    if not spoken.endswith(" " + name):
        return False
    mnemonic = spoken[:-len(name) - 1]
    return "_" in mnemonic and mnemonic.replace("_", "") == name


def search(acc, role, name):
    """The visible object with this role and name under @acc, depth first."""
    try:
        if acc.getRole() == role and is_named(acc, name) and is_visible(acc):
            return acc
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is None:
                continue
            found = search(child, role, name)
            if found is not None:
                return found
    except Exception:
        # An object can go away while it is walked: look again on the next poll.
        return None
    return None


def describe_named(acc, name, depth=0):
    """Every object called @name, to say what was there instead."""
    found = []
    try:
        if acc.name == name:
            found.append(f"{acc.getRoleName()} (visible: {is_visible(acc)})")
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                found += describe_named(child, name, depth + 1)
    except Exception:
        pass
    return found


def find(app, role, name, timeout=TIMEOUT):
    try:
        return wait_for(f"{pyatspi.Role(role)} “{name}”", lambda: search(app, role, name),
                        timeout)
    except AssertionError:
        log(f"objects named “{name}”: {describe_named(app, name) or 'none'}")
        raise


def type_into(app, name, text):
    entry = find(app, pyatspi.ROLE_TEXT, name)
    entry.queryEditableText().setTextContents(text)
    log(f"typed into “{name}”")


def press(app, role, name):
    widget = find(app, role, name)
    wait_for(f"“{name}” to be enabled",
             lambda: widget.getState().contains(pyatspi.STATE_SENSITIVE))
    action = widget.queryAction()
    action.doAction(0)
    log(f"pressed “{name}”")


def screenshot(name):
    """With KEYTURN_TEST_SCREENSHOTS=DIR, the screen as it is now, as DIR/NAME.png."""
    folder = os.environ.get("KEYTURN_TEST_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["import", "-window", "root", os.path.join(folder, name + ".png")],
                       check=False)


def read_code(outbox):
    wanted = f"\r\nTo: <{EMAIL}>\r\n"
    for name in sorted(os.listdir(outbox), reverse=True):
        with open(os.path.join(outbox, name), encoding="utf-8", newline="") as f:
            message = f.read()
        if wanted in message:
            body = message.split("\r\n\r\n", 1)[1]
            match = re.search(r"(?<!\d)\d{6}(?!\d)", body)
            if match:
                return match.group(0)
    return None


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    workdir = tempfile.mkdtemp(prefix="keyturn-ui-")
    processes = []
    # Only keyturn gets the suite's fatal warnings: they hold the app to account, not the
    # servers it talks to or this script's own bindings.
    app_debug = os.environ.pop("KEYTURN_APP_G_DEBUG", "")
    servers_env = dict(os.environ)
    servers_env.pop("G_DEBUG", None)
    try:
        data = os.path.join(workdir, "sandbox")
        os.mkdir(data)
        processes.append(subprocess.Popen(
            [sandbox, "--listen", "127.0.0.1:0", "--data-dir", data],
            env=servers_env, stdout=subprocess.DEVNULL))
        described = os.path.join(data, "sandbox.json")
        wait_for("sandbox.json", lambda: os.path.exists(described))
        with open(described, encoding="utf-8") as f:
            description = json.load(f)

        socket_path = os.path.join(workdir, "key.sock")
        processes.append(subprocess.Popen(
            [virtual_key, "--socket", socket_path, "--state", os.path.join(workdir, "key.state"),
             "--presence", "manual"],
            env=servers_env, stdout=subprocess.DEVNULL))
        wait_for("the key's socket", lambda: os.path.exists(socket_path))

        app_env = dict(servers_env)
        if app_debug:
            app_env["G_DEBUG"] = app_debug
        processes.append(subprocess.Popen(
            [keyturn,
             "--base-url", description["baseUrl"],
             "--environment-id", description["environmentId"],
             "--origin", description["origin"],
             "--virtual-key-socket", socket_path],
            env=app_env))

        app = wait_for("keyturn on the accessibility bus", find_app)
        log("found keyturn")

        find(app, pyatspi.ROLE_TEXT, "Email address")
        screenshot("sign-in")
        type_into(app, "Email address", EMAIL)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Send Code")

        code = wait_for("the email with the code", lambda: read_code(description["outbox"]))
        find(app, pyatspi.ROLE_TEXT, "Code from the email")
        screenshot("code")
        type_into(app, "Code from the email", code)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Verify")

        find(app, pyatspi.ROLE_TEXT, "Key name (optional)")
        screenshot("register")
        type_into(app, "Key name (optional)", KEY_NAME)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
        find(app, pyatspi.ROLE_STATUS_BAR, "Touch your security key.")
        screenshot("register-touch")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Touch Key")

        find(app, pyatspi.ROLE_PUSH_BUTTON, "Copy All")
        screenshot("recovery-codes")
        press(app, pyatspi.ROLE_CHECK_BOX,
              "I have written these codes down or stored them safely")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")

        find(app, pyatspi.ROLE_LABEL, f"You are signed in as {EMAIL}.")
        keys = find(app, pyatspi.ROLE_LIST, "Security keys")
        wait_for("one passkey in the list", lambda: keys.childCount == 1)
        find(keys, pyatspi.ROLE_LABEL, KEY_NAME)
        screenshot("account")
        log("the account page lists the new key")

        press(app, pyatspi.ROLE_PUSH_BUTTON, f"Rename “{KEY_NAME}”")
        type_into(app, "Name", "Spare key")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Rename")
        find(keys, pyatspi.ROLE_LABEL, "Spare key")
        log("the key is renamed")

        press(app, pyatspi.ROLE_PUSH_BUTTON, "Sign Out")
        find(app, pyatspi.ROLE_TEXT, "Email address")
        log("signed out")

        if processes[-1].poll() is not None:
            raise AssertionError(f"keyturn exited with {processes[-1].returncode}")
    finally:
        for process in processes:
            if process.poll() is not None:
                log(f"{process.args[0]} exited early with status {process.returncode}")
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)

    print("1..1\nok 1 - a new user signs in, registers a key, sees it listed, renames it, signs out")


if __name__ == "__main__":
    main()
