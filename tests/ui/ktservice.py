# ktservice.py: what the tests of Keyturn's D-Bus service share: a new user signed in through
# the window, clients of the service in processes of their own (on the host, in a bwrap sandbox
# that looks like a Flatpak app, or the keyturn command), the desktop's permission store, and the
# sandbox's API as an app would call it with the token it got
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pyatspi
from gi.repository import Gio, GLib

from Xlib import X

from ktui import find, keyboard, log, press, search, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "service-client.py")
BUS_NAME = "io.github.keyturn.Keyturn"
PYTHON = os.path.realpath(sys.executable)


def sign_up(session, app, email):
    """A new user: email code, a key registered, recovery codes kept; ends on the account page."""
    session.sign_in(app, email)
    find(app, pyatspi.ROLE_TEXT, "Key name (optional)")
    press(app, pyatspi.ROLE_PUSH_BUTTON, "Register Security Key")
    session.touch_key(app, "register")
    press(app, pyatspi.ROLE_CHECK_BOX, "I have written these codes down or stored them safely")
    press(app, pyatspi.ROLE_PUSH_BUTTON, "I Have Saved These Codes")
    find(app, pyatspi.ROLE_LABEL, f"You are signed in as {email}.")


def program(session, name):
    """A copy of this Python under another name: a host program the service tells apart from the
    others by its executable, as it would tell two apps apart."""
    folder = os.path.join(session.workdir, "bin")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        shutil.copy2(PYTHON, path)
    return path


class Client:
    """One call of the service from a process of its own; answer() is its Response."""

    def __init__(self, argv, env=None):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
        first = json.loads(self.process.stdout.readline() or "{}")
        if "waiting" not in first:
            raise AssertionError(f"the call did not get a request: {first}")
        self.path = first["waiting"]

    def answer(self, timeout=60):
        line = self.process.stdout.readline()
        self.process.wait(timeout=timeout)
        if not line:
            raise AssertionError("the client ended without an answer")
        return json.loads(line)

    def kill(self):
        self.process.kill()
        self.process.wait()


def host_client(session, name, *args):
    """The client as the host program @name."""
    env = dict(os.environ, PYTHONHOME=sys.base_prefix)
    return Client([program(session, name), CLIENT, *args], env)


def flatpak_client(session, app_id, *args):
    """The client inside a bwrap sandbox with a /.flatpak-info naming @app_id, which is all
    xdg-desktop-portal and Keyturn go by."""
    info = os.path.join(session.workdir, app_id + ".flatpak-info")
    with open(info, "w", encoding="utf-8") as f:
        f.write(f"[Application]\nname={app_id}\n")
    argv = ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
            "--ro-bind", info, "/.flatpak-info", "--ro-bind", HERE, HERE,
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in ("/bin", "/lib", "/lib64", "/sbin"):
        if os.path.islink(link):
            argv += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            argv += ["--ro-bind", link, link]
    # The bus: a socket path must be in the sandbox; an abstract one is reached as it is.
    address = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    for part in address.split(";")[0].split(":", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key == "path":
            folder = os.path.dirname(value)
            argv += ["--bind", folder, folder]
    return Client(argv + ["/usr/bin/python3", CLIENT, *args])


def command(keyturn, *args, timeout=60):
    """keyturn token / keyturn step-up, run as a script would: (status, stdout, stderr)."""
    result = subprocess.run([keyturn, *args], capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def start_command(keyturn, *args):
    return subprocess.Popen([keyturn, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def allowed_apps():
    """The apps the desktop's permission store lets use the sign-in."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    try:
        reply = bus.call_sync("org.freedesktop.impl.portal.PermissionStore",
                              "/org/freedesktop/impl/portal/PermissionStore",
                              "org.freedesktop.impl.portal.PermissionStore", "Lookup",
                              GLib.Variant("(ss)", ("keyturn", "sign-in")),
                              GLib.VariantType("(a{sas}v)"), Gio.DBusCallFlags.NONE, 10000, None)
    except GLib.Error as error:
        if "NotFound" in error.message or "No entry" in error.message:
            return {}
        raise
    return reply.unpack()[0]


def allow_in_store(app_id):
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.call_sync("org.freedesktop.impl.portal.PermissionStore",
                  "/org/freedesktop/impl/portal/PermissionStore",
                  "org.freedesktop.impl.portal.PermissionStore", "SetPermission",
                  GLib.Variant("(sbssas)", ("keyturn", True, "sign-in", app_id, ["yes"])),
                  None, Gio.DBusCallFlags.NONE, 10000, None)


def api(session, method, path, token, elevated=None, body=None):
    """One request to the sandbox as an app with the token would make it: (status, JSON)."""
    url = session.description["baseUrl"] + "/sdk/" + session.description["environmentId"] + path
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if elevated is not None:
        request.add_header("x-dyn-elevated-access-token", elevated)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def dialogs(app):
    """The prompts Keyturn shows now."""
    found = []

    def walk(acc):
        try:
            for i in range(acc.childCount):
                child = acc.getChildAtIndex(i)
                if child is None:
                    continue
                if child.getRole() == pyatspi.ROLE_DIALOG and \
                        child.getState().contains(pyatspi.STATE_VISIBLE):
                    found.append(child)
        except Exception:
            pass

    walk(app)
    return found


def words(acc):
    """Every piece of text under @acc, as a screen reader could read it."""
    text = []
    try:
        if acc.name:
            text.append(acc.name)
        if acc.description:
            text.append(acc.description)
        try:
            t = acc.queryText()
            text.append(t.getText(0, t.characterCount))
        except NotImplementedError:
            pass
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                text += words(child)
    except Exception:
        pass
    return text


def prompt_naming(app, name, timeout=30):
    """The one prompt up now, which must say @name."""
    def one():
        shown = dialogs(app)
        if len(shown) == 1 and any(name in w for w in words(shown[0])):
            return shown[0]
        return None
    try:
        return wait_for(f"a prompt that names {name}", one, timeout)
    except AssertionError:
        log(f"prompts up: {[' | '.join(words(d)) for d in dialogs(app)]}")
        raise


def no_prompt(app):
    return len(dialogs(app)) == 0


def answer_prompt(dialog, button):
    press(dialog, pyatspi.ROLE_PUSH_BUTTON, button)
    wait_for("the prompt to close", lambda: search(dialog, pyatspi.ROLE_PUSH_BUTTON, button) is None)


def focus_topmost_window():
    """Gives the keyboard to the window on top, as a window manager gives it to a new dialog
    (there is none under Xvfb): the prompt that just came up."""
    kb = keyboard()

    def topmost():
        for window in reversed(kb.root.query_tree().children):
            try:
                if window.get_attributes().map_state == X.IsViewable:
                    return window
            except Exception:
                continue
        return None

    window = wait_for("a window on top", topmost)
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    kb.display.sync()
    wait_for("the window on top to have the keyboard",
             lambda: kb.display.get_input_focus().focus == window)
