/* kv-ctap-status.h: the status codes a CTAP 2.1 command answers with (CTAP 2.1 §8.2)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define CTAP2_OK                         0x00
#define CTAP1_ERR_INVALID_COMMAND        0x01
#define CTAP1_ERR_INVALID_PARAMETER      0x02
#define CTAP1_ERR_INVALID_LENGTH         0x03
#define CTAP2_ERR_CBOR_UNEXPECTED_TYPE   0x11
#define CTAP2_ERR_INVALID_CBOR           0x12
#define CTAP2_ERR_MISSING_PARAMETER      0x14
#define CTAP2_ERR_LIMIT_EXCEEDED         0x15
#define CTAP2_ERR_CREDENTIAL_EXCLUDED    0x19
#define CTAP2_ERR_UNSUPPORTED_ALGORITHM  0x26
#define CTAP2_ERR_OPERATION_DENIED       0x27
#define CTAP2_ERR_KEY_STORE_FULL         0x28
#define CTAP2_ERR_INVALID_OPTION         0x2c
#define CTAP2_ERR_KEEPALIVE_CANCEL       0x2d
#define CTAP2_ERR_NO_CREDENTIALS         0x2e
#define CTAP2_ERR_USER_ACTION_TIMEOUT    0x2f
#define CTAP2_ERR_NOT_ALLOWED            0x30
#define CTAP2_ERR_PIN_INVALID            0x31
#define CTAP2_ERR_PIN_BLOCKED            0x32
#define CTAP2_ERR_PIN_AUTH_INVALID       0x33
#define CTAP2_ERR_PIN_AUTH_BLOCKED       0x34
#define CTAP2_ERR_PIN_NOT_SET            0x35
#define CTAP2_ERR_PUAT_REQUIRED          0x36
#define CTAP2_ERR_PIN_POLICY_VIOLATION   0x37
#define CTAP2_ERR_INVALID_SUBCOMMAND     0x3e
#define CTAP2_ERR_UNAUTHORIZED_PERMISSION 0x40
#define CTAP1_ERR_OTHER                  0x7f

/* Not a status: the request was abandoned (its channel re-synchronised or closed), so nothing
 * must be sent. */
#define KV_CTAP_NO_REPLY 0x100
