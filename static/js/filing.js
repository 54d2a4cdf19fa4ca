/* Monthly dispatch pages (月调度填报):
 * - a button with data-confirm asks before it submits (删除草稿, 删除佐证材料);
 * - a select with data-submit-on-change submits its form (the period picker of the inbox);
 * - the file input lists the chosen files, so that the unit sees what 提交 will upload.
 * Without JavaScript every form still works: no confirmation, and a 查看 button to press. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-submit-on-change]") && target.form) {
      target.form.requestSubmit();
      return;
    }
    if (target.matches("input[type=file][data-file-list]")) {
      var list = document.getElementById(target.getAttribute("data-file-list"));
      if (!list) {
        return;
      }
      list.textContent = "";
      Array.prototype.forEach.call(target.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + "（" + Math.max(1, Math.round(file.size / 1024)) + " KB，提交或保存时上传）";
        list.appendChild(item);
      });
    }
  });
})();
