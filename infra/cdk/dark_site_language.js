// CloudFront Function (viewer request) for the dark site: a visitor asking for a page's
// directory or its index.html gets the page in the shipped language their Accept-Language
// prefers (index.<lang>.html, written by chalicelib/flows/statements.py); anyone else, the
// default's index.html. LANGUAGES is filled in by infra/cdk/stack.py from chalicelib/i18n.py.
var LANGUAGES = __LANGUAGES__;

function preferred(header) {
  var weighted = [];
  var parts = (header || "").slice(0, 512).split(",");
  for (var i = 0; i < parts.length; i++) {
    var bits = parts[i].trim().split(";");
    var base = bits[0].trim().toLowerCase().split("-")[0];
    var quality = 1;
    for (var j = 1; j < bits.length; j++) {
      var param = bits[j].trim().split("=");
      if (param[0].trim().toLowerCase() === "q") {
        quality = parseFloat(param[1]);
        if (isNaN(quality)) quality = 0;
      }
    }
    if (quality > 0 && LANGUAGES.indexOf(base) >= 0) weighted.push([quality, i, base]);
  }
  weighted.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
  return weighted.length ? weighted[0][2] : "";
}

function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var folder = uri.slice(-1) === "/" ? uri : uri.slice(-11) === "/index.html" ? uri.slice(0, -10) : "";
  if (folder) {
    var header = request.headers["accept-language"];
    var language = preferred(header ? header.value : "");
    request.uri = folder + (language ? "index." + language + ".html" : "index.html");
  }
  return request;
}
