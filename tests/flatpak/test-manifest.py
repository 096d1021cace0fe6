#!/usr/bin/python3
# test-manifest.py: the Flatpak manifest is one flatpak-builder reads without a complaint, every
# module's options exist in that module, and Keyturn's own module builds here as the manifest
# builds it
#
# No network and no GNOME SDK here, so the manifest is checked the ways that need neither:
# flatpak-builder parses it (it only warns about keys it does not know, so a warning fails here),
# the build options are checked against the options each project defines, the sources are pinned,
# and Keyturn is configured and built on this machine with the manifest's own meson options.
#
# Usage: test-manifest.py MANIFEST SOURCE_ROOT BUILD_DIR MESON NINJA
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tap import Tap  # noqa: E402

APP_ID = "io.github.keyturn.Keyturn"

# The options each third-party module's build defines, as read in its own CMakeLists.txt.
# Update these with the module's version, from its sources, never from memory.
CMAKE_OPTIONS = {
    # libcbor: option() and cache entries in CMakeLists.txt of 0.8 (freebsd-src,
    # contrib/libcbor/CMakeLists.txt) and BUILD_SHARED_LIBS and CMAKE_SKIP_INSTALL_ALL_DEPENDENCY,
    # options since 0.12 (PJK/libcbor CMakeLists.txt; freedesktop-sdk builds 0.14 with
    # -DBUILD_SHARED_LIBS:BOOL=ON in elements/components/libcbor.bst).
    "libcbor": {
        "BUILD_SHARED_LIBS", "CMAKE_SKIP_INSTALL_ALL_DEPENDENCY", "CBOR_CUSTOM_ALLOC",
        "CBOR_PRETTY_PRINTER", "CBOR_BUFFER_GROWTH", "CBOR_MAX_STACK_SIZE", "WITH_TESTS",
        "WITH_EXAMPLES", "HUGE_FUZZ", "SANE_MALLOC", "PRINT_FUZZ", "SANITIZE", "COVERAGE",
    },
    # libfido2: the option() list at the top of Yubico/libfido2's CMakeLists.txt (1.15), which
    # also reads UDEV_RULES_DIR.
    "libfido2": {
        "BUILD_TESTS", "BUILD_EXAMPLES", "BUILD_MANPAGES", "BUILD_SHARED_LIBS",
        "BUILD_STATIC_LIBS", "BUILD_TOOLS", "FUZZ", "USE_HIDAPI", "USE_PCSC", "USE_WINHELLO",
        "NFC_LINUX", "UDEV_RULES_DIR",
    },
}

# CMake's own variables that any project accepts.
CMAKE_BUILTIN = re.compile(r"^CMAKE_[A-Z_]+$")

# meson's built-in options (meson setup --help) that a manifest may reasonably set.
MESON_BUILTIN = {
    "buildtype", "debug", "optimization", "b_lto", "b_ndebug", "b_pie", "werror",
    "warning_level", "prefix", "libdir", "bindir", "datadir", "localedir", "default_library",
}

REQUIRED_FINISH_ARGS = [
    "--socket=wayland", "--socket=fallback-x11", "--share=ipc", "--device=dri",
    "--share=network", "--device=all", "--talk-name=org.freedesktop.secrets",
    "--talk-name=org.freedesktop.impl.portal.PermissionStore",
]


def show_manifest(path):
    """The manifest as flatpak-builder understood it, and what went wrong reading it."""
    # flatpak-builder makes its state folder where it runs: a throwaway one.
    with tempfile.TemporaryDirectory(prefix="keyturn-flatpak-") as workdir:
        result = subprocess.run(["flatpak-builder", "--show-manifest", os.path.abspath(path)],
                                capture_output=True, text=True, cwd=workdir)
    problems = []
    if result.returncode != 0:
        problems.append(f"flatpak-builder --show-manifest failed: {result.stderr.strip()}")
    # flatpak-builder reads a key it does not know, warns, and goes on: fail on that warning.
    for line in result.stderr.splitlines():
        if "Unknown property" in line or "WARNING" in line:
            problems.append(line.strip())
    try:
        parsed = json.loads(result.stdout) if result.returncode == 0 else None
    except json.JSONDecodeError as error:
        problems.append(f"flatpak-builder printed no JSON: {error}")
        parsed = None
    return parsed, problems


def meson_options(source_root):
    with open(os.path.join(source_root, "meson_options.txt"), encoding="utf-8") as f:
        return set(re.findall(r"option\(\s*'([^']+)'", f.read()))


def option_names(module):
    """The names of the options a module's config-opts set, as (name, argument) pairs."""
    names = []
    for argument in module.get("config-opts", []):
        match = re.match(r"^-D([A-Za-z0-9_.-]+)(?::[A-Z]+)?=", argument)
        if match is None:
            match = re.match(r"^--([a-z_-]+)=", argument)
            if match is None:
                names.append((None, argument))
                continue
            names.append((match.group(1).replace("-", "_"), argument))
        else:
            names.append((match.group(1), argument))
    return names


def module_problems(manifest, source_root):
    problems = []
    modules = {module.get("name"): module for module in manifest.get("modules", [])}
    expected = list(CMAKE_OPTIONS) + ["keyturn"]
    if list(modules) != expected:
        problems.append(f"modules are {list(modules)}, expected {expected} in that order")
    own_options = meson_options(source_root) | MESON_BUILTIN

    for name, module in modules.items():
        buildsystem = module.get("buildsystem")
        if name == "keyturn":
            if buildsystem != "meson":
                problems.append(f"keyturn: buildsystem {buildsystem}, not meson")
            known, source = own_options, "meson_options.txt or meson's built-in options"
            sources = module.get("sources", [])
            if [(s.get("type"), s.get("path")) for s in sources] != [("dir", "..")]:
                problems.append(f"keyturn: its source is not the source tree (dir ..): {sources}")
        elif name in CMAKE_OPTIONS:
            if buildsystem not in ("cmake", "cmake-ninja"):
                problems.append(f"{name}: buildsystem {buildsystem}, not CMake")
            known, source = CMAKE_OPTIONS[name], f"{name}'s CMakeLists.txt"
            for archive in module.get("sources", []):
                if archive.get("type") != "archive":
                    problems.append(f"{name}: a {archive.get('type')} source, not a pinned archive")
                elif not archive.get("url", "").startswith("https://"):
                    problems.append(f"{name}: {archive.get('url')} is not https")
                elif not re.fullmatch(r"[0-9a-f]{64}", archive.get("sha256", "")):
                    problems.append(f"{name}: {archive.get('url')} has no sha256")
            if not module.get("sources"):
                problems.append(f"{name}: no sources")
        else:
            continue
        for option, argument in option_names(module):
            if option is None:
                problems.append(f"{name}: cannot read an option name from {argument!r}")
            elif option not in known and not (buildsystem != "meson" and
                                               CMAKE_BUILTIN.match(option)):
                problems.append(f"{name}: {argument} sets {option}, which {source} does not "
                                f"define")
    return problems


def app_problems(manifest):
    problems = []
    for key, value in [("id", APP_ID), ("runtime", "org.gnome.Platform"),
                       ("sdk", "org.gnome.Sdk"), ("command", "keyturn")]:
        if manifest.get(key) != value:
            problems.append(f"{key} is {manifest.get(key)!r}, not {value!r}")
    if not re.fullmatch(r"\d+", str(manifest.get("runtime-version", ""))):
        problems.append(f"runtime-version {manifest.get('runtime-version')!r} is not a GNOME "
                        f"release")
    finish_args = manifest.get("finish-args", [])
    problems += [f"finish-args lack {arg}" for arg in REQUIRED_FINISH_ARGS
                 if arg not in finish_args]
    return problems


def build_problems(manifest, source_root, build_dir, meson, ninja):
    """Configures and builds Keyturn as the manifest's module does, with the sandbox's /app as
    the prefix."""
    module = next(m for m in manifest["modules"] if m.get("name") == "keyturn")
    shutil.rmtree(build_dir, ignore_errors=True)
    setup = [meson, "setup", build_dir, source_root, "--prefix=/app",
             *module.get("config-opts", [])]
    result = subprocess.run(setup, capture_output=True, text=True)
    if result.returncode != 0:
        return [f"{' '.join(setup)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"]
    result = subprocess.run([ninja, "-C", build_dir], capture_output=True, text=True)
    if result.returncode != 0:
        return [f"ninja failed:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"]
    built = {"keyturn": "src/app/keyturn", "keyturn-sandbox": "src/sandbox/keyturn-sandbox",
             "keyturn-virtual-key": "src/virtual-key/keyturn-virtual-key"}
    problems = [f"{name} was not built" for name, path in built.items()
                if not os.access(os.path.join(build_dir, path), os.X_OK)]
    if os.path.exists(os.path.join(build_dir, "tests")):
        problems.append("the tests were configured although the manifest leaves them out")
    if not problems:
        shutil.rmtree(build_dir, ignore_errors=True)
    return problems


def main():
    manifest_path, source_root, build_dir, meson, ninja = sys.argv[1:6]
    tap = Tap()
    print("1..4", flush=True)
    manifest, problems = show_manifest(manifest_path)
    tap.check("flatpak-builder --show-manifest reads it with no warning", problems)
    if manifest is None:
        sys.exit(1)
    tap.check("GNOME runtime, app id, command and finish-args", app_problems(manifest))
    tap.check("each module's build system, pinned sources and options that exist",
              module_problems(manifest, source_root))
    tap.check("keyturn configures and builds with the manifest's meson options",
              build_problems(manifest, source_root, build_dir, meson, ninja))
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    main()
