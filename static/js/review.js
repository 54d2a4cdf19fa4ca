/* The review queue: 「全选」 ticks every awaiting filing on the page, the count of ticked ones is
 * shown beside 「批量通过」, the filter form submits when a select changes, and forms with
 * data-confirm ask before they are sent.
 * Without JavaScript the checkboxes and the filter button work as plain HTML. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="ids"]'));
  }

  function refresh(form) {
    var all = boxes(form);
    var ticked = all.filter(function (box) { return box.checked; }).length;
    var label = form.querySelector("[data-selected-count]");
    var button = form.querySelector("[data-bulk-submit]");
    var master = form.querySelector("[data-check-all]");
    if (label) {
      label.textContent = ticked ? "已勾选 " + ticked + " 份" : "未勾选";
    }
    if (button) {
      button.disabled = ticked === 0;
      button.textContent = ticked ? "批量通过（" + ticked + "）" : "批量通过";
    }
    if (master) {
      master.disabled = all.length === 0;
      master.checked = all.length > 0 && ticked === all.length;
      master.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var bulk = target.closest("form.bulk-form");
    if (bulk) {
      if (target.hasAttribute("data-check-all")) {
        boxes(bulk).forEach(function (box) { box.checked = target.checked; });
      }
      refresh(bulk);
      return;
    }
    var filters = target.closest("form[data-autosubmit]");
    if (filters && target.tagName === "SELECT") {
      filters.requestSubmit();
    }
  });

  /* Forms that cannot be undone in one click ask first: bulk approval, closing a period. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (form.classList.contains("bulk-form")) {
      var ticked = boxes(form).filter(function (box) { return box.checked; }).length;
      question = "确定通过所勾选的 " + ticked + " 份填报吗？";
    }
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.querySelectorAll("form.bulk-form").forEach(refresh);
})();
