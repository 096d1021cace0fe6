/* kt-caller.h: who is on the other end of a D-Bus call, as the person should be told
 *
 * A caller is read from its connection, never taken from what it says: the bus daemon gives its
 * process, and a Flatpak app is named by the app id in that process's /.flatpak-info, as
 * xdg-desktop-portal names it; any other process by its executable.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * KtCallerKind:
 * @KT_CALLER_KIND_FLATPAK: a Flatpak app, named by its app id
 * @KT_CALLER_KIND_HOST: any other process, named by its executable
 * @KT_CALLER_KIND_COMMAND_LINE: Keyturn's own command line (`keyturn token`), run by a script
 *   or a person
 */
typedef enum {
  KT_CALLER_KIND_FLATPAK,
  KT_CALLER_KIND_HOST,
  KT_CALLER_KIND_COMMAND_LINE,
} KtCallerKind;

#define KT_TYPE_CALLER (kt_caller_get_type ())

G_DECLARE_FINAL_TYPE (KtCaller, kt_caller, KT, CALLER, GObject)

/* Asks the bus who @sender (a unique name) is and reads its process. Fails with
 * G_IO_ERROR_PERMISSION_DENIED for another user's process, and G_IO_ERROR_NOT_FOUND when the
 * process cannot be read (gone, or out of sight as from inside a sandbox). */
void          kt_caller_identify_async  (GDBusConnection     *bus,
                                         const char          *sender,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
KtCaller     *kt_caller_identify_finish (GAsyncResult        *result,
                                         GError             **error);

/* A caller already known: who it is, as kt_caller_identify_async() would have found it. */
KtCaller     *kt_caller_new             (KtCallerKind         kind,
                                         const char          *id,
                                         const char          *name,
                                         const char          *detail);

/* The caller of a process already known: @sender's, @pid. */
KtCaller     *kt_caller_new_for_process (const char          *sender,
                                         guint32              pid,
                                         GError             **error);

KtCallerKind  kt_caller_get_kind        (KtCaller            *self);
/* What a remembered answer is kept under: the Flatpak app id, or the executable's path. */
const char   *kt_caller_get_id          (KtCaller            *self);
/* The caller as a person reads it: an app's name, an executable's file name, or "The keyturn
 * command"; translated. */
const char   *kt_caller_get_name        (KtCaller            *self);
/* A second line that tells callers of the same name apart: the app id, the executable's path,
 * or for the command line, the file name of the program that ran it. */
const char   *kt_caller_get_detail      (KtCaller            *self);

G_END_DECLS
