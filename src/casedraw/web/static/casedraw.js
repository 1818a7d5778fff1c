// casedraw: progressive enhancement only. Every page works without this script.
//
// An element with data-follow="SECONDS" follows a process on the server (an upload's progress): the
// page is fetched again every SECONDS and the element replaced by its new version, until the new
// version no longer asks to be followed. Without the script, a <noscript> meta refresh reloads the
// whole page instead.
(function () {
  "use strict";

  function follow(element) {
    var seconds = parseFloat(element.getAttribute("data-follow")) || 1;
    var id = element.id;
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
          if (!fresh) { window.location.reload(); return; }
          element.replaceWith(fresh);
          if (fresh.hasAttribute("data-follow")) { follow(fresh); }
        })
        .catch(function () { window.location.reload(); });
    }, seconds * 1000);
  }

  document.querySelectorAll("[data-follow][id]").forEach(follow);
})();
