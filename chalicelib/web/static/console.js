// The console's one convenience script (served from our own origin under the page's CSP):
// while a page is open, it asks every 15 s whether what the page shows has changed, and says so
// in a live region with a link to reload. The pages work the same without it.
(function () {
  "use strict";
  var watch = document.querySelector("[data-live]");
  if (!watch || !window.fetch) return;
  var url = watch.getAttribute("data-live");
  var shown = watch.getAttribute("data-version") || "";
  var banner = document.getElementById("live");
  function versionOf(doc) {
    if (doc.mentions) return doc.mentions.length ? doc.mentions[0].id : "";
    if (doc.timeline) return doc.status + ":" + doc.timeline.length + (doc.reads ? ":" + doc.reads : "");
    return "";
  }
  function check() {
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (!doc) return;
        var now = versionOf(doc);
        if (now && now !== shown && banner) {
          banner.hidden = false;
          banner.textContent = "";
          var link = document.createElement("a");
          link.href = location.href;
          link.textContent = watch.getAttribute("data-message") || "This page has changed: reload";
          banner.appendChild(link);
        }
      })
      .catch(function () {});
  }
  setInterval(check, 15000);
})();
