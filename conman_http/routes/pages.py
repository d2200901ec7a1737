"""The emailed-link pages (API.md §4.3): tiny self-contained forms that call the API.

The pages never check the token themselves; the API call does. No external assets.
"""

from __future__ import annotations

from litestar import Response, get

__all__ = ["PAGE_ROUTES"]

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conman - {title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.4rem}}
button{{margin-top:1rem;padding:.5rem 1rem}}#result{{margin-top:1rem}}
.error{{color:#a00}}.ok{{color:#060}}
</style></head><body>
<h1>{title}</h1>
<form id="form">{fields}<button type="submit">{button}</button></form>
<p id="result" role="status"></p>
<script>
const token = new URLSearchParams(window.location.search).get("token") || "";
const form = document.getElementById("form");
const result = document.getElementById("result");
form.addEventListener("submit", async (event) => {{
  event.preventDefault();
  const body = {{token: token}};
  for (const input of form.querySelectorAll("input")) {{
    if (input.value !== "") body[input.name] = input.value;
  }}
  result.textContent = "";
  try {{
    const response = await fetch("{endpoint}", {{
      method: "POST",
      headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify(body),
    }});
    const payload = await response.json();
    if (response.ok) {{
      result.className = "ok";
      result.textContent = "{success}";
      form.hidden = true;
    }} else {{
      result.className = "error";
      result.textContent = (payload.error && payload.error.message) || "request failed";
    }}
  }} catch (error) {{
    result.className = "error";
    result.textContent = "The server could not be reached.";
  }}
}});
</script></body></html>
"""

_ACCEPT = _PAGE.format(
    title="Accept invitation",
    fields=(
        '<label for="name">Your name (only for a new account)</label>'
        '<input id="name" name="name" autocomplete="name">'
        '<label for="password">Password (12 to 128 characters; your current one if you'
        " already have an account)</label>"
        '<input id="password" name="password" type="password" required'
        ' autocomplete="new-password">'
    ),
    button="Accept invitation",
    endpoint="/api/auth/accept-invite",
    success="Invitation accepted. You can now sign in.",
).encode("utf-8")

_RESET = _PAGE.format(
    title="Reset password",
    fields=(
        '<label for="new_password">New password (12 to 128 characters)</label>'
        '<input id="new_password" name="new_password" type="password" required'
        ' autocomplete="new-password">'
    ),
    button="Set new password",
    endpoint="/api/auth/reset-password",
    success="Password updated. You can now sign in.",
).encode("utf-8")


@get("/accept-invite", sync_to_thread=False, include_in_schema=False, media_type="text/html")
def accept_invite_page() -> Response[bytes]:
    """The form behind the invite mail's link."""
    return Response(_ACCEPT, media_type="text/html", headers=_HEADERS)


@get("/reset-password", sync_to_thread=False, include_in_schema=False, media_type="text/html")
def reset_password_page() -> Response[bytes]:
    """The form behind the reset mail's link."""
    return Response(_RESET, media_type="text/html", headers=_HEADERS)


PAGE_ROUTES = [accept_invite_page, reset_password_page]
