/* A table wider than the page scrolls inside its own box, not the page: each table.table is put
 * in a <div class="table-scroll"> (overflow-x: auto), on load and in what htmx swaps in. Without
 * this script, console.css makes such a table its own scroll box under 1024 px instead (drawn a
 * little less neatly: a table narrower than its card no longer spans it).
 */
(function () {
  "use strict";

  var UNWRAPPED = "table.table:not(.balances)";

  function wrap(root) {
    var tables = Array.prototype.slice.call(root.querySelectorAll(UNWRAPPED));
    if (root.matches && root.matches(UNWRAPPED)) tables.push(root);
    tables.forEach(function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wrap(document); });
  document.addEventListener("htmx:load", function (event) { wrap(event.detail.elt); });
})();
