#!/usr/bin/python3
# test-screenshots.py: every screenshot the metainfo names is in data/screenshots/, as a PNG of the
# size the metainfo gives, with a caption
#
# Software centres fetch the pictures from the repository's main branch, so a name with no file
# behind it is a broken picture on every store page; the test looks at the source tree instead.
#
# Usage: test-screenshots.py METAINFO SOURCE_ROOT
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import struct
import sys
import xml.etree.ElementTree as ET

BASE_URL = "https://raw.githubusercontent.com/keyturn/keyturn/main/data/screenshots/"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """Width and height from the PNG's IHDR chunk, or None for a file that is not a PNG."""
    with open(path, "rb") as f:
        header = f.read(24)
    if len(header) < 24 or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", header[16:24])


def main():
    metainfo, source_root = sys.argv[1:3]
    screenshots = ET.parse(metainfo).getroot().findall("screenshots/screenshot")
    problems = []
    if not screenshots:
        problems.append("the metainfo names no screenshot")
    if [s.get("type") for s in screenshots].count("default") != 1:
        problems.append("not exactly one screenshot is the default")
    for number, screenshot in enumerate(screenshots, 1):
        captions = [c for c in screenshot.findall("caption") if (c.text or "").strip()]
        if not captions:
            problems.append(f"screenshot {number} has no caption")
        images = screenshot.findall("image")
        if not images:
            problems.append(f"screenshot {number} has no image")
        for image in images:
            url = (image.text or "").strip()
            if not url.startswith(BASE_URL) or "/" in url[len(BASE_URL):]:
                problems.append(f"{url}: not a picture in data/screenshots/ on the main branch")
                continue
            name = url[len(BASE_URL):]
            path = os.path.join(source_root, "data", "screenshots", name)
            if not os.path.isfile(path):
                problems.append(f"{url}: data/screenshots/{name} does not exist")
                continue
            size = png_size(path)
            claimed = (int(image.get("width", 0)), int(image.get("height", 0)))
            if size is None:
                problems.append(f"data/screenshots/{name} is not a PNG")
            elif size != claimed:
                problems.append(f"data/screenshots/{name} is {size[0]}×{size[1]}, the metainfo "
                                f"says {claimed[0]}×{claimed[1]}")
            else:
                print(f"{name}: {size[0]}×{size[1]}")
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        sys.exit(1)
    print(f"PASS: {len(screenshots)} screenshots")


if __name__ == "__main__":
    main()
