// The office wall. Untrusted text (every mention, every report) is only ever set with
// textContent; nothing here builds HTML from strings. Runs for weeks: it backs off when the
// network or the backend drops, says how old its data is, and reloads itself once a day.
// Its language is the screen's (#lang=de, as lobby mode is chosen; else the browser's): its
// strings come from wall/messages.<lang>.json (built from the .po catalogues, our own origin),
// dates and numbers from the browser's Intl for that language.
(function () {
  "use strict";

  var params = new URLSearchParams(location.hash.slice(1));
  new URLSearchParams(location.search.slice(1)).forEach(function (v, k) { if (!params.has(k)) params.set(k, v); });
  var token = params.get("token") || "";
  var lobby = params.get("lobby") === "1";
  // A person may open one department's or one brand's wall (#department=baggage); a scoped
  // screen token shows its scope whatever the address says.
  var scope = { department: params.get("department") || "", brand: params.get("brand") || "" };
  var interval = Math.max(2, Number(params.get("interval")) || 5) * 1000;
  var LANGUAGES = ["en", "es", "de", "ar"];
  var lang = (function () {
    var asked = [params.get("lang") || ""].concat(navigator.languages || [navigator.language || ""]);
    for (var i = 0; i < asked.length; i++) {
      var base = String(asked[i]).toLowerCase().split(/[-_]/)[0];
      if (LANGUAGES.indexOf(base) >= 0) return base;
    }
    return "en";
  })();
  var messages = {};
  // A message in the screen's language, its %(name)s placeholders filled (never HTML).
  function _(msgid, values) {
    var text = Object.prototype.hasOwnProperty.call(messages, msgid) ? messages[msgid] : msgid;
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return values && name in values ? String(values[name]) : all; });
  }
  function label(word) {
    var words = {
      negative: _("negative"), positive: _("positive"), neutral: _("neutral"), unscored: _("unscored"),
      low: _("low"), medium: _("medium"), high: _("high"), critical: _("critical"),
      open: _("open"), acknowledged: _("acknowledged"), resolved: _("resolved")
    };
    return Object.prototype.hasOwnProperty.call(words, word) ? words[word] : word;
  }
  var SVG = "http://www.w3.org/2000/svg";

  var etag = null;
  var cursor = "";
  var stream = [];
  var lastOk = 0;
  var dataUpdated = null;
  var failures = 0;
  var incidentsAt = 0;
  var incidents = [];
  var alarms = [];
  // Approved case cards (redacted on the server), one at a time while nothing is open.
  var cases = [];
  var caseShown = 0;
  var caseAt = 0;
  var CASE_SECONDS = 20;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  var relative = new Intl.RelativeTimeFormat(lang, { style: "short", numeric: "always" });
  function pct(x) { return x === null || x === undefined ? "–" : percent.format(x); }
  function ago(iso) {
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (isNaN(s)) return "";
    if (s < 60) return relative.format(-s, "second");
    if (s < 3600) return relative.format(-Math.round(s / 60), "minute");
    if (s < 86400) return relative.format(-Math.round(s / 3600), "hour");
    return relative.format(-Math.round(s / 86400), "day");
  }
  function host(url) {
    try {
      var u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.hostname : "";
    } catch (e) { return ""; }
  }
  function duration(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function item(entry, fresh) {
    var li = el("li", [entry.kind === "report" ? "report" : entry.sentiment, fresh ? "new" : ""].join(" "));
    var meta = el("div", "meta");
    if (entry.drill) meta.appendChild(el("span", "chip drill", _("DRILL")));
    if (entry.kind === "report") meta.appendChild(el("span", "chip", _("employee report")));
    else if (entry.sentiment) meta.appendChild(el("span", "chip " + entry.sentiment, label(entry.sentiment)));
    if (entry.severity === "high" || entry.severity === "critical") meta.appendChild(el("span", "chip " + entry.severity, label(entry.severity)));
    if (entry.kudos) meta.appendChild(el("span", "chip positive", _("kudos")));
    if (entry.complaint) meta.appendChild(el("span", "chip complaint", _("complaint")));
    if (entry.corrected) meta.appendChild(el("span", "chip corrected", _("corrected by a person")));
    (entry.departments || []).forEach(function (d) { meta.appendChild(el("span", "dept", d)); });
    if (entry.author) meta.appendChild(el("span", "author", "@" + entry.author));
    if (entry.platform) meta.appendChild(el("span", "platform", entry.platform));
    var where = host(entry.url || "");
    if (where) meta.appendChild(el("span", "host", where));
    meta.appendChild(el("span", "when", ago(entry.at)));
    li.appendChild(meta);
    li.appendChild(el("div", "text", entry.text));
    return li;
  }

  function renderStream(fresh) {
    var list = $("stream");
    clear(list);
    var freshKeys = {};
    fresh.forEach(function (e) { freshKeys[e.key] = true; });
    stream.slice(0, 30).forEach(function (e) { list.appendChild(item(e, freshKeys[e.key] && lastOk > 0)); });
    if (!stream.length) list.appendChild(el("li", "empty", _("Nothing yet today. Mentions appear here as they arrive.")));
  }

  function bars(container, series, labelEvery) {
    clear(container);
    var width = 600, height = 110, top = 4, bottom = 16;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    var max = 1;
    series.forEach(function (p) { if (p.n > max) max = p.n; });
    var w = width / series.length;
    series.forEach(function (p, i) {
      var x = i * w, scale = (height - top - bottom) / max, y = height - bottom;
      [["neg", "#f85149"], ["pos", "#3fb950"], ["neutral", "#6e7681"]].forEach(function (part) {
        var value = part[0] === "neutral" ? Math.max(0, p.n - p.pos - p.neg) : p[part[0]];
        if (!value) return;
        var h = value * scale;
        y -= h;
        var rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", String(x + 1));
        rect.setAttribute("y", String(y));
        rect.setAttribute("width", String(Math.max(1, w - 2)));
        rect.setAttribute("height", String(h));
        rect.setAttribute("fill", part[1]);
        svg.appendChild(rect);
      });
      if (i % labelEvery === 0) {
        var label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(x + 1));
        label.setAttribute("y", String(height - 3));
        label.setAttribute("fill", "#8b949e");
        label.setAttribute("font-size", "11");
        label.textContent = p.t.slice(11) + (p.t.length === 13 ? "h" : "");
        svg.appendChild(label);
      }
    });
    container.appendChild(svg);
  }

  function renderGauge(g) {
    $("gauge-value").textContent = pct(g.now.negative_share);
    $("gauge-usual").textContent = pct(g.usual.negative_share);
    var verdict = $("gauge-verdict");
    verdict.textContent = g.verdict;
    verdict.className = "verdict " + (g.verdict.indexOf("worse") === 0 ? "worse" : g.verdict.indexOf("better") === 0 ? "better" : "");
  }

  function renderLedger(rows) {
    var body = $("ledger").tBodies[0];
    clear(body);
    rows.slice(0, 10).forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", "", r.department));
      tr.appendChild(el("td", "pos", r.positive));
      tr.appendChild(el("td", "neg", r.negative));
      body.appendChild(tr);
    });
    if (!rows.length) {
      var tr = el("tr");
      var td = el("td", "empty", _("A quiet day so far."));
      td.colSpan = 3;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  function renderIncidents() {
    var list = $("incidents");
    clear(list);
    var elapsed = Math.round((Date.now() - incidentsAt) / 1000);
    incidents.slice(0, 4).forEach(function (i) {
      var li = el("li", i.severity + " " + i.status);
      var info = el("div");
      info.appendChild(el("div", "meta", i.owner
        ? _("%(severity)s · %(status)s · owner %(owner)s", { severity: label(i.severity), status: label(i.status), owner: i.owner })
        : _("%(severity)s · %(status)s", { severity: label(i.severity), status: label(i.status) })));
      info.appendChild(el("div", "text", i.title));
      if (i.status === "open" && typeof i.escalates_in === "number") {
        info.appendChild(el("div", "countdown", _("escalates in %(time)s", { time: duration(Math.max(0, i.escalates_in - elapsed)) })));
      } else if (i.status === "acknowledged") {
        info.appendChild(el("div", "meta", i.acknowledged_by ? _("acknowledged by %(person)s", { person: i.acknowledged_by }) : _("acknowledged")));
      }
      li.appendChild(info);
      if (i.qr && i.qr.indexOf("data:image/svg+xml") === 0) {
        var img = el("img");
        img.alt = _("Scan to acknowledge or join");
        img.src = i.qr;
        li.appendChild(img);
      }
      list.appendChild(li);
    });
    alarms.slice(0, 2).forEach(function (a) {
      var li = el("li", "alarm");
      var info = el("div");
      info.appendChild(el("div", "meta", a.kind === "volume"
        ? _("volume spike · %(ago)s", { ago: ago(a.at) }) : _("negativity spike · %(ago)s", { ago: ago(a.at) })));
      info.appendChild(el("div", "text", a.key + ": " + a.explanation));
      li.appendChild(info);
      list.appendChild(li);
    });
    if (!incidents.length && !alarms.length) list.appendChild(el("li", "empty", _("No open incidents.")));
  }

  function renderKudos(kudos, spotted) {
    var list = $("kudos");
    clear(list);
    kudos.slice(0, 5).forEach(function (k) {
      var li = el("li");
      li.appendChild(el("span", "credit", k.departments && k.departments.length
        ? _("%(departments)s: ", { departments: new Intl.ListFormat(lang).format(k.departments) }) : _("the team: ")));
      li.appendChild(document.createTextNode(k.text));
      list.appendChild(li);
    });
    if (!kudos.length) list.appendChild(el("li", "empty", _("Praise shows up here, credited to the team that earned it.")));
    var first = $("spotted");
    clear(first);
    spotted.slice(0, 4).forEach(function (s) {
      first.appendChild(el("li", "", s.department
        ? _("Someone in %(department)s spotted it %(minutes)s min before the listening tools: %(text)s", { department: s.department, minutes: s.minutes, text: s.text })
        : _("An employee spotted it %(minutes)s min before the listening tools: %(text)s", { minutes: s.minutes, text: s.text })));
    });
    if (!spotted.length) first.appendChild(el("li", "empty", _("Employees who spot an issue first are thanked here.")));
  }

  function renderCrisis(c) {
    var banner = $("crisis");
    document.body.classList.toggle("crisis", !!c);
    banner.hidden = !c;
    if (!c) return;
    $("crisis-title").textContent = c.title;
    $("crisis-meta").textContent = c.owner
      ? _("%(severity)s · %(status)s · owner %(owner)s · opened %(ago)s", { severity: label(c.severity), status: label(c.status), owner: c.owner, ago: ago(c.opened_at) })
      : _("%(severity)s · %(status)s · opened %(ago)s", { severity: label(c.severity), status: label(c.status), ago: ago(c.opened_at) });
    var story = $("crisis-story");
    clear(story);
    (c.story || []).slice(0, 5).forEach(function (e) { story.appendChild(el("li", "", (e.author ? "@" + e.author + ": " : "") + e.text)); });
    var line = $("crisis-statement");
    line.hidden = !c.statement;
    line.textContent = !c.statement ? "" : c.statement.drill
      ? _("DRILL · Our statement: %(text)s", { text: c.statement.text }) : _("Our statement: %(text)s", { text: c.statement.text });
  }

  function renderCase() {
    var box = $("case");
    var open = incidents.some(function (i) { return i.status !== "resolved"; });
    box.hidden = open || !cases.length;
    if (box.hidden) return;
    if (Date.now() - caseAt >= CASE_SECONDS * 1000) {
      caseShown = caseAt ? (caseShown + 1) % cases.length : 0;
      caseAt = Date.now();
    }
    var c = cases[caseShown % cases.length];
    $("case-title").textContent = c.title;
    $("case-spotted").textContent = _("Spotted: %(text)s", { text: c.spotted || "–" });
    $("case-helped").textContent = _("What helped: %(text)s", { text: c.helped || "–" });
  }

  // A running watchfulness exercise's post (its text already says DRILL): staff report it on the form.
  function renderExercise(exercises) {
    var box = $("exercise");
    box.hidden = !exercises.length;
    $("exercise-text").textContent = exercises.length ? exercises[0].text : "";
  }

  function render(data) {
    var fresh = data.stream || [];
    if (data.full) stream = fresh.slice();
    else stream = fresh.concat(stream).slice(0, 60);
    cursor = data.cursor || cursor;
    dataUpdated = data.data_updated_at;
    incidents = data.incidents || [];
    alarms = data.alarms || [];
    incidentsAt = Date.now();
    var scoped = data.scope ? (data.scope.name || data.scope.department || data.scope.brand) : "";
    $("mode").textContent = scoped && data.lobby ? _("%(scope)s · lobby", { scope: scoped }) : data.lobby ? _("lobby") : scoped;
    renderStream(fresh);
    renderGauge(data.gauge);
    bars($("chart-hours"), data.hours || [], 3);
    bars($("chart-minutes"), data.minutes || [], 10);
    renderLedger(data.ledger || []);
    renderIncidents();
    renderKudos(data.kudos || [], data.spotted || []);
    renderCrisis(data.crisis);
    cases = data.cases || [];
    renderCase();
    renderExercise(data.exercises || []);
  }

  function tick() {
    var now = new Date();
    $("clock").textContent = now.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    var age = $("age");
    if (!lastOk) {
      age.textContent = failures ? _("cannot reach sharedwatch, retrying…") : _("connecting…");
    } else {
      var stale = Date.now() - lastOk > Math.max(15000, interval * 3);
      var values = { ago: ago(new Date(lastOk).toISOString()), last: dataUpdated ? ago(dataUpdated) : "" };
      age.textContent = stale
        ? (dataUpdated ? _("offline: showing data from %(ago)s · last mention %(last)s", values) : _("offline: showing data from %(ago)s", values))
        : (dataUpdated ? _("data %(ago)s · last mention %(last)s", values) : _("data %(ago)s", values));
      age.className = "age" + (stale ? " stale" : "");
    }
    if (incidents.length) renderIncidents();
    if (cases.length) renderCase();
  }

  function problem(text) {
    var box = document.querySelector(".problem") || document.body.appendChild(el("p", "problem"));
    box.textContent = text;
  }

  function schedule(ms) { setTimeout(poll, ms); }

  function poll() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 10000);
    var headers = { Authorization: "Bearer " + token };
    if (etag) headers["If-None-Match"] = etag;
    var query = { lobby: lobby ? "1" : "0", cursor: cursor };
    if (scope.department) query.department = scope.department;
    if (scope.brand) query.brand = scope.brand;
    var url = "api/wall?" + new URLSearchParams(query).toString();
    fetch(url, { headers: headers, signal: controller.signal, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 401) { problem(_("This screen's display token is not valid (it may have been revoked).")); throw new Error("401"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        if (data) render(data);
        lastOk = Date.now();
        failures = 0;
        var old = document.querySelector(".problem");
        if (old) old.remove();
        schedule(interval);
      })
      .catch(function () {
        failures += 1;
        schedule(Math.min(30000, interval * Math.pow(2, Math.min(failures, 4))));
      })
      .finally(function () { clearTimeout(timer); tick(); });
  }

  // The page's own words (data-i18n) and direction, once the screen's catalogue is in.
  function localise() {
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = _(node.getAttribute("data-i18n"));
    });
  }

  function start() {
    localise();
    if (!token) { problem(_("Open this page as /wall#token=<display token>.")); return; }
    setInterval(tick, 1000);
    setTimeout(function () { location.reload(); }, 24 * 3600 * 1000);
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (lang === "en") { start(); return; }
    fetch("wall/messages." + lang + ".json", { cache: "no-cache" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (catalogue) { messages = catalogue.messages || {}; })
      .catch(function () { messages = {}; })  // English beats a blank screen
      .finally(start);
  });
})();
