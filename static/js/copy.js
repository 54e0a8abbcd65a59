/* Copy buttons: <button data-copy="#id"> copies the value of the element #id (an input or a
 * textarea) and says so on the button for a moment. Falls back to selecting the text, for
 * browsers without the asynchronous clipboard (plain http), so Ctrl+C finishes the job.
 */
(function () {
  "use strict";

  function done(button, text) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    source.focus();
    source.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(
        function () { done(button, "Copied"); },
        function () { done(button, "Press Ctrl+C"); }
      );
    } else {
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
      done(button, copied ? "Copied" : "Press Ctrl+C");
    }
  });
})();
