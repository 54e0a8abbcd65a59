/* The top menu (templates/base.html), made a little handier; it works without this script.
 *
 * Each group (Catalog, Billing...) is a <details> whose open state shows its links (CSS: the
 * links follow the <details>); under 768 px the "Menu" <details> shows the whole navigation the
 * same way. This script only closes what was left open: the other groups when one opens, every
 * group on a click elsewhere, and the innermost open one on Escape, focus back on its button.
 */
(function () {
  "use strict";

  // The part of the page a <details> opens: its group, or for the "Menu" the whole top bar.
  function area(details) {
    return details.closest(".navgroup") || details.closest(".topbar");
  }

  function shown(details) {
    return details.getClientRects().length > 0;
  }

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches(".navgroup > details") || !details.open) return;
    document.querySelectorAll(".navgroup > details[open]").forEach(function (other) {
      if (other !== details) other.open = false;
    });
  }, true);

  document.addEventListener("click", function (event) {
    document.querySelectorAll(".topbar details[open]").forEach(function (details) {
      if (!area(details).contains(event.target)) details.open = false;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = Array.prototype.filter.call(document.querySelectorAll(".topbar details[open]"), shown);
    if (!open.length) return;
    // The group holding the focus first, else the last opened in the page's order (a group
    // inside the open "Menu" comes after it).
    var details = open.filter(function (d) { return area(d).contains(event.target); }).pop() ||
      open[open.length - 1];
    details.open = false;
    details.querySelector("summary").focus();
  });
})();
