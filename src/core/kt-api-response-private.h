/* kt-api-response-private.h: how the API client reads an answer, apart from sending the call,
 * so that the fuzz targets feed it answers no server would give
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The largest answer read, counted after decompression: the client stops reading past it. */
#define KT_MAX_RESPONSE_SIZE (1024 * 1024)

/* Turns a successful answer's JSON into a call's result, or refuses it whole. */
typedef gpointer (*KtApiParseFunc) (JsonNode  *root,
                                    GError   **error);

typedef struct {
  const char     *name;
  KtApiParseFunc  parse;
  GDestroyNotify  destroy;   /* frees what parse returned; NULL when it returns a flag */
} KtApiParser;

/* The result each call expects, in the order of kt_api_parsers() (the fuzz corpus counts on it). */
typedef enum {
  KT_API_PARSER_NOTHING,
  KT_API_PARSER_OBJECT,
  KT_API_PARSER_VERIFICATION_UUID,
  KT_API_PARSER_VERIFY_RESPONSE,
  KT_API_PARSER_USER,
  KT_API_PARSER_PASSKEY,
  KT_API_PARSER_PASSKEYS,
  KT_API_PARSER_MFA_DEVICES,
  KT_API_PARSER_MFA_METHODS,
  KT_API_PARSER_RECOVERY_CODES,
} KtApiParserKind;

/* The status, headers and body of an answer: its JSON (NULL, as @root_out, for an empty body;
 * owned by @parser_out), or FALSE and the KtApiError they mean. */
gboolean           kt_api_response_read (guint                status,
                                         SoupMessageHeaders  *headers,
                                         GBytes              *body,
                                         JsonParser         **parser_out,
                                         JsonNode           **root_out,
                                         GError             **error);

const KtApiParser *kt_api_parser        (KtApiParserKind      kind);

/* Every parser that the calls use. */
const KtApiParser *kt_api_parsers       (gsize               *n_parsers);

/* @text from the server, fit to be shown in a message: valid UTF-8, no control or formatting
 * characters (which could reorder what is shown around it), and no more than 200 characters. */
char              *kt_api_response_shown_text (const char *text);

G_END_DECLS
