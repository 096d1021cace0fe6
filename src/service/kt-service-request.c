/* kt-service-request.c: one interactive call on its way, as a Request object on the bus
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-service"

#include "kt-service-request.h"

#include <string.h>

#include "kt-dbus-generated.h"

#define KT_REQUEST_PATH_PREFIX "/io/github/keyturn/Keyturn/request/"

struct _KtServiceRequest
{
  GObject          parent_instance;

  GDBusConnection *bus;
  char            *sender;
  char            *path;
  KtDbusRequest1  *skeleton;     /* NULL once off the bus */
  GCancellable    *cancellable;
  gboolean         answered;
};

G_DEFINE_FINAL_TYPE (KtServiceRequest, kt_service_request, G_TYPE_OBJECT)

static void
unexport (KtServiceRequest *self)
{
  if (self->skeleton == NULL)
    return;
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  g_clear_object (&self->skeleton);
}

static void
kt_service_request_dispose (GObject *object)
{
  KtServiceRequest *self = KT_SERVICE_REQUEST (object);

  unexport (self);

  G_OBJECT_CLASS (kt_service_request_parent_class)->dispose (object);
}

static void
kt_service_request_finalize (GObject *object)
{
  KtServiceRequest *self = KT_SERVICE_REQUEST (object);

  g_clear_object (&self->bus);
  g_clear_object (&self->cancellable);
  g_free (self->sender);
  g_free (self->path);

  G_OBJECT_CLASS (kt_service_request_parent_class)->finalize (object);
}

static void
kt_service_request_class_init (KtServiceRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_service_request_dispose;
  object_class->finalize = kt_service_request_finalize;
}

static void
kt_service_request_init (KtServiceRequest *self)
{
  self->cancellable = g_cancellable_new ();
}

char *
kt_service_request_path_for (const char *sender,
                             const char *token)
{
  g_autoptr(GString) path = NULL;
  size_t length;

  g_return_val_if_fail (sender != NULL, NULL);

  length = token != NULL ? strlen (token) : 0;
  if (length == 0 || length > 64)
    return NULL;
  for (size_t i = 0; i < length; i++)
    if (!g_ascii_isalnum (token[i]) && token[i] != '_')
      return NULL;

  /* As xdg-desktop-portal spells it: the unique name without ':' and with '.' as '_'. */
  path = g_string_new (KT_REQUEST_PATH_PREFIX);
  g_string_append (path, sender[0] == ':' ? sender + 1 : sender);
  for (size_t i = strlen (KT_REQUEST_PATH_PREFIX); i < path->len; i++)
    if (path->str[i] == '.')
      path->str[i] = '_';
  g_string_append_c (path, '/');
  g_string_append (path, token);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

/* Only the caller that made the request may withdraw it. */
static gboolean
on_handle_close (KtDbusRequest1        *skeleton,
                 GDBusMethodInvocation *invocation,
                 KtServiceRequest      *self)
{
  if (g_strcmp0 (g_dbus_method_invocation_get_sender (invocation), self->sender) != 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  "Only the caller that made a request may "
                                                  "close it");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  g_debug ("%s closed %s", self->sender, self->path);
  kt_dbus_request1_complete_close (skeleton, invocation);
  kt_service_request_withdraw (self);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

KtServiceRequest *
kt_service_request_new (GDBusConnection  *bus,
                        const char       *sender,
                        const char       *path,
                        GError          **error)
{
  g_autoptr(KtServiceRequest) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (sender != NULL && path != NULL, NULL);

  self = g_object_new (KT_TYPE_SERVICE_REQUEST, NULL);
  self->bus = g_object_ref (bus);
  self->sender = g_strdup (sender);
  self->path = g_strdup (path);
  self->skeleton = kt_dbus_request1_skeleton_new ();
  g_signal_connect (self->skeleton, "handle-close", G_CALLBACK (on_handle_close), self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), bus, path,
                                         error))
    {
      g_clear_object (&self->skeleton);
      return NULL;
    }
  return g_steal_pointer (&self);
}

GCancellable *
kt_service_request_get_cancellable (KtServiceRequest *self)
{
  g_return_val_if_fail (KT_IS_SERVICE_REQUEST (self), NULL);
  return self->cancellable;
}

void
kt_service_request_respond (KtServiceRequest *self,
                            KtResponse        response,
                            GVariant         *results)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KT_IS_SERVICE_REQUEST (self));

  if (results == NULL)
    results = g_variant_new ("a{sv}", NULL);
  owned = g_variant_ref_sink (results);

  if (self->answered || g_cancellable_is_cancelled (self->cancellable))
    return;
  self->answered = TRUE;

  /* To the caller alone: a signal without a destination would reach every connection that
   * listens for it, token and all. */
  if (!g_dbus_connection_emit_signal (self->bus, self->sender, self->path, KT_SERVICE_REQUEST_INTERFACE,
                                      "Response",
                                      g_variant_new ("(u@a{sv})", (guint32) response, owned),
                                      &error))
    g_debug ("The answer to %s did not go out: %s", self->sender, error->message);
  unexport (self);
}

void
kt_service_request_fail (KtServiceRequest *self,
                         KtResponse        response,
                         const char       *reason,
                         const char       *message)
{
  g_auto(GVariantDict) results = G_VARIANT_DICT_INIT (NULL);

  g_return_if_fail (response != KT_RESPONSE_SUCCESS);

  g_variant_dict_insert (&results, "error", "s", reason);
  g_variant_dict_insert (&results, "message", "s", message);
  kt_service_request_respond (self, response, g_variant_dict_end (&results));
}

void
kt_service_request_withdraw (KtServiceRequest *self)
{
  g_return_if_fail (KT_IS_SERVICE_REQUEST (self));

  unexport (self);
  g_cancellable_cancel (self->cancellable);
}
