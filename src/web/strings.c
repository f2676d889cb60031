/* SPDX-License-Identifier: Apache-2.0 */
/* Every sentence the hosted pages show, in one table: a translation replaces this
 * file (or a template directory names other keys' text directly). */
#include <string.h>

#include "web/web.h"

static const struct { const char *key, *text; } strings[] = {
    { "lang", "en" },
    { "login_title", "Sign in" },
    { "login_heading", "Sign in" },
    { "login_for", "to continue to" },
    { "login_label", "Email or username" },
    { "password_label", "Password" },
    { "login_submit", "Sign in" },
    { "login_failed", "Invalid username or password." },
    { "login_limited", "Too many failed sign-ins. Wait a few minutes and try again." },
    { "login_expired", "This sign-in page has expired or was opened in another "
                       "browser. Go back to the application and start again." },
    { "login_busy", "The server is busy. Try again in a moment." },
    { "error_title", "Sign-in error" },
    { "error_heading", "Something went wrong" },
    { "error_advice", "Go back to the application you came from and try again." },
    { "error_unknown_client", "The application that sent you here is not registered." },
    { "error_bad_redirect", "The application's return address is not one it "
                            "registered, so you were not sent back to it." },
    { "error_bad_request", "The sign-in request is malformed." },
    { "error_server", "The server could not complete the sign-in. Try again later." },
    { "form_post_title", "Continue" },
    { "form_post_heading", "Continue to the application" },
    { "form_post_submit", "Continue" },
};

const char *web_text(const char *key)
{
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!strcmp(strings[i].key, key))
            return strings[i].text;
    return "";
}
