/* test-screens.c: every page of Keyturn, as a person sees it, in pictures and in measurements
 *
 * Walks a new user and then a returning one through the real window, bound to a controller that
 * talks to the real keyturn-sandbox and keyturn-virtual-key, and renders the window at each page
 * into a PNG of the window alone. One mode per run:
 *
 *   test-screens                  light and dark, wide and narrow: the set in data/screenshots/
 *   test-screens --large-text     text at 200% in a narrow window: nothing may be cut off
 *   test-screens --high-contrast  libadwaita's high-contrast style (ADW_DEBUG_HIGH_CONTRAST=1):
 *                                 Keyturn's stylesheet names its colours, every state is text
 *
 * With KEYTURN_TEST_SCREENSHOTS=DIR the pictures are written to DIR, and read back to prove they
 * were. Every picture must show something: a window of one colour fails.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "flow-fixture.h"
#include "kt-account-page.h"
#include "kt-caller.h"
#include "kt-preferences-window.h"
#include "kt-recovery-codes-page.h"
#include "kt-service-prompter.h"
#include "kt-step-up-window.h"
#include "kt-test-widgets.h"
#include "kt-window.h"

#define WIDE_WIDTH    640
#define NARROW_WIDTH  360
#define HEIGHT        760
#define EMAIL         "ada@example.com"
#define KEY_NAME      "Blue key"

typedef struct {
  const char *suffix;
  gboolean    dark;
  int         width;
} Variant;

static const Variant screenshot_variants[] = {
  { "", FALSE, WIDE_WIDTH },
  { "-dark", TRUE, WIDE_WIDTH },
  { "-narrow", FALSE, NARROW_WIDTH },
  { "-dark-narrow", TRUE, NARROW_WIDTH },
};
static const Variant large_text_variants[] = {
  { "-large-text", FALSE, NARROW_WIDTH },
  { "-large-text-dark", TRUE, NARROW_WIDTH },
};
static const Variant high_contrast_variants[] = {
  { "-high-contrast", FALSE, WIDE_WIDTH },
  { "-high-contrast-dark-narrow", TRUE, NARROW_WIDTH },
};

typedef enum {
  MODE_SCREENSHOTS,
  MODE_LARGE_TEXT,
  MODE_HIGH_CONTRAST,
} Mode;

static Mode mode = MODE_SCREENSHOTS;

typedef struct {
  Flow            flow;
  GtkWidget      *window;
  GtkApplication *app;      /* the prompts' */
  guint           shots;
} Screens;

/* ------------------------------------------------------------------------------------------ */
/* The main loop                                                                               */

/* Every wait fails after 60 s, which only a failing run waits out (a sanitizer build on a busy
 * machine shows a toast for 20 s). */
#define spin_until(done, data, what) kt_test_spin_until ((done), (data), (what), 60)

static void
on_after_paint (guint *painted)
{
  (*painted)++;
}

typedef struct {
  guint  painted;
  gint64 deadline;
} Paint;

static gboolean
painted_twice (gpointer data)
{
  Paint *paint = data;

  return paint->painted >= 2 || g_get_monotonic_time () > paint->deadline;
}

/* Lets sizes, bindings and styles settle, then waits for two frames drawn on screen. Under Xvfb
 * the frame clock now and then pauses for a while with nothing new to draw; after two seconds
 * the window is as laid out as it will be. */
static void
settle (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  Paint paint = { 0, g_get_monotonic_time () + 2 * G_USEC_PER_SEC };
  gulong handler;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  handler = g_signal_connect_swapped (clock, "after-paint", G_CALLBACK (on_after_paint),
                                      &paint.painted);
  gtk_widget_queue_draw (window);
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  spin_until (painted_twice, &paint, "the window to be drawn");
  g_signal_handler_disconnect (clock, handler);
}

typedef struct {
  GtkWidget *window;
  int        width;
  gint64     deadline;
} Resize;

static gboolean
has_width_or_timeout (gpointer data)
{
  Resize *resize = data;

  /* Long enough for a sanitizer build on a busy machine; only a failing run waits it out. */
  if (resize->deadline == 0)
    resize->deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  return gtk_widget_get_width (resize->window) == resize->width
         || g_get_monotonic_time () > resize->deadline;
}

static gboolean
is_shown (gpointer data)
{
  return gtk_widget_get_width (data) > 0;
}

/* The window @width pixels wide; a page that needs more makes the window wider, which fails. */
static void
resize_window (GtkWidget *window,
               int        width)
{
  Resize resize = { window, width, 0 };
  /* The default size counts the frame drawn around the window (its border), the window's own
   * width does not: ask for the width plus the frame. */
  int frame = gdk_surface_get_width (gtk_native_get_surface (GTK_NATIVE (window)))
              - gtk_widget_get_width (window);

  gtk_window_set_default_size (GTK_WINDOW (window), width + frame, HEIGHT);
  spin_until (has_width_or_timeout, &resize, "the window to take its width");
  if (gtk_widget_get_width (window) != width)
    {
      int minimum;

      gtk_widget_measure (window, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      g_error ("the window is %d pixels wide, not %d: its content needs at least %d",
               gtk_widget_get_width (window), width, minimum);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Finding widgets                                                                             */

/* A label on screen that is an alert for a screen reader, reading @text. */
static gboolean
is_alert (GtkWidget     *widget,
          gconstpointer  text)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget));

  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && role == GTK_ACCESSIBLE_ROLE_ALERT
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

typedef struct {
  GtkWidget  *window;
  const char *text;
} Toast;

static gboolean
toast_shown (gpointer data)
{
  Toast *toast = data;

  return kt_test_find (toast->window, is_alert, toast->text) != NULL;
}

static gboolean
toast_gone (gpointer data)
{
  return !toast_shown (data);
}

/* A toast says @text, to the eye and to a screen reader, then goes by itself. */
static void
expect_toast (Screens    *s,
              const char *text)
{
  Toast toast = { s->window, text };

  spin_until (toast_shown, &toast, text);
  g_test_message ("toast: %s", text);
  spin_until (toast_gone, &toast, "the toast to go");
}

static gboolean
message_dialog_shown (gpointer data)
{
  return kt_test_find_message_dialog () != NULL;
}

static gboolean
no_message_dialog (gpointer data)
{
  return kt_test_find_message_dialog () == NULL;
}

static AdwMessageDialog *
wait_for_message_dialog (void)
{
  spin_until (message_dialog_shown, NULL, "a dialog");
  return kt_test_find_message_dialog ();
}

/* ------------------------------------------------------------------------------------------ */
/* Pictures                                                                                    */

/* The window as drawn, with @dialog (if any) over its middle, as a person sees them together. */
static GdkTexture *
render (GtkWidget *window,
        GtkWidget *dialog)
{
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GskRenderNode) node = NULL;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  if (dialog != NULL)
    {
      g_autoptr(GdkPaintable) over = gtk_widget_paintable_new (dialog);
      int dialog_width = gtk_widget_get_width (dialog);
      int dialog_height = gtk_widget_get_height (dialog);

      gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 0.3 },
                                 &GRAPHENE_RECT_INIT (0, 0, width, height));
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot,
                              &GRAPHENE_POINT_INIT ((width - dialog_width) / 2,
                                                    (height - dialog_height) / 2));
      gdk_paintable_snapshot (over, snapshot, dialog_width, dialog_height);
      gtk_snapshot_restore (snapshot);
    }
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return NULL;
  return gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* A blank picture is one colour; a page shows text, so many pixels differ from the corner. */
static void
assert_not_blank (GdkTexture *texture,
                  const char *name)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
  gsize differ = 0;

  gdk_texture_download (texture, (guchar *) pixels, stride);
  for (gsize i = 0; i < (gsize) width * height; i++)
    if (pixels[i] != pixels[0])
      differ++;
  if (differ < (gsize) width * height / 100)
    g_error ("%s is blank: %" G_GSIZE_FORMAT " of %d pixels differ from the corner",
             name, differ, width * height);
}

static void
save (GdkTexture *texture,
      const char *name)
{
  const char *folder = g_getenv ("KEYTURN_TEST_SCREENSHOTS");
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GdkTexture) written = NULL;
  g_autoptr(GError) error = NULL;

  assert_not_blank (texture, name);
  if (folder == NULL || *folder == '\0')
    return;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (folder, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  /* Read back: the file is there, is a PNG of the window's size, and is not blank. */
  written = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (written), ==, gdk_texture_get_width (texture));
  g_assert_cmpint (gdk_texture_get_height (written), ==, gdk_texture_get_height (texture));
  assert_not_blank (written, path);
}

/* ------------------------------------------------------------------------------------------ */
/* What must hold on every page                                                                */

/* Where @widget lies across the window, in the window's coordinates. */
static void
horizontal_extent (GtkWidget *widget,
                   GtkWidget *window,
                   double    *left,
                   double    *right)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
  *left = bounds.origin.x;
  *right = bounds.origin.x + bounds.size.width;
}

/* No text is cut off: no label is shortened with an ellipsis, none is given less room than it
 * needs, and none reaches past the window's edges. */
static void
check_text_fits (GtkWidget  *root,
                 GtkWidget  *window,
                 const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_mapped (child))
        continue;
      if (GTK_IS_LABEL (child) && *gtk_label_get_text (GTK_LABEL (child)) != '\0')
        {
          GtkLabel *label = GTK_LABEL (child);
          const char *text = gtk_label_get_text (label);
          int drawn;
          double left, right;

          if (gtk_label_get_ellipsize (label) != PANGO_ELLIPSIZE_NONE
              && pango_layout_is_ellipsized (gtk_label_get_layout (label)))
            g_error ("%s: “%s” is cut short with an ellipsis", name, text);

          /* What the label draws: a word longer than a line, or a line that does not wrap,
           * is wider than the room it was given and is cut off at its edge. */
          pango_layout_get_pixel_size (gtk_label_get_layout (label), &drawn, NULL);
          if (drawn > gtk_widget_get_width (child))
            g_error ("%s: “%s” (in %s) is %d pixels wide but has %d", name, text,
                     G_OBJECT_TYPE_NAME (gtk_widget_get_parent (child)), drawn,
                     gtk_widget_get_width (child));

          horizontal_extent (child, window, &left, &right);
          if (left < 0 || right > gtk_widget_get_width (window))
            g_error ("%s: “%s” lies from %.0f to %.0f, outside the window's %d pixels", name,
                     text, left, right, gtk_widget_get_width (window));
        }
      check_text_fits (child, window, name);
    }
}

/* An image inside one of these is named by it: a button or a row by its label, an entry's and a
 * switch's own icons by the control they belong to, a status page by its title. */
static gboolean
is_named_elsewhere (GtkWidget *image)
{
  GType named[] = {
    GTK_TYPE_BUTTON, GTK_TYPE_MENU_BUTTON, GTK_TYPE_ENTRY, GTK_TYPE_PASSWORD_ENTRY,
    GTK_TYPE_SWITCH, ADW_TYPE_PREFERENCES_ROW, ADW_TYPE_STATUS_PAGE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    if (gtk_widget_get_ancestor (image, named[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* An image carries no meaning of its own: it is decoration beside text that says the same, or
 * it sits in a button, which the page names. A state shown only by an icon or a colour would
 * be lost in high contrast, and to a screen reader. */
static void
check_states_are_text (GtkWidget  *root,
                       const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkAccessibleRole role;

      if (!gtk_widget_get_mapped (child))
        continue;
      role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child));
      if (GTK_IS_IMAGE (child) && role != GTK_ACCESSIBLE_ROLE_PRESENTATION
          && !is_named_elsewhere (child))
        g_error ("%s: an image of %s says something that no text says", name,
                 G_OBJECT_TYPE_NAME (gtk_widget_get_parent (child)));
      /* A status or alert with no words is a state shown by colour or icon alone. */
      if (GTK_IS_LABEL (child)
          && (role == GTK_ACCESSIBLE_ROLE_ALERT || role == GTK_ACCESSIBLE_ROLE_STATUS)
          && *gtk_label_get_text (GTK_LABEL (child)) == '\0')
        g_error ("%s: a status is shown with no words", name);
      check_states_are_text (child, name);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Taking the pictures                                                                         */

static const Variant *
variants_for_mode (guint *n_variants)
{
  switch (mode)
    {
    case MODE_LARGE_TEXT:
      *n_variants = G_N_ELEMENTS (large_text_variants);
      return large_text_variants;
    case MODE_HIGH_CONTRAST:
      *n_variants = G_N_ELEMENTS (high_contrast_variants);
      return high_contrast_variants;
    case MODE_SCREENSHOTS:
    default:
      *n_variants = G_N_ELEMENTS (screenshot_variants);
      return screenshot_variants;
    }
}

/* @window (with @dialog over it, if any) in every variant of this run, as @page's pictures. */
static void
shoot (Screens    *s,
       GtkWidget  *window,
       GtkWidget  *dialog,
       const char *page)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  guint n_variants;
  const Variant *variants = variants_for_mode (&n_variants);

  for (guint i = 0; i < n_variants; i++)
    {
      g_autofree char *name = g_strconcat (page, variants[i].suffix, NULL);
      g_autoptr(GdkTexture) texture = NULL;

      adw_style_manager_set_color_scheme (style, variants[i].dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                  : ADW_COLOR_SCHEME_FORCE_LIGHT);
      resize_window (window, variants[i].width);
      settle (window);
      if (dialog != NULL)
        settle (dialog);

      /* The narrow window is the hard case for fitting text, at any text size. */
      if (variants[i].width == NARROW_WIDTH)
        {
          check_text_fits (window, window, name);
          if (dialog != NULL)
            check_text_fits (dialog, dialog, name);
        }
      check_states_are_text (window, name);
      if (dialog != NULL)
        check_states_are_text (dialog, name);

      /* A window can be between two frames, with nothing to draw yet: wait for the next. */
      for (guint tries = 0; texture == NULL && tries < 5; tries++)
        {
          texture = render (window, dialog);
          if (texture == NULL)
            settle (window);
        }
      g_assert_nonnull (texture);
      save (texture, name);
      s->shots++;
    }
  g_test_message ("%s: %u pictures", page, n_variants);
}

static void
shoot_window (Screens    *s,
              const char *page)
{
  shoot (s, s->window, NULL, page);
}

/* ------------------------------------------------------------------------------------------ */
/* The walk through Keyturn                                                                    */

typedef struct {
  Screens         *s;
  KtWebauthnState  state;
} AwaitState;

static gboolean
key_waits_for (gpointer data)
{
  AwaitState *await = data;

  return kt_mfa_controller_get_authenticator_state (await->s->flow.controller) == await->state;
}

static gboolean
has_passkey (gpointer data)
{
  Screens *s = data;
  GListModel *passkeys = kt_mfa_controller_get_passkeys (s->flow.controller);

  return !kt_mfa_controller_get_busy (s->flow.controller)
         && passkeys != NULL && g_list_model_get_n_items (passkeys) > 0;
}

static gboolean
is_idle (gpointer data)
{
  Screens *s = data;

  return !kt_mfa_controller_get_busy (s->flow.controller);
}

static KtMfaStep
step (Screens *s)
{
  return kt_mfa_controller_get_step (s->flow.controller);
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static void
activate (Screens    *s,
          GType       page_type,
          const char *action,
          GVariant   *parameter)
{
  GtkWidget *page = kt_test_find (s->window, is_of_type, GSIZE_TO_POINTER (page_type));
  /* GTK 4.8 hands a widget action its parameter without sinking it: a floating one would leak. */
  g_autoptr(GVariant) held = parameter != NULL ? g_variant_ref_sink (parameter) : NULL;

  g_assert_nonnull (page);
  g_assert_true (gtk_widget_activate_action_variant (page, action, held));
}

static void
shoot_unconfigured (Screens *s)
{
  g_autofree char *icons = g_build_filename (g_getenv ("KEYTURN_SOURCE_ROOT"), "data", "icons",
                                             NULL);
  g_autoptr(GSettings) settings = g_settings_new (KT_APP_ID);
  GtkWidget *preferences;

  gtk_icon_theme_add_search_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                  icons);
  shoot_window (s, "unconfigured");

  /* Preferences, filled in as for the sandbox. */
  g_settings_set_string (settings, "api-base-url", s->flow.base_url);
  g_settings_set_string (settings, "environment-id", s->flow.server->environment_id);
  g_settings_set_string (settings, "origin", FLOW_ORIGIN);
  preferences = GTK_WIDGET (kt_preferences_window_new (settings, NULL));
  gtk_window_set_transient_for (GTK_WINDOW (preferences), GTK_WINDOW (s->window));
  gtk_window_present (GTK_WINDOW (preferences));
  spin_until (is_shown, preferences, "Preferences to be shown");
  shoot (s, preferences, NULL, "preferences");
  gtk_window_destroy (GTK_WINDOW (preferences));
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
no_step_up_window (gpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (KT_IS_STEP_UP_WINDOW (window))
        return FALSE;
    }
  return TRUE;
}

/* The prompts other apps' requests raise: consent, over the window as a dialog is shown; the
 * step-up in a window of its own, waiting for the key. The caller is made up: a prompt shows only
 * its name and detail. */
static void
shoot_prompts (Screens *s)
{
  Flow *f = &s->flow;
  g_autoptr(KtServicePrompter) prompter = kt_service_prompter_new (s->app);
  g_autoptr(KtCaller) caller = kt_caller_new (KT_CALLER_KIND_FLATPAK, "org.example.PhotoShelf",
                                              "Photo Shelf", "org.example.PhotoShelf");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  AwaitState touch = { s, KT_WEBAUTHN_STATE_TOUCH_NEEDED };
  KtStepUpWindow *step_up;

  kt_service_prompter_set_controller (prompter, f->controller);
  kt_prompter_ask_consent (KT_PROMPTER (prompter), caller, cancellable, flow_store_result,
                           &result);
  shoot (s, s->window, GTK_WIDGET (wait_for_message_dialog ()), "consent");
  g_cancellable_cancel (cancellable);
  spin_until (has_result, &result, "the consent to be withdrawn");
  kt_prompter_ask_consent_finish (KT_PROMPTER (prompter), result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  step_up = kt_step_up_window_new (f->controller, "Photo Shelf", "org.example.PhotoShelf",
                                   "credential:link",
                                   "Link the key you just plugged in to your account");
  kt_step_up_window_run_async (step_up, NULL, flow_store_result, &result);
  spin_until (key_waits_for, &touch, "the step-up to wait for a touch");
  shoot (s, GTK_WIDGET (step_up), NULL, "step-up");
  gtk_window_close (GTK_WINDOW (step_up));
  spin_until (has_result, &result, "the step-up to be cancelled");
  g_clear_object (&result);
  spin_until (no_step_up_window, NULL, "the step-up window to go");
  spin_until (is_idle, s, "the step-up's ceremony to end");
}

static void
shoot_new_user (Screens *s)
{
  Flow *f = &s->flow;
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  AwaitState touch = { s, KT_WEBAUTHN_STATE_TOUCH_NEEDED };
  g_autoptr(KtPasskey) passkey = NULL;
  g_autofree char *codes = NULL;

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  kt_window_set_controller (KT_WINDOW (s->window), f->controller);
  gtk_editable_set_text (GTK_EDITABLE (kt_test_find_field (s->window, "Email address")), EMAIL);
  shoot_window (s, "sign-in");

  flow_send_code (f);
  shoot_window (s, "code");

  flow_verify_code (f);
  g_assert_cmpint (step (s), ==, KT_MFA_STEP_REGISTER_PASSKEY);
  gtk_editable_set_text (GTK_EDITABLE (kt_test_find_field (s->window, "Key name (optional)")),
                         KEY_NAME);
  shoot_window (s, "register");

  /* The PIN dialog, as the window shows it when a key asks for its PIN. */
  g_signal_emit_by_name (f->controller, "pin-requested", 3);
  dialog = wait_for_message_dialog ();
  shoot (s, s->window, GTK_WIDGET (dialog), "pin");
  gtk_window_close (GTK_WINDOW (dialog));
  spin_until (no_message_dialog, NULL, "the PIN dialog to close");

  /* The key waits to be touched, and the page says so. */
  kt_mfa_controller_register_passkey_async (f->controller, KEY_NAME, NULL, flow_store_result,
                                            &result);
  spin_until (key_waits_for, &touch, "the key to wait for a touch");
  shoot_window (s, "register-touch");
  /* The window asks the key within moments; a sanitizer build on a busy machine may take more. */
  g_assert_cmpint (kv_test_key_touch (f->key, 20000), ==, 0);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);

  g_assert_cmpint (step (s), ==, KT_MFA_STEP_RECOVERY_CODES);
  shoot_window (s, "recovery-codes");
  activate (s, KT_TYPE_RECOVERY_CODES_PAGE, "recovery-codes.copy", NULL);
  expect_toast (s, "Recovery codes copied. Paste them somewhere safe.");

  flow_acknowledge (f);
  spin_until (has_passkey, s, "the passkey in the list");
  shoot_window (s, "account");
  shoot_prompts (s);

  /* Renaming is a passing event: a toast. */
  passkey = g_list_model_get_item (kt_mfa_controller_get_passkeys (f->controller), 0);
  activate (s, KT_TYPE_ACCOUNT_PAGE, "account.rename",
            g_variant_new_string (kt_passkey_get_id (passkey)));
  dialog = wait_for_message_dialog ();
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "Spare key");
  adw_message_dialog_response (dialog, "rename");
  gtk_window_destroy (GTK_WINDOW (dialog));
  expect_toast (s, "Security key renamed to “Spare key”");
  spin_until (is_idle, s, "the rename to finish");

  /* New recovery codes replace the old ones at once: they are shown until the person is done,
   * and can be copied from there. */
  activate (s, KT_TYPE_ACCOUNT_PAGE, "account.new-recovery-codes", NULL);
  dialog = wait_for_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Your New Recovery Codes");
  codes = g_strjoinv ("\n", (char **) kt_mfa_controller_get_recovery_codes (f->controller));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (adw_message_dialog_get_extra_child (dialog))),
                   ==, codes);
  shoot (s, s->window, GTK_WIDGET (dialog), "new-recovery-codes");
  adw_message_dialog_response (dialog, "copy");
  gtk_window_close (GTK_WINDOW (dialog));
  spin_until (no_message_dialog, NULL, "the new codes to close");
  expect_toast (s, "Recovery codes copied. Paste them somewhere safe.");

  activate (s, KT_TYPE_ACCOUNT_PAGE, "account.sign-out", NULL);
  expect_toast (s, "Signed out");
  g_assert_cmpint (step (s), ==, KT_MFA_STEP_SIGNED_OUT);
}

static void
shoot_returning_user (Screens *s)
{
  Flow *f = &s->flow;

  flow_send_code (f);
  flow_verify_code (f);
  g_assert_cmpint (step (s), ==, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  shoot_window (s, "authenticate");

  kt_mfa_controller_choose_recovery_code (f->controller);
  g_assert_cmpint (step (s), ==, KT_MFA_STEP_USE_RECOVERY_CODE);
  shoot_window (s, "recovery-code");
}

/* Colours in Keyturn's stylesheet are libadwaita's named ones (@warning_color, alpha() of
 * them...), which the high-contrast style redefines; a fixed colour would stay as it is. */
static void
check_stylesheet_names_colours (void)
{
  g_autoptr(GBytes) css = g_resources_lookup_data ("/io/github/keyturn/Keyturn/style.css",
                                                   G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) declarations = NULL;
  g_autoptr(GRegex) comments = g_regex_new ("/\\*.*?\\*/", G_REGEX_DOTALL, 0, NULL);
  g_autoptr(GRegex) fixed = g_regex_new ("#[0-9a-f]{3,8}\\b|\\b(rgba?|hsla?)\\s*\\(",
                                         G_REGEX_CASELESS, 0, NULL);
  guint colours = 0;

  g_assert_nonnull (css);
  text = g_regex_replace_literal (comments, g_bytes_get_data (css, NULL), g_bytes_get_size (css),
                                  0, "", 0, NULL);
  g_assert_false (g_regex_match (fixed, text, 0, NULL));

  declarations = g_strsplit_set (text, "{};", -1);
  for (guint i = 0; declarations[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (declarations[i], ":", 2);
      g_autofree char *property = NULL;
      g_autofree char *value = NULL;

      if (g_strv_length (parts) != 2)
        continue;
      property = g_strstrip (g_ascii_strdown (parts[0], -1));
      value = g_strstrip (g_strdup (parts[1]));
      if (strstr (property, "color") == NULL && strcmp (property, "background") != 0
          && !g_str_has_prefix (property, "border") && !g_str_has_prefix (property, "outline")
          && !g_str_has_suffix (property, "shadow"))
        continue;
      /* A named colour, or no colour at all. */
      if (strchr (value, '@') == NULL && strcmp (value, "none") != 0
          && strcmp (value, "transparent") != 0 && strcmp (value, "inherit") != 0
          && strcmp (value, "currentColor") != 0 && strcmp (value, "0") != 0)
        g_error ("style.css sets %s to “%s”, not to one of libadwaita's named colours",
                 property, value);
      colours++;
    }
  g_test_message ("style.css: %u colours, all named", colours);
}

static void
test_every_page (void)
{
  Screens s = { 0 };
  FlowOptions options = { .presence = "manual" };
  g_autoptr(GSimpleActionGroup) app_actions = NULL;
  static const GActionEntry app_entries[] = {
    { .name = "preferences" },
    { .name = "about" },
  };

  if (mode == MODE_HIGH_CONTRAST)
    {
      /* ADW_DEBUG_HIGH_CONTRAST=1, as the meson test sets it. */
      g_assert_true (adw_style_manager_get_high_contrast (adw_style_manager_get_default ()));
      check_stylesheet_names_colours ();
    }
  if (mode == MODE_LARGE_TEXT)
    {
      int dpi;

      /* What GNOME's text scaling factor of 2 does: twice the font resolution. */
      g_object_get (gtk_settings_get_default (), "gtk-xft-dpi", &dpi, NULL);
      g_object_set (gtk_settings_get_default (), "gtk-xft-dpi", 2 * 96 * 1024, NULL);
      g_test_message ("gtk-xft-dpi %d, now %d", dpi, 2 * 96 * 1024);
    }

  /* GNOME's interface font, as the desktop sets it; and no animations, which a picture would
   * catch halfway. */
  g_object_set (gtk_settings_get_default (),
                "gtk-font-name", "Cantarell 11",
                "gtk-enable-animations", FALSE,
                NULL);

  /* Prompts belong to the application, a running one. */
  s.app = gtk_application_new ("io.github.keyturn.Keyturn.TestScreens", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (s.app), NULL, NULL));

  flow_setup (&s.flow, &options);
  g_free (s.flow.email);
  s.flow.email = g_strdup (EMAIL);

  s.window = GTK_WIDGET (g_object_new (KT_TYPE_WINDOW, NULL));
  /* The application's actions, which the window has in Keyturn: its buttons look as they do
   * there. Nothing here presses them. */
  app_actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (app_actions), app_entries,
                                   G_N_ELEMENTS (app_entries), NULL);
  gtk_widget_insert_action_group (s.window, "app", G_ACTION_GROUP (app_actions));
  gtk_window_set_default_size (GTK_WINDOW (s.window), WIDE_WIDTH, HEIGHT);
  gtk_window_present (GTK_WINDOW (s.window));
  spin_until (is_shown, s.window, "the window to be shown");

  shoot_unconfigured (&s);
  shoot_new_user (&s);
  shoot_returning_user (&s);

  kt_window_set_controller (KT_WINDOW (s.window), NULL);
  gtk_window_destroy (GTK_WINDOW (s.window));
  g_test_message ("%u pictures in all", s.shots);
  flow_teardown (&s.flow, NULL);
  g_object_unref (s.app);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) style = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* Keyturn's stylesheet, loaded as AdwApplication loads it for the app. */
  style = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (style, "/io/github/keyturn/Keyturn/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (style),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  /* Keyturn's own icons, found where GtkApplication points the icon theme for the app. */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/keyturn/Keyturn/icons");

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--large-text") == 0)
        mode = MODE_LARGE_TEXT;
      else if (strcmp (argv[i], "--high-contrast") == 0)
        mode = MODE_HIGH_CONTRAST;
    }

  g_test_add_func ("/screens/every-page", test_every_page);
  return g_test_run ();
}
