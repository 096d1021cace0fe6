#!/usr/bin/python3
# A client of Keyturn's sign-in service as an app would write one, with Gio alone: subscribe to
# the Request's Response before calling, call, wait. Prints one JSON line: the response code and
# its results, so the test can use the token it got.
#
#   service-client.py session [--interactive]
#   service-client.py step-up SCOPE REASON
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import random
import sys

from gi.repository import Gio, GLib

BUS_NAME = "io.github.keyturn.Keyturn"
OBJECT_PATH = "/io/github/keyturn/Keyturn"


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    token = f"test_client_{random.randrange(1 << 30)}"
    sender = bus.get_unique_name()[1:].replace(".", "_")
    path = f"{OBJECT_PATH}/request/{sender}/{token}"
    loop = GLib.MainLoop()
    answer = {}

    def on_response(_bus, _sender, _path, _iface, _signal, parameters):
        response, results = parameters.unpack()
        answer["response"] = response
        answer["results"] = results
        loop.quit()

    bus.signal_subscribe(None, "io.github.keyturn.Keyturn.Request1", "Response", path, None,
                         Gio.DBusSignalFlags.NO_MATCH_RULE, on_response)

    options = {"handle_token": GLib.Variant("s", token)}
    if sys.argv[1] == "session":
        if "--interactive" in sys.argv[2:]:
            options["interactive"] = GLib.Variant("b", True)
        method, args = "GetSession", GLib.Variant("(a{sv})", (options,))
    else:
        method, args = "StepUp", GLib.Variant("(ssa{sv})", (sys.argv[2], sys.argv[3], options))
    try:
        reply = bus.call_sync(BUS_NAME, OBJECT_PATH, "io.github.keyturn.Keyturn.Session1", method,
                              args, GLib.VariantType("(o)"), Gio.DBusCallFlags.NONE, 60000, None)
    except GLib.Error as error:
        print(json.dumps({"error": error.message}), flush=True)
        return
    if reply.unpack()[0] != path:
        print(json.dumps({"error": f"answered on {reply.unpack()[0]}, not {path}"}), flush=True)
        return
    # The test reads this line to know the call is on its way.
    print(json.dumps({"waiting": path}), flush=True)
    loop.run()
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
