# ktui.py: what Keyturn's AT-SPI tests share: the servers they start, and finding and using
# controls by role and accessible name only, as a screen reader does
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pyatspi

TIMEOUT = 30.0


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
    """The visible object with this role and name (any name for None) under @acc, depth first."""
    try:
        if acc.getRole() == role and (name is None or is_named(acc, name)) and is_visible(acc):
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


def read_code(outbox, email):
    """The 6-digit code in the newest email to @email, or None."""
    wanted = f"\r\nTo: <{email}>\r\n"
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




class Session:
    """keyturn-sandbox and keyturn-virtual-key (touched by hand, as a real key), in a folder of
    their own, and keyturn pointed at them; everything started is stopped on leaving."""

    def __init__(self, keyturn, sandbox, virtual_key):
        self.keyturn = keyturn
        self.workdir = tempfile.mkdtemp(prefix="keyturn-ui-")
        self.processes = []
        self.app_process = None
        # Only keyturn gets the suite's fatal warnings: they hold the app to account, not the
        # servers it talks to or this script's own bindings.
        self.app_debug = os.environ.pop("KEYTURN_APP_G_DEBUG", "")
        self.env = dict(os.environ)
        self.env.pop("G_DEBUG", None)
        self.sandbox = sandbox
        self.virtual_key = virtual_key

    def __enter__(self):
        try:
            self._start_servers()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start_servers(self):
        os.mkdir(os.path.join(self.workdir, "sandbox"))
        self._start_sandbox("127.0.0.1:0")

        self.key_socket = os.path.join(self.workdir, "key.sock")
        self.processes.append(subprocess.Popen(
            [self.virtual_key, "--socket", self.key_socket,
             "--state", os.path.join(self.workdir, "key.state"), "--presence", "manual"],
            env=self.env, stdout=subprocess.DEVNULL))
        wait_for("the key's socket", lambda: os.path.exists(self.key_socket))

    def _start_sandbox(self, listen):
        data = os.path.join(self.workdir, "sandbox")
        described = os.path.join(data, "sandbox.json")
        if os.path.exists(described):
            os.unlink(described)
        self.sandbox_process = subprocess.Popen(
            [self.sandbox, "--listen", listen, "--data-dir", data],
            env=self.env, stdout=subprocess.DEVNULL)
        self.processes.append(self.sandbox_process)
        wait_for("sandbox.json", lambda: os.path.exists(described))
        with open(described, encoding="utf-8") as f:
            self.description = json.load(f)

    def stop_sandbox(self):
        """The server goes away: its port refuses connections until restart_sandbox()."""
        stop(self.sandbox_process)

    def restart_sandbox(self):
        """The same server back on the same port and data, as after a network outage."""
        port = self.description["baseUrl"].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
        self._start_sandbox(f"127.0.0.1:{port}")

    def start_app(self):
        """Starts keyturn and returns its accessible application once it is on the bus."""
        env = dict(self.env)
        if self.app_debug:
            env["G_DEBUG"] = self.app_debug
        self.app_process = subprocess.Popen(
            [self.keyturn,
             "--base-url", self.description["baseUrl"],
             "--environment-id", self.description["environmentId"],
             "--origin", self.description["origin"],
             "--virtual-key-socket", self.key_socket],
            env=env)
        self.processes.append(self.app_process)
        app = wait_for("keyturn on the accessibility bus", find_app)
        log("found keyturn")
        return app

    def quit_app(self):
        """Ends keyturn as the session's end would, and waits until it has left the bus."""
        stop(self.app_process)
        if self.app_process.returncode not in (0, -signal.SIGTERM):
            raise AssertionError(f"keyturn ended with status {self.app_process.returncode}")
        wait_for("keyturn to leave the accessibility bus", lambda: find_app() is None)

    def check_app_running(self):
        if self.app_process.poll() is not None:
            raise AssertionError(f"keyturn exited with {self.app_process.returncode}")

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is not None and process.returncode != -signal.SIGTERM:
                log(f"{process.args[0]} ended with status {process.returncode}")
        for process in reversed(self.processes):
            stop(process)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return False

    # What a person does, step by step

    def sign_in(self, app, email):
        """From the sign-in page through the email code."""
        find(app, pyatspi.ROLE_TEXT, "Email address")
        screenshot("sign-in")
        type_into(app, "Email address", email)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Send Code")

        find(app, pyatspi.ROLE_TEXT, "Code from the email")
        code = wait_for("the email with the code",
                        lambda: read_code(self.description["outbox"], email))
        screenshot("code")
        type_into(app, "Code from the email", code)
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Verify")

    def touch_key(self, app, page):
        """Touches the software key once the page asks for it."""
        find(app, pyatspi.ROLE_STATUS_BAR, "Touch your security key.")
        screenshot(page + "-touch")
        press(app, pyatspi.ROLE_PUSH_BUTTON, "Touch Key")
