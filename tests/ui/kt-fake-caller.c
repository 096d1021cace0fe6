/* kt-fake-caller.c: a fake KtCaller for the prompt tests, named as the test says
 *
 * A fake, because the real one reads who a D-Bus peer is from its process, and a prompt shows
 * only its name, detail and kind: here they are whatever the test says. It is the KtCaller type
 * itself, in place of the service's kt-caller.c, which the prompt tests do not link.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-fake-caller.h"

struct _KtCaller
{
  GObject       parent_instance;

  KtCallerKind  kind;
  char         *name;
  char         *detail;
};

G_DEFINE_FINAL_TYPE (KtCaller, kt_caller, G_TYPE_OBJECT)

static void
kt_caller_finalize (GObject *object)
{
  KtCaller *self = KT_CALLER (object);

  g_free (self->name);
  g_free (self->detail);

  G_OBJECT_CLASS (kt_caller_parent_class)->finalize (object);
}

static void
kt_caller_class_init (KtCallerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_caller_finalize;
}

static void
kt_caller_init (KtCaller *self)
{
}

KtCaller *
kt_fake_caller_new (KtCallerKind  kind,
                    const char   *name,
                    const char   *detail)
{
  KtCaller *self = g_object_new (KT_TYPE_CALLER, NULL);

  self->kind = kind;
  self->name = g_strdup (name);
  self->detail = g_strdup (detail);
  return self;
}

const char *
kt_caller_get_sender (KtCaller *self)
{
  return ":1.42";
}

guint32
kt_caller_get_pid (KtCaller *self)
{
  return 0;
}

KtCallerKind
kt_caller_get_kind (KtCaller *self)
{
  return self->kind;
}

const char *
kt_caller_get_id (KtCaller *self)
{
  return self->detail;
}

const char *
kt_caller_get_name (KtCaller *self)
{
  return self->name;
}

const char *
kt_caller_get_detail (KtCaller *self)
{
  return self->detail;
}
