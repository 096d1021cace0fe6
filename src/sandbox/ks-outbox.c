/* ks-outbox.c: the sandbox's mail catcher
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-outbox.h"

#include <gio/gio.h>

#include "ks-secret.h"

/* Header values come from the environment's name and a checked address; keep them one line. */
static char *
header_safe (const char *value)
{
  char *copy = g_strdup (value);

  g_strdelimit (copy, "\r\n", ' ');
  return copy;
}

char *
ks_outbox_send_code (const char  *outbox_dir,
                     const char  *app_name,
                     const char  *email,
                     const char  *code,
                     gint64       lifetime_seconds,
                     GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%a, %d %b %Y %H:%M:%S +0000");
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S.%f");
  g_autofree char *unique = ks_random_token (9);
  g_autofree char *name = header_safe (app_name);
  g_autofree char *to = header_safe (email);
  g_autofree char *filename = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) message = g_string_new (NULL);

  /* RFC 5322 wants CRLF line ends; the body is plain UTF-8 text. */
  g_string_append_printf (message, "From: %s <no-reply@sandbox.keyturn.invalid>\r\n", name);
  g_string_append_printf (message, "To: <%s>\r\n", to);
  g_string_append_printf (message, "Subject: %s is your %s sign-in code\r\n", code, name);
  g_string_append_printf (message, "Date: %s\r\n", date);
  g_string_append_printf (message, "Message-ID: <%s.%s@sandbox.keyturn.invalid>\r\n",
                          stamp, unique);
  g_string_append (message, "MIME-Version: 1.0\r\n");
  g_string_append (message, "Content-Type: text/plain; charset=utf-8\r\n");
  g_string_append (message, "Content-Transfer-Encoding: 8bit\r\n");
  g_string_append_printf (message, "X-Keyturn-Code: %s\r\n", code);
  g_string_append (message, "\r\n");
  g_string_append_printf (message, "Your sign-in code for %s is:\r\n\r\n    %s\r\n\r\n",
                          name, code);
  g_string_append_printf (message, "It works once, for %" G_GINT64_FORMAT " minutes.\r\n",
                          MAX (lifetime_seconds / 60, 1));
  g_string_append (message, "If you did not ask to sign in, you can ignore this email.\r\n");

  if (g_mkdir_with_parents (outbox_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", outbox_dir);
      return NULL;
    }

  /* Named so that a directory listing sorts by time. */
  filename = g_strdup_printf ("%s-%s.eml", stamp, unique);
  path = g_build_filename (outbox_dir, filename, NULL);
  if (!g_file_set_contents_full (path, message->str, message->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;
  return g_steal_pointer (&path);
}
