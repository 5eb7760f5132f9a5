// Quick exit, enhanced. Without this file the link goes to /exit, which clears
// the session and redirects. With it, the browser asks /exit to clear the
// session in the background and goes straight to the neutral site, replacing
// this page in the history; pressing Escape twice does the same.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) {
    return;
  }
  var exitPath = link.getAttribute("href");
  var neutral = link.getAttribute("data-leave-to") || exitPath;
  var lastEscape = 0;
  var leaving = false;
  var gone = false;

  function go() {
    if (!gone) {
      gone = true;
      window.location.replace(neutral);
    }
  }

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    // Never wait long: leaving fast matters more than waiting for the answer,
    // and keepalive lets the request finish after the page is gone.
    var timer = window.setTimeout(go, 300);
    var done = function () {
      window.clearTimeout(timer);
      go();
    };
    fetch(exitPath, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      keepalive: true
    }).then(done, done);
  }

  link.addEventListener("click", function (event) {
    event.preventDefault();
    leave();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape < 1500) {
      leave();
    } else {
      lastEscape = now;
    }
  });

  var hint = document.getElementById("exit-hint");
  if (hint) {
    hint.hidden = false;
  }
})();
