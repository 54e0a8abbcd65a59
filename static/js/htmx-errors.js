/* When an htmx request gets no fragment back, say why beside the form, and keep what was typed.
 *
 * The server's side is billing_console/htmx_errors.py: a 401 (signed out) with the sign-in URL
 * in X-Sign-In-Url, a 403 with the user's roles in X-Console-Role (or X-Console-Reason: csrf),
 * and any error but 422 unswapped (base.html's htmx-config and HX-Reswap), so the form stays
 * as typed. A server error rolled the request's writes back: nothing was changed.
 *
 * Also: the CSRF token is read from its cookie at each request, not from the page, so that a
 * sign-in in another tab (which rotates the token) does not make this page's forms fail.
 */
(function () {
  "use strict";

  var NOTICE = "request-notice";
  var CSRF_COOKIE = "csrftoken";
  var UNSAFE = { post: true, put: true, patch: true, delete: true };

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var at = parts[i].indexOf("=");
      if (parts[i].slice(0, at) === name) return decodeURIComponent(parts[i].slice(at + 1));
    }
    return "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var token = cookie(CSRF_COOKIE);
    if (!token || !UNSAFE[detail.verb]) return;
    detail.headers["X-CSRFToken"] = token;
    // Django reads the form's own token before the header: renew it too.
    if (detail.formData && detail.formData.has("csrfmiddlewaretoken")) {
      detail.formData.set("csrfmiddlewaretoken", token);
    }
  });

  // Where the notice goes: inside the request's form (gone when the form is swapped), else
  // after the element, or after the table holding it (no <div> between table rows).
  function anchorOf(elt) {
    var form = elt.closest("form");
    if (form) return { node: form, inside: true };
    return { node: elt.closest("table") || elt, inside: false };
  }

  function noticeOf(elt) {
    var anchor = anchorOf(elt);
    if (anchor.inside) return anchor.node.querySelector(":scope > ." + NOTICE);
    var next = anchor.node.nextElementSibling;
    return next && next.classList.contains(NOTICE) ? next : null;
  }

  function clear(elt) {
    var notice = noticeOf(elt);
    if (notice) notice.remove();
  }

  // parts: strings and {text, href, newTab} links, joined into one alert.
  function show(elt, parts) {
    var notice = document.createElement("div");
    notice.className = NOTICE;
    notice.setAttribute("role", "alert");
    parts.forEach(function (part) {
      if (typeof part === "string") {
        notice.appendChild(document.createTextNode(part));
        return;
      }
      var link = document.createElement("a");
      link.href = part.href;
      link.textContent = part.text;
      if (part.newTab) {
        link.target = "_blank";
        link.rel = "noopener";
      }
      notice.appendChild(link);
    });
    var old = noticeOf(elt);
    if (old && old.textContent === notice.textContent) return; // a poll failing again: no repeat
    if (old) old.remove();
    var anchor = anchorOf(elt);
    if (anchor.inside) anchor.node.appendChild(notice);
    else anchor.node.insertAdjacentElement("afterend", notice);
  }

  function signInUrl(xhr) {
    return xhr.getResponseHeader("X-Sign-In-Url") ||
      "/login/?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function explain(xhr, verb) {
    var saving = !!UNSAFE[verb];
    if (xhr.status === 401) {
      return ["You were signed out — ",
        { text: "sign in again", href: signInUrl(xhr), newTab: true },
        " (opens a new tab), then " + (saving ? "save again. What you typed is kept here." : "reload this page.")];
    }
    if (xhr.status === 403 && xhr.getResponseHeader("X-Console-Reason") === "csrf") {
      return ["This page is out of date (signed in again as someone else?): nothing was changed. " +
        "Copy what you typed, then reload the page."];
    }
    if (xhr.status === 403) {
      var role = xhr.getResponseHeader("X-Console-Role");
      return ["You are not allowed to do this" + (role ? " (your role: " + role + ")" : "") +
        ": nothing was changed. Ask an admin for a role that can."];
    }
    if (xhr.status >= 500) {
      return [saving ? "The server could not save this — nothing was changed; try again."
        : "The server could not load this; try again."];
    }
    return ["The server refused this (error " + xhr.status + "): nothing was changed. " +
      "Reload the page and try again."];
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    // A retried change clears its notice, so that a second failure is announced again.
    if (UNSAFE[event.detail.requestConfig.verb]) clear(event.detail.elt);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.elt.isConnected) clear(event.detail.elt);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail;
    show(detail.elt, explain(detail.xhr, detail.requestConfig.verb));
  });

  document.addEventListener("htmx:sendError", function (event) {
    var detail = event.detail;
    var saving = !!UNSAFE[detail.requestConfig.verb];
    show(detail.elt, ["The server could not be reached: check the connection and try again" +
      (saving ? ". What you typed is kept here." : ".")]);
  });
})();
