// Let htmx swap error answers (4xx/5xx) so the error partial is shown instead of nothing.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  }
});

// A QR code's countdown (data-expires-in seconds when shown), ticking until it expires.
setInterval(function () {
  document.querySelectorAll("[data-expires-in]").forEach(function (el) {
    if (!el.dataset.deadline) {
      el.dataset.deadline = String(Date.now() + Number(el.dataset.expiresIn) * 1000);
    }
    var left = Math.max(0, Math.round((Number(el.dataset.deadline) - Date.now()) / 1000));
    var secs = el.querySelector(".secs");
    if (secs) secs.textContent = String(left);
    if (left === 0) {
      el.textContent = el.dataset.expiredText || "";
      el.removeAttribute("data-expires-in");
      el.classList.add("expired");
    }
  });
}, 1000);

// A terminal select (data-use-select) keeps the use select on a use the terminal allows.
function syncUse(select) {
  var use = document.getElementById(select.dataset.useSelect);
  var option = select.selectedOptions[0];
  if (!use || !option) return;
  var allowed = (option.dataset.uses || "").split(" ");
  if (allowed.indexOf(use.value) < 0 && allowed[0]) use.value = allowed[0];
}
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-use-select]").forEach(function (select) {
    syncUse(select);
    select.addEventListener("change", function () { syncUse(select); });
  });
});
