# ktui.py: what Keyturn's AT-SPI tests share: the servers they start, and finding and using
# controls by role and accessible name only, as a screen reader does
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import gettext
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import polib
import pyatspi
from gi.repository import GLib
from Xlib import X, XK
from Xlib import display as xdisplay
from Xlib.ext import xtest

TIMEOUT = 30.0


def log(message):
    print(f"# {message}", flush=True)


def pump_events():
    """Delivers the AT-SPI events that have arrived to their listeners (see EventRecorder)."""
    context = GLib.MainContext.default()
    while context.pending():
        context.iteration(False)


def wait_for(what, probe, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        pump_events()
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
    return acc.name == name


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


# What a person operates or reads as a whole: a screen reader must be able to say what each is.
_NAMED_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_TEXT, pyatspi.ROLE_PASSWORD_TEXT,
    pyatspi.ROLE_SPIN_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_LINK, pyatspi.ROLE_SLIDER,
    pyatspi.ROLE_MENU_ITEM, pyatspi.ROLE_PAGE_TAB, pyatspi.ROLE_LIST, pyatspi.ROLE_DIALOG,
    pyatspi.ROLE_FRAME,
}


def unnamed_controls(acc, path=""):
    """Every visible control under @acc with no accessible name, as role paths."""
    found = []
    try:
        if not is_visible(acc):
            return found
        role = acc.getRole()
        here = f"{path}/{acc.getRoleName()}"
        if role in _NAMED_ROLES and not acc.name.strip():
            found.append(here)
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                found += unnamed_controls(child, here)
    except Exception:
        # An object can go away while it is walked; the next page's check sees the rest.
        pass
    return found


def misspoken_name(name):
    """What is wrong with a control's name as a screen reader reads it, or None: a mnemonic mark
    ("_Rename"), or the label twice as GTK 4.8 names a button with a mnemonic ("_Rename Rename")."""
    if re.search(r"_[^\W\d_]", name):
        return "a mnemonic mark"
    for i, ch in enumerate(name):
        if ch == " " and name[:i].strip() and strip_mnemonic(name[:i]) == name[i + 1:]:
            return "the label twice"
    return None


def misnamed_controls(acc, path=""):
    """Every visible control under @acc whose name has a mnemonic mark or a doubled label."""
    found = []
    try:
        if not is_visible(acc):
            return found
        here = f"{path}/{acc.getRoleName()}"
        if acc.getRole() in _NAMED_ROLES:
            wrong = misspoken_name(acc.name)
            if wrong:
                found.append(f"{here} “{acc.name}” ({wrong})")
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                found += misnamed_controls(child, here)
    except Exception:
        pass
    return found


def check_names(app, page):
    """Fails if any visible control on screen has no accessible name, or one a screen reader
    would read wrong."""
    unnamed = unnamed_controls(app)
    if unnamed:
        raise AssertionError(f"{page}: controls with no accessible name: {unnamed}")
    misnamed = misnamed_controls(app)
    if misnamed:
        raise AssertionError(f"{page}: controls named wrong: {misnamed}")
    log(f"{page}: every control has a name, read as it is shown")


# What a screen reader hears of: the focus moving, names and descriptions changing, and (GTK
# 4.14 on) announcements.
_EVENTS = ("object:state-changed:focused", "object:property-change:accessible-name",
           "object:property-change:accessible-description", "object:announcement")


class EventRecorder:
    """The AT-SPI events a screen reader acts on, as keyturn sends them, with what their object
    was when they came: delivered while wait_for() waits (pump_events())."""

    def __init__(self):
        self.events = []
        self.focus = None   # (role, role name, name, description) of the last object focused
        self.locus = None   # that object, as a screen reader keeps it: its locus of focus
        self.lost = []      # the events whose object could not be asked about
        self._said_why = False
        pyatspi.Registry.registerEventListener(self._on_event, *_EVENTS)

    def close(self):
        pyatspi.Registry.deregisterEventListener(self._on_event, *_EVENTS)

    def _on_event(self, event):
        try:
            # Keyturn is the only application on the test's accessibility bus; an object new
            # enough (a dialog's, as it opens) may not answer for its application yet.
            source = event.source
            if source is None:
                return
            what = (source.getRoleName(), source.name, source.description)
            role = source.getRole()
            if event.type.startswith("object:state-changed:focused"):
                if not event.detail1:
                    return
                self.focus = (role,) + what
                self.locus = source
            # Orca presents a change on its locus of focus or an ancestor of it (its
            # AXUtilitiesEvent.is_presentable_description_change); the locus stays where the
            # focus last went when the focus leaves for nowhere.
            focused = source.getState().contains(pyatspi.STATE_FOCUSED) or self._holds_locus(source)
        except Exception as e:
            self.lost.append(f"{event.type}: {e}")
            return
        data = event.any_data if isinstance(event.any_data, str) else ""
        self.events.append((time.monotonic(), event.type, what, focused, data))

    def _holds_locus(self, acc):
        locus = self.locus
        try:
            while locus is not None:
                if locus == acc:
                    return True
                locus = locus.parent
        except Exception:
            pass
        return False

    def mark(self):
        """A point in time, for told() to look from."""
        pump_events()
        return time.monotonic()

    def _telling(self, message, since):
        for when, kind, (role, name, description), focused, data in self.events:
            if when < since:
                continue
            if kind.startswith("object:state-changed:focused") and (
                    message in name or message in description):
                return f"the focus moved to {role} “{name}” ({description})"
            if kind.startswith("object:property-change") and focused and message in data:
                return f"{kind.split(':')[-1]} of the focused {role} “{name}” became “{data}”"
            if kind.startswith("object:announcement") and message in data:
                return f"announced “{data}”"
        return None

    def told(self, message, since, timeout=5.0):
        """Fails unless, since @since and within @timeout seconds, a screen reader would have
        been told @message; says how it was."""
        try:
            how = wait_for(f"a screen reader to be told “{message}”",
                           lambda: self._telling(message, since), timeout)
        except AssertionError:
            heard = [e[1:] for e in self.events if e[0] >= since and e[2][0] != "status bar"]
            log(f"heard since, status bars aside: {heard[-12:]} ({len(self.events)} in all; "
                f"lost: {self.lost[-5:]})")
            raise
        log(f"told “{message}”: {how}")
        if "accessible-description" in how and not self._said_why:
            # Not a skip: the test holds GTK 4.8 to what Orca presents of it.
            log("GTK 4.8 has no announcements (gtk_accessible_announce comes with GTK 4.14) and "
                "no live regions: Keyturn tells through the focused control's description, "
                "which Orca presents")
            self._said_why = True
        return how

    def focus_on(self, role, name, app=None, timeout=TIMEOUT):
        """Fails unless the focus lands on the object with @role and @name, or (when the app
        has just started, before its events could be heard) is on it in @app."""
        def landed():
            if self.focus is not None and self.focus[0] == role and self.focus[2] == name:
                return True
            if app is not None:
                found = search(app, role, name)
                return found is not None and is_focused(found)
            return False
        try:
            wait_for(f"the focus on {pyatspi.Role(role)} “{name}”", landed, timeout)
        except AssertionError:
            log(f"the focus is on {self.focus}; {len(self.events)} events heard: "
                f"{self.events[-8:]}")
            raise
        log(f"the focus is on {pyatspi.Role(role)} “{name}”")


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


def is_gone(acc):
    """Whether @acc has left the screen: hidden, or destroyed (its object no longer answers)."""
    try:
        states = acc.getState()
        return states.contains(pyatspi.STATE_DEFUNCT) or not states.contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return True


def is_focused(acc):
    return acc.getState().contains(pyatspi.STATE_FOCUSED)


def character_count(acc):
    return acc.queryText().characterCount


def window_of(acc):
    """The window (frame or dialog) that holds @acc."""
    while True:
        parent = acc.parent
        if parent is None or parent.getRole() == pyatspi.ROLE_APPLICATION:
            return acc
        acc = parent


class Keyboard:
    """Real key presses through the X server's XTest extension.

    GTK 4.8 ignores text set over AT-SPI on password entries, and the accessibility registry
    started by the session bus has no display to synthesize keys on: a person types into
    them, so the test does too. With no window manager under Xvfb, the test also does the
    window manager's part of giving the keyboard to the window that asks for it."""

    def __init__(self):
        self.display = xdisplay.Display()
        self.root = self.display.screen().root

    def _x_window(self, title):
        for window in self.root.query_tree().children:
            try:
                if (window.get_wm_name() == title
                        and window.get_attributes().map_state == X.IsViewable):
                    return window
            except Exception:
                # A window can go away while it is looked at.
                continue
        return None

    def focus_window(self, title):
        """Gives the keyboard to the mapped top-level window titled @title."""
        window = wait_for(f"a window titled “{title}”", lambda: self._x_window(title))
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.display.sync()
        wait_for(f"“{title}” to have the keyboard",
                 lambda: self.display.get_input_focus().focus == window)

    def _tap(self, keysym):
        keycode = self.display.keysym_to_keycode(keysym)
        if keycode == 0:
            raise AssertionError(f"no key on the keyboard gives keysym {keysym:#x}")
        shifted = self.display.keycode_to_keysym(keycode, 0) != keysym
        shift = self.display.keysym_to_keycode(XK.XK_Shift_L)
        if shifted:
            xtest.fake_input(self.display, X.KeyPress, shift)
        xtest.fake_input(self.display, X.KeyPress, keycode)
        xtest.fake_input(self.display, X.KeyRelease, keycode)
        if shifted:
            xtest.fake_input(self.display, X.KeyRelease, shift)
        self.display.sync()

    def type(self, text):
        for ch in text:
            self._tap(XK.string_to_keysym(ch) or ord(ch))

    def key(self, name):
        """Presses the key named @name as X names it: "Return", "Tab", "BackSpace"."""
        self._tap(XK.string_to_keysym(name))

    def chord(self, *names):
        """Holds the keys named @names down in order, then lets them go: "Control_L", "q"."""
        keycodes = [self.display.keysym_to_keycode(XK.string_to_keysym(n)) for n in names]
        if 0 in keycodes:
            raise AssertionError(f"no key on the keyboard for one of {names}")
        for keycode in keycodes:
            xtest.fake_input(self.display, X.KeyPress, keycode)
        for keycode in reversed(keycodes):
            xtest.fake_input(self.display, X.KeyRelease, keycode)
        self.display.sync()


_keyboard = None


def keyboard():
    global _keyboard
    if _keyboard is None:
        _keyboard = Keyboard()
    return _keyboard


def type_secret(app, name, text):
    """Types @text with real keys into the password entry called @name, which must already
    have the keyboard focus in its window, as a dialog gives it to its first entry."""
    entry = find(app, pyatspi.ROLE_PASSWORD_TEXT, name)
    wait_for(f"“{name}” to have the focus", lambda: is_focused(entry))
    keyboard().focus_window(window_of(entry).name)
    before = character_count(entry)
    keyboard().type(text)
    wait_for(f"{len(text)} characters in “{name}”",
             lambda: character_count(entry) == before + len(text))
    log(f"typed {len(text)} characters into “{name}”")
    return entry


def press_key(app, role, name, key):
    """Presses @key in the focused control with this role and name, in its window."""
    widget = find(app, role, name)
    wait_for(f"“{name}” to have the focus", lambda: is_focused(widget))
    keyboard().focus_window(window_of(widget).name)
    keyboard().key(key)
    log(f"pressed {key} in “{name}”")


def screenshot(name):
    """With KEYTURN_TEST_SCREENSHOTS=DIR, the screen as it is now, as DIR/at-spi/NAME.png.

    A folder of their own: test-screens writes the window's pictures under the same names."""
    folder = os.environ.get("KEYTURN_TEST_SCREENSHOTS")
    if folder:
        folder = os.path.join(folder, "at-spi")
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



def strip_mnemonic(label):
    """The words a screen reader speaks for a label with a mnemonic: "_Send Code" is "Send Code"."""
    return re.sub(r"_(.)", r"\1", label)


# A printf conversion in a msgid (or %% for a percent sign): on screen, some value stands there.
CONVERSION = re.compile(r"%%|%(?:\d+\$)?[-#0 +']*\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|j|t)?[diouxXeEfgGcsp]")


def shown_pattern(msgid):
    """A regular expression for @msgid as shown, any value in place of each conversion."""
    pattern, last = "", 0
    for match in CONVERSION.finditer(msgid):
        pattern += re.escape(msgid[last:match.start()])
        pattern += "%" if match.group(0) == "%%" else ".+?"
        last = match.end()
    return pattern + re.escape(msgid[last:])


class Catalog:
    """Keyturn's strings in one language, from the compiled catalog the build made, as the app
    loads it; English (the msgids themselves) with no language."""

    def __init__(self, build_root=None, language=None):
        self.language = language
        if language is None:
            self.translation = gettext.NullTranslations()
            self.path = None
            return
        # Where KEYTURN_UNINSTALLED_LOCALEDIR points an uninstalled keyturn.
        localedir = os.path.join(build_root, "po")
        self.path = gettext.find("keyturn", localedir, [language])
        if self.path is None:
            raise AssertionError(f"no {language} catalog for keyturn under {localedir}")
        self.translation = gettext.translation("keyturn", localedir, [language])

    def name(self, msgid):
        """What a screen reader calls the control labelled @msgid in this language."""
        return strip_mnemonic(self.translation.gettext(msgid))

    def untranslated_pattern(self):
        """One expression matching any English msgid whose translation reads otherwise, as a
        whole string, alone or as GTK 4.8 names a button with a mnemonic (label, then text)."""
        alternatives = []
        if self.path is not None:
            for entry in polib.mofile(self.path):
                english = [(entry.msgid, entry.msgstr)]
                if entry.msgid_plural:
                    english = [(entry.msgid, entry.msgstr_plural.get(0, "")),
                               (entry.msgid_plural, entry.msgstr_plural.get(1, ""))]
                for msgid, msgstr in english:
                    if not msgid or msgstr == msgid:
                        continue
                    alternatives.append(shown_pattern(strip_mnemonic(msgid)))
                    if "_" in msgid:
                        alternatives.append(shown_pattern(msgid + " " + strip_mnemonic(msgid)))
        if not alternatives:
            return None
        return re.compile("(?:" + "|".join(alternatives) + ")", re.DOTALL)


def shown_strings(acc, path=""):
    """(where, what, value) for the name, description and text of every visible object under
    @acc; hidden ones, and all under them, are not on screen."""
    found = []
    try:
        if not is_visible(acc):
            return found
        here = f"{path}/{acc.getRoleName()}"
        found.append((here, "name", acc.name))
        found.append((here, "description", acc.description))
        try:
            text = acc.queryText()
            # GTK 4.8 answers an end offset of -1 with nothing: ask for the whole length.
            found.append((here, "text", text.getText(0, text.characterCount)))
        except NotImplementedError:
            pass
        for i in range(acc.childCount):
            child = acc.getChildAtIndex(i)
            if child is not None:
                found += shown_strings(child, here)
    except Exception as e:
        # An object that goes away while it is walked shows nothing.
        log(f"skipped part of the tree at {path}: {e}")
    return found


def check_translated(app, catalog, page):
    """Fails if anything on screen is English that @catalog translates; says what and where."""
    pattern = catalog.untranslated_pattern()
    if pattern is None:
        raise AssertionError(f"the {catalog.language} catalog translates nothing")
    # The application itself is never "visible"; its windows and dialogs are.
    shown = []
    for i in range(app.childCount):
        window = app.getChildAtIndex(i)
        if window is not None:
            shown += shown_strings(window)
    english = [(where, what, value) for where, what, value in shown
               if value and pattern.fullmatch(value)]
    for where, what, value in english:
        log(f"{page}: untranslated {what} “{value}” on {where}")
    if english:
        raise AssertionError(f"{len(english)} untranslated strings on the {page} page")
    log(f"{page}: {len(shown)} names, descriptions and texts, none of them untranslated")


class Session:
    """keyturn-sandbox and keyturn-virtual-key (touched by hand, as a real key), in a folder of
    their own, and keyturn pointed at them; everything started is stopped on leaving.

    @sandbox_config, a dict, replaces the sandbox's demo environment (its --config file).
    @api_version is the demo environment's (--demo-api-version), None for its own 2026_04_01.
    With @keep_logs, what every process writes to stderr is kept for logs() to read, and
    shown when the session ends. @catalog is the language keyturn speaks (English without)."""

    def __init__(self, keyturn, sandbox, virtual_key, sandbox_config=None, keep_logs=False,
                 catalog=None, api_version=None):
        self.keyturn = keyturn
        # The language keyturn runs in and the names its controls have in it.
        self.catalog = catalog or Catalog()
        self.workdir = tempfile.mkdtemp(prefix="keyturn-ui-")
        self.processes = []
        self.sandbox_config = sandbox_config
        self.api_version = api_version
        self.keys_made = 0
        self.log_files = [] if keep_logs else None
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

    def _spawn(self, name, args, env, **kwargs):
        """Starts a process, its stderr kept in a file of its own with keep_logs."""
        if self.log_files is None:
            process = subprocess.Popen(args, env=env, **kwargs)
        else:
            path = os.path.join(self.workdir, name + ".log")
            if path not in self.log_files:
                self.log_files.append(path)
            with open(path, "ab") as log_file:
                process = subprocess.Popen(args, env=env, stderr=log_file, **kwargs)
        self.processes.append(process)
        return process

    def logs(self):
        """Everything the processes wrote to stderr so far (with keep_logs)."""
        text = ""
        for path in self.log_files:
            with open(path, encoding="utf-8", errors="replace") as f:
                text += f.read()
        return text

    def _start_servers(self):
        os.mkdir(os.path.join(self.workdir, "sandbox"))
        self._start_sandbox("127.0.0.1:0")

        self.key_socket = os.path.join(self.workdir, "key.sock")
        self._start_key("key.state")

    def _start_key(self, state):
        self.key_process = self._spawn(
            "virtual-key",
            [self.virtual_key, "--socket", self.key_socket,
             "--state", os.path.join(self.workdir, state), "--presence", "manual"],
            self.env, stdout=subprocess.DEVNULL)
        wait_for("the key's socket", lambda: os.path.exists(self.key_socket))

    def replace_key(self):
        """Unplugs the key and plugs another, new one in its place."""
        stop(self.key_process)
        wait_for("the key's socket to go", lambda: not os.path.exists(self.key_socket))
        self.keys_made += 1
        self._start_key(f"key-{self.keys_made}.state")

    def _start_sandbox(self, listen):
        data = os.path.join(self.workdir, "sandbox")
        described = os.path.join(data, "sandbox.json")
        if os.path.exists(described):
            os.unlink(described)
        args = [self.sandbox, "--listen", listen, "--data-dir", data]
        if self.sandbox_config is not None:
            config = os.path.join(self.workdir, "sandbox-config.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump(self.sandbox_config, f)
            args += ["--config", config]
        elif self.api_version is not None:
            # The demo is 2026_04_01 (step-up enforced) unless told otherwise.
            args += ["--demo-api-version", self.api_version]
        self.sandbox_process = self._spawn("sandbox", args, self.env, stdout=subprocess.DEVNULL)
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

    def start_app(self, extra_env=None):
        """Starts keyturn (with @extra_env added to its environment) and returns its accessible
        application once it is on the bus."""
        env = dict(self.env)
        env.update(extra_env or {})
        if self.app_debug:
            env["G_DEBUG"] = self.app_debug
        self.app_process = self._spawn(
            "keyturn",
            [self.keyturn,
             "--base-url", self.description["baseUrl"],
             "--environment-id", self.description["environmentId"],
             "--origin", self.description["origin"],
             "--virtual-key-socket", self.key_socket],
            env)
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
        for path in self.log_files or []:
            with open(path, encoding="utf-8", errors="replace") as f:
                sys.stderr.write(f.read())
        shutil.rmtree(self.workdir, ignore_errors=True)
        return False

    def screenshot(self, name):
        """screenshot(), named for the language too when it is not English, so a translated
        run leaves the English pictures as they are."""
        language = self.catalog.language
        screenshot(name if language is None else f"{name}-{language.split('_')[0]}")

    def on_page(self, app, page):
        """Each step calls this once its page is up: every control on screen must have a name
        and, in another language than English, nothing on screen may be left in English."""
        check_names(app, page)
        if self.catalog.language is not None:
            check_translated(app, self.catalog, page)

    # What a person does, step by step

    def sign_in(self, app, email):
        """From the sign-in page through the email code."""
        name = self.catalog.name
        find(app, pyatspi.ROLE_TEXT, name("_Email address"))
        self.screenshot("sign-in")
        self.on_page(app, "sign-in")
        type_into(app, name("_Email address"), email)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Send Code"))

        find(app, pyatspi.ROLE_TEXT, name("_Code from the email"))
        code = wait_for("the email with the code",
                        lambda: read_code(self.description["outbox"], email))
        self.screenshot("code")
        self.on_page(app, "code")
        type_into(app, name("_Code from the email"), code)
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Verify"))

    def touch_key(self, app, page):
        """Touches the software key once the page asks for it."""
        name = self.catalog.name
        find(app, pyatspi.ROLE_STATUS_BAR, name("Touch your security key."))
        self.screenshot(page + "-touch")
        self.on_page(app, page + "-touch")
        press(app, pyatspi.ROLE_PUSH_BUTTON, name("_Touch Key"))
