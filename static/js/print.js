/* Buttons with data-print print the page (the printed 督办单); they are shown only when
 * JavaScript runs (.js-only), so a page without it shows no dead button. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
