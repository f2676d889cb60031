/* SPDX-License-Identifier: Apache-2.0 */
/* response_mode=form_post: submits the page's one form at once. Without JavaScript
 * the page shows its button instead. */
document.forms[0].submit();
