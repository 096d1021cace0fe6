#!/usr/bin/python3
# test-install.py: `meson install` puts everything where a desktop looks for it, and what was
# installed runs
#
# Installs the build into a staging folder (DESTDIR), checks every file a desktop, a software
# centre and a packager expect, runs the post-install steps meson skips for a staged install (as a
# distribution's triggers would), then runs the installed programs: each one's --version, core's
# sign-up flow against the installed sandbox and software key, and the installed app under Xvfb
# with the installed settings schema, in English and in each translation it ships.
#
# Usage: test-install.py MESON FLOW_TEST (inside keyturn-test-env, with KEYTURN_* from
# tests/install; FLOW_TEST is tests/flow's test-flow-keyring)
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import gettext
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.environ["KEYTURN_SOURCE_ROOT"]
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "ui"))
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests"))
import pyatspi  # noqa: E402
from ktui import Session, find, log  # noqa: E402
from tap import Tap  # noqa: E402

APP_ID = "io.github.keyturn.Keyturn"
PROGRAMS = ["keyturn", "keyturn-sandbox", "keyturn-virtual-key"]


class Staged:
    """The install tree inside DESTDIR: paths as configured, under the staging folder."""

    def __init__(self, destdir):
        self.destdir = destdir

    def __call__(self, configured):
        return self.destdir + configured


def install(meson, build_root, destdir):
    result = subprocess.run([meson, "install", "-C", build_root, "--no-rebuild",
                             "--destdir", destdir], capture_output=True, text=True)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        return output, [f"meson install failed ({result.returncode}):\n{output}"]
    return output, []


def expected_files():
    prefix = os.environ["KEYTURN_PREFIX"]
    bindir = os.path.join(prefix, os.environ["KEYTURN_BINDIR"])
    datadir = os.path.join(prefix, os.environ["KEYTURN_DATADIR"])
    localedir = os.path.join(prefix, os.environ["KEYTURN_LOCALEDIR"])
    files = [os.path.join(bindir, program) for program in PROGRAMS]
    files += [
        os.path.join(datadir, "applications", f"{APP_ID}.desktop"),
        os.path.join(datadir, "metainfo", f"{APP_ID}.metainfo.xml"),
        os.path.join(datadir, "glib-2.0", "schemas", f"{APP_ID}.gschema.xml"),
        os.path.join(datadir, "icons", "hicolor", "scalable", "apps", f"{APP_ID}.svg"),
        os.path.join(datadir, "icons", "hicolor", "symbolic", "apps", f"{APP_ID}-symbolic.svg"),
    ]
    files += [os.path.join(localedir, language, "LC_MESSAGES", "keyturn.mo")
              for language in languages()]
    return bindir, datadir, localedir, files


def languages():
    with open(os.path.join(SOURCE_ROOT, "po", "LINGUAS"), encoding="utf-8") as f:
        return [word for line in f for word in line.split("#", 1)[0].split()]


# meson install leaves its post-install scripts out for a staged install, and says so; a
# distribution's triggers run them on the real system. The script names the folder it works on.
SKIPPED_SCRIPT = re.compile(r"^Skipping custom install script because DESTDIR is set '(.*)'$")


def run_post_install_steps(output, staged):
    """Runs each post-install step meson skipped on the staged tree; returns their programs and
    what went wrong."""
    ran, problems = [], []
    for line in output.splitlines():
        match = SKIPPED_SCRIPT.match(line.strip())
        if match is None:
            continue
        argv = shlex.split(match.group(1))
        # The configured folder the step works on is its last argument.
        argv[-1] = staged(argv[-1])
        result = subprocess.run(argv, capture_output=True, text=True)
        ran.append(os.path.basename(argv[0]))
        if result.returncode != 0:
            problems.append(f"{shlex.join(argv)} failed: {result.stdout}{result.stderr}")
    return ran, problems


def version_problems(bindir, staged):
    problems = []
    version = os.environ["KEYTURN_VERSION"]
    for program in PROGRAMS:
        result = subprocess.run([staged(os.path.join(bindir, program)), "--version"],
                                capture_output=True, text=True)
        said = result.stdout.strip()
        if result.returncode != 0 or said != f"{program} {version}":
            problems.append(f"{program} --version: status {result.returncode}, said {said!r}, "
                            f"{result.stderr.strip()!r}")
    return problems


def quit_app(session):
    """Asks keyturn to quit as the desktop does (app.quit over D-Bus) and waits for a clean exit."""
    subprocess.run(["gdbus", "call", "--session", "--dest", APP_ID,
                    "--object-path", "/" + APP_ID.replace(".", "/"),
                    "--method", "org.gtk.Actions.Activate", "quit", "[]", "{}"],
                   check=True, stdout=subprocess.DEVNULL)
    status = session.app_process.wait(timeout=15)
    if status != 0:
        raise AssertionError(f"keyturn quit with status {status}")


def speaks(language, programs, localedir):
    """Starts the installed keyturn in @language (None: untranslated), finds its sign-in page in
    that language, and has it quit."""
    send_code = "Send Code"
    if language is not None:
        catalog = gettext.translation("keyturn", localedir, [language])
        # The button is named by its label, mnemonic underline left out.
        send_code = catalog.gettext("_Send Code").replace("_", "")
        if send_code == "Send Code":
            return [f"the installed {language} catalog does not translate “Send Code”"]
        os.environ["LANGUAGE"] = language
    try:
        with Session(*programs) as session:
            app = session.start_app()
            find(app, pyatspi.ROLE_PUSH_BUTTON, send_code)
            log(f"keyturn in {language or 'English'} shows “{send_code}”")
            quit_app(session)
    except (AssertionError, subprocess.SubprocessError) as error:
        return [f"keyturn in {language or 'English'}: {error}"]
    finally:
        os.environ.pop("LANGUAGE", None)
    return []


def flow_problems(flow_test, programs):
    """Core's sign-up flow (test-flow-keyring) against the installed sandbox and software key."""
    env = dict(os.environ)
    env["KEYTURN_SANDBOX_PROGRAM"] = programs[1]
    env["KEYTURN_VIRTUAL_KEY_PROGRAM"] = programs[2]
    # Nothing to fall back on: a test that ignored the installed programs would fail.
    env["KEYTURN_BUILD_ROOT"] = os.path.join(os.environ["KEYTURN_TEST_ROOT"], "no-build-tree")
    env["KEYTURN_TEST_KEYRING"] = "unlocked"
    result = subprocess.run([flow_test], env=env, capture_output=True, text=True)
    if result.returncode != 0 or "not ok" in result.stdout:
        return [f"{os.path.basename(flow_test)} with the installed programs failed "
                f"({result.returncode}):\n{result.stdout}{result.stderr[-3000:]}"]
    return []


def main():
    meson, flow_test = sys.argv[1:3]
    build_root = os.environ["KEYTURN_BUILD_ROOT"]
    tap = Tap()
    print("1..6", flush=True)
    destdir = tempfile.mkdtemp(prefix="keyturn-install-")
    try:
        staged = Staged(destdir)
        output, problems = install(meson, build_root, destdir)
        tap.check("meson install into a staging folder", problems)

        bindir, datadir, localedir, files = expected_files()
        tap.check(f"{len(files)} files installed: programs, launcher, metainfo, schema, icons "
                  f"and {len(languages())} translations",
                  [f"not installed: {path}" for path in files
                   if not os.path.isfile(staged(path))])

        ran, problems = run_post_install_steps(output, staged)
        schemas = staged(os.path.join(datadir, "glib-2.0", "schemas"))
        if "glib-compile-schemas" not in ran:
            problems.append("no post-install step compiles the settings schemas")
        elif not os.path.isfile(os.path.join(schemas, "gschemas.compiled")):
            problems.append("glib-compile-schemas left no gschemas.compiled")
        tap.check(f"post-install steps run on the staged tree: {', '.join(ran)}", problems)

        tap.check("each installed program's --version", version_problems(bindir, staged))

        # Only what was installed: the schema, the icons and the programs, from the stage.
        programs = [staged(os.path.join(bindir, program)) for program in PROGRAMS]
        os.environ["GSETTINGS_SCHEMA_DIR"] = schemas
        os.environ["XDG_DATA_DIRS"] = ":".join(
            [staged(datadir), os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share")])
        tap.check("a new user signs up through the installed sandbox and software key, and is "
                  "still signed in after a restart", flow_problems(flow_test, programs))

        problems = []
        for language in [None] + languages():
            problems += speaks(language, programs, staged(localedir))
        tap.check("the installed app starts, shows its sign-in page and quits cleanly, in English "
                  f"and in {', '.join(languages()) or 'no other language'}", problems)
    finally:
        shutil.rmtree(destdir, ignore_errors=True)
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    main()
