/* Buttons with data-details-toggle="open" / "close" expand or collapse every <details class="group">.
 * Marks <html> with the class "js" so that .js-only controls appear only when they work. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-details-toggle]");
    if (!button) {
      return;
    }
    var open = button.getAttribute("data-details-toggle") === "open";
    document.querySelectorAll("details.group").forEach(function (details) {
      details.open = open;
    });
  });
})();
