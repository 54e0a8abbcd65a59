/* hx-confirm="Archive Acme? This cannot be undone." asked in the page's own <dialog> rather than
 * the browser's confirm box: the question, a Cancel button (focused: Enter does no harm) and a
 * button named as the one that was pressed ("Archive", "Revoke"...), red when that one is.
 * Escape or Cancel sends nothing; focus goes back to the button that asked.
 *
 * htmx 2 fires htmx:confirm before every request: for one with a question, the request is held
 * (preventDefault) and issued with issueRequest(true) once confirmed. A plain form (no hx-post)
 * carrying hx-confirm is asked the same way before it is submitted.
 */
(function () {
  "use strict";

  var dialog, question, confirmButton, cancelButton;
  var pending = null; // { proceed: function, returnTo: Element }

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-question");
    var form = document.createElement("form");
    form.method = "dialog";
    question = document.createElement("p");
    question.id = "confirm-dialog-question";
    var actions = document.createElement("div");
    actions.className = "confirm-dialog-actions";
    cancelButton = document.createElement("button");
    cancelButton.value = "cancel";
    cancelButton.textContent = "Cancel";
    cancelButton.autofocus = true;
    confirmButton = document.createElement("button");
    confirmButton.value = "confirm";
    actions.append(cancelButton, confirmButton);
    form.append(question, actions);
    dialog.append(form);
    document.body.append(dialog);
    dialog.addEventListener("close", function () {
      var was = pending;
      pending = null;
      if (!was) return;
      if (was.returnTo && was.returnTo.isConnected) was.returnTo.focus();
      if (dialog.returnValue === "confirm") was.proceed();
    });
  }

  // The button that asked: the form's submitter, else the element itself, else its first button.
  function askerOf(elt, triggeringEvent) {
    if (triggeringEvent && triggeringEvent.submitter) return triggeringEvent.submitter;
    if (elt.matches("button, a, input[type=submit]")) return elt;
    return elt.querySelector("button:not([type=button]), input[type=submit]") || elt;
  }

  function verbOf(asker) {
    var text = (asker.textContent || asker.value || "").replace(/\s+/g, " ").trim();
    return text && text.length <= 32 ? text : "Confirm";
  }

  function ask(text, asker, proceed) {
    if (!dialog) build();
    if (dialog.open) return;
    question.textContent = text;
    confirmButton.textContent = verbOf(asker);
    confirmButton.className = asker.classList.contains("danger") ? "danger" : "primary";
    pending = { proceed: proceed, returnTo: asker };
    dialog.returnValue = "";
    dialog.showModal();
  }

  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    if (!detail.question) return; // no hx-confirm: nothing to ask
    event.preventDefault();
    ask(detail.question, askerOf(detail.elt, detail.triggeringEvent), function () {
      detail.issueRequest(true);
    });
  });

  var HTMX_VERB = "[hx-post], [hx-get], [hx-put], [hx-patch], [hx-delete]";
  var confirmed = new WeakSet();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[hx-confirm]") || form.matches(HTMX_VERB)) return;
    var boost = form.closest("[hx-boost]");
    if (boost && boost.getAttribute("hx-boost") === "true") return; // htmx asks (htmx:confirm)
    if (confirmed.has(form)) {
      confirmed.delete(form);
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    ask(form.getAttribute("hx-confirm"), askerOf(form, event), function () {
      confirmed.add(form);
      form.requestSubmit(submitter && submitter.isConnected ? submitter : undefined);
    });
  }, true);
})();
