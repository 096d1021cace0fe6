#!/usr/bin/python3
# Step-up for other programs: StepUp over D-Bus and `keyturn step-up` ask the person, in a prompt
# found over AT-SPI that names the program, quotes its reason and says what the scope allows, to
# touch their key; the token that comes back works against the real sandbox for its scope, and
# for no other.
#
# Usage: test-service-step-up.py KEYTURN SANDBOX VIRTUAL_KEY
#
# Copyright 2026 Keyturn developers
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import signal
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktui import Session, check_names, find, log, press, wait_for  # noqa: E402
from ktservice import (answer_prompt, api, command, host_client, no_prompt,  # noqa: E402
                       prompt_naming, sign_up, start_command, words)

EMAIL = "step-up-user@example.com"
results = []


def ok(what):
    results.append(what)
    log(f"ok: {what}")


def touch_in_prompt(session, prompt):
    """Touches the software key once the prompt asks for it."""
    find(prompt, pyatspi.ROLE_STATUS_BAR, "Touch your security key.")
    press(prompt, pyatspi.ROLE_PUSH_BUTTON, "Touch Key")


def stepped_up(answer, scope):
    assert answer.get("response") == 0, answer
    got = answer["results"]
    assert got["scope"] == scope and got["token_type"] == "elevated-access-token", got
    assert got["token"], got
    return got["token"]


def main():
    keyturn = sys.argv[1]
    with Session(*sys.argv[1:4]) as session:
        app = session.start_app()
        sign_up(session, app, EMAIL)

        # The app is allowed to use the sign-in first; its step-ups still prompt each time.
        client = host_client(session, "wallet-tool", "session")
        answer_prompt(prompt_naming(app, "wallet-tool"), "Always Allow")
        access = client.answer()["results"]["access_token"]
        status, listed = api(session, "GET", "/users/passkeys", access)
        assert status == 200 and len(listed["passkeys"]) == 1, (status, listed)
        passkey_id = listed["passkeys"][0]["id"]

        reason = "Update the display name shown to your contacts"
        client = host_client(session, "wallet-tool", "step-up", "user:update", reason)
        prompt = prompt_naming(app, "wallet-tool")
        shown = " ".join(words(prompt))
        assert reason in shown and "user:update" in shown, shown
        check_names(prompt, "step-up prompt")
        touch_in_prompt(session, prompt)
        other_scope = stepped_up(client.answer(), "user:update")
        status, body = api(session, "DELETE", "/users/passkeys", access, elevated=other_scope,
                           body={"passkeyId": passkey_id})
        assert status == 403, (status, body)
        ok("StepUp names the app, quotes its reason and the scope, and its token is refused "
           "for an action of another scope")

        # The command line: consent, then the key; the token alone on stdout.
        running = start_command(keyturn, "step-up", "credential:unlink", "--reason",
                                "Remove the key I lost")
        answer_prompt(prompt_naming(app, "keyturn command"), "Allow Once")
        prompt = prompt_naming(app, "Remove the key I lost")
        touch_in_prompt(session, prompt)
        out, err = running.communicate(timeout=60)
        assert running.returncode == 0, (running.returncode, err)
        token = out.strip()
        assert out == token + "\n", out

        # Cancelled in the prompt: 1, and no token.
        client = host_client(session, "wallet-tool", "step-up", "wallet:sign", "Sign the transfer")
        prompt = prompt_naming(app, "Sign the transfer")
        answer_prompt(prompt, "Cancel")
        answer = client.answer()
        assert answer["response"] == 1 and answer["results"]["error"] == "cancelled", answer
        assert "token" not in answer["results"], answer
        ok("Cancel in the step-up prompt answers 1 with no token")

        # Ctrl+C on the command line withdraws the request: its prompt closes.
        running = start_command(keyturn, "step-up", "wallet:sign", "--reason", "Sign it now")
        answer_prompt(prompt_naming(app, "keyturn command"), "Allow Once")
        prompt_naming(app, "Sign it now")
        running.send_signal(signal.SIGINT)
        out, err = running.communicate(timeout=30)
        assert running.returncode == 1 and out == "" and err.strip(), (running.returncode, out,
                                                                       err)
        wait_for("the prompt to close", lambda: no_prompt(app))
        ok("Ctrl+C on keyturn step-up closes its prompt and exits 1 with no token")

        # The command line's token works for its own scope.
        status, body = api(session, "DELETE", "/users/passkeys", access, elevated=token,
                           body={"passkeyId": passkey_id})
        assert status in (200, 204), (status, body)
        ok("keyturn step-up prints a token the sandbox accepts for its scope")

        status, out, err = command(keyturn, "step-up", "console:project:delete", "--reason", "x")
        assert status == 2 and out == "" and "console:project:delete" in err, (status, out, err)
        assert no_prompt(app)
        ok("a scope Keyturn does not know is refused at once, with no prompt")

    print(f"1..{len(results)}")
    for i, what in enumerate(results, 1):
        print(f"ok {i} - {what}")


if __name__ == "__main__":
    main()
