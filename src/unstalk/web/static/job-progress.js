// A running check's page, with scripts: ask for the page again every few seconds and
// replace only its status, so a screen reader hears the new step instead of a whole
// page reloading under it. Once the check has ended the page is loaded in full (the
// results, or why the check could not finish). Without scripts, a meta refresh in a
// <noscript> reloads the page instead.
(function () {
  "use strict";
  var status = document.getElementById("job-status");
  if (!status) {
    return;
  }
  var delay = (Number(status.getAttribute("data-refresh")) || 2) * 1000;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.text();
      })
      .then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var fresh = page.getElementById("job-status");
        if (!fresh) {
          window.location.reload();
          return;
        }
        var step = status.querySelector("[role=status]");
        var freshStep = fresh.querySelector("[role=status]");
        if (step && freshStep && step.textContent !== freshStep.textContent) {
          step.textContent = freshStep.textContent;
        }
        var bar = status.querySelector("progress");
        var freshBar = fresh.querySelector("progress");
        if (freshBar && !bar) {
          status.appendChild(document.importNode(freshBar.parentNode, true));
        } else if (bar && freshBar) {
          bar.value = freshBar.value;
          bar.textContent = freshBar.textContent;
          var label = document.getElementById("progress-label");
          var freshLabel = page.getElementById("progress-label");
          if (label && freshLabel) {
            label.textContent = freshLabel.textContent;
          }
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
