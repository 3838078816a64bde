// The Shoal dashboard's page: plain JavaScript, no framework, nothing fetched from elsewhere.
// Hash routes: #/workers, #/queues, #/tasks?state=&name=&worker=&q=&page=, #/task/ID,
// #/dead, #/limits, #/charts. Every view reads the JSON API (/api/...) every two seconds.
// Control actions (revoke, terminate, retry, purge) are POSTs with the header X-Shoal-Token:
// the token comes in the URL's fragment (#token=...), as `shoal dashboard` prints it, and is
// kept for this tab only (sessionStorage).
"use strict";

(function () {
  const REFRESH_MS = 2000;
  const PAGE_SIZE = 50;
  const TOKEN_KEY = "shoal-dashboard-token";
  const STATES = ["sent", "received", "started", "retrying", "succeeded", "failed",
                  "revoked", "rejected", "expired", "dead"];

  // ---- the control token ----

  function takeTokenFromUrl() {
    const hash = window.location.hash || "";
    const match = hash.match(/(?:^#|[?&#])token=([^&]+)/);
    if (!match) return;
    try {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    } catch (e) {
      window.shoalToken = decodeURIComponent(match[1]);
    }
    // The token leaves the address bar (and the history) at once.
    let rest = hash.replace(/[?&]?token=[^&]+/, "").replace(/^#&/, "#");
    if (rest === "#" || rest === "") rest = "#/workers";
    history.replaceState(null, "", window.location.pathname + window.location.search + rest);
  }

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || window.shoalToken || "";
    } catch (e) {
      return window.shoalToken || "";
    }
  }

  // ---- DOM helpers: text only, never markup from data ----

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key.startsWith("data-")) el.setAttribute(key, value);
      else if (key in el) el[key] = value;
      else el.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.appendChild(typeof child === "string" || typeof child === "number"
                       ? document.createTextNode(String(child)) : child);
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function $(id) { return document.getElementById(id); }

  // ---- formatting ----

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  function clock(unixSeconds) {
    if (!unixSeconds) return "";
    const d = new Date(unixSeconds * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
           pad(d.getMilliseconds(), 3);
  }

  function dateTime(unixSeconds) {
    if (!unixSeconds) return "";
    const d = new Date(unixSeconds * 1000);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
           clock(unixSeconds);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "";
    if (seconds < 0.001) return (seconds * 1e6).toFixed(0) + " µs";
    if (seconds < 1) return (seconds * 1000).toFixed(1) + " ms";
    if (seconds < 120) return seconds.toFixed(2) + " s";
    if (seconds < 7200) return (seconds / 60).toFixed(1) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function age(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 1) return "just now";
    return duration(seconds) + " ago";
  }

  function rate(perSecond) {
    if (!perSecond) return "0";
    return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(1);
  }

  function count(n) { return (n || 0).toLocaleString("en-US"); }

  function stateBadge(state) {
    return h("span", { class: "state " + state, "data-state": state, text: state });
  }

  function pretty(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    return JSON.stringify(value, null, 2);
  }

  // ---- talking to the dashboard ----

  async function api(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" },
                                         cache: "no-store" });
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = { error: "not JSON (HTTP " + response.status + ")" };
    }
    if (!response.ok) {
      const error = new Error(body && body.error ? body.error : "HTTP " + response.status);
      error.status = response.status;
      error.code = body && body.code;
      throw error;
    }
    return body;
  }

  async function control(path, what) {
    if (!token()) {
      flash("View only: open the URL `shoal dashboard` printed (with #token=...) to " + what + ".",
            true);
      return null;
    }
    try {
      const response = await fetch(path, { method: "POST",
                                           headers: { "X-Shoal-Token": token() },
                                           cache: "no-store" });
      let body = {};
      try { body = await response.json(); } catch (e) { body = {}; }
      if (!response.ok) {
        flash(what + " refused: " + (body.error || "HTTP " + response.status) +
              (body.code ? " (" + body.code + ")" : ""), true);
        return null;
      }
      return body;
    } catch (e) {
      flash(what + " failed: " + e.message, true);
      return null;
    }
  }

  let flashTimer = null;
  function flash(message, isError) {
    const el = $("flash");
    el.textContent = message;
    el.className = "flash" + (isError ? " error" : "");
    el.setAttribute("data-kind", isError ? "error" : "ok");
    if (flashTimer) clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { el.className = "flash hidden"; }, 8000);
  }

  function banner(message) {
    const el = $("banner");
    if (!message) {
      el.className = "banner hidden";
      el.textContent = "";
      return;
    }
    el.className = "banner";
    el.textContent = message;
  }

  // ---- the routes ----

  function parseRoute() {
    const hash = (window.location.hash || "#/workers").slice(1);
    const [path, query] = hash.split("?");
    const parts = path.split("/").filter((p) => p);
    return { name: parts[0] || "workers", arg: parts[1] || "",
             params: new URLSearchParams(query || "") };
  }

  function go(name, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== "" && v !== null && v !== undefined) query.set(k, v);
    }
    const text = query.toString();
    window.location.hash = "#/" + name + (text ? "?" + text : "");
  }

  let current = null;  // { update: async function, route }
  let refreshing = false;
  let again = false;

  async function refresh() {
    if (refreshing) {
      again = true;  // a view changed meanwhile: once more when this round ends
      return;
    }
    refreshing = true;
    try {
      await updateSummary();
      if (current && current.update) await current.update();
      $("updated").textContent = clock(Date.now() / 1000);
    } catch (e) {
      banner("The dashboard does not answer: " + e.message);
    } finally {
      refreshing = false;
    }
    if (again) {
      again = false;
      refresh();
    }
  }

  // True when `data` is what `el` shows already: the view is left alone (no flicker, and a
  // button under the pointer stays the same button).
  function unchanged(el, data) {
    const text = JSON.stringify(data);
    if (el.shoalShown === text) return true;
    el.shoalShown = text;
    return false;
  }

  function render() {
    const route = parseRoute();
    for (const a of document.querySelectorAll("#nav a")) {
      const active = a.getAttribute("data-route") === route.name ||
                     (route.name === "task" && a.getAttribute("data-route") === "tasks");
      a.className = active ? "active" : "";
    }
    const view = clear($("view"));
    const builders = { workers: workersView, queues: queuesView, tasks: tasksView,
                       task: taskView, dead: deadView, limits: limitsView, charts: chartsView };
    const build = builders[route.name] || workersView;
    current = build(view, route);
    current.route = route;
    refresh();
  }

  // ---- the summary strip and status pills ----

  async function updateSummary() {
    const o = await api("/api/overview");
    const stream = $("stream-state");
    stream.textContent = "events: " + o.events.status;
    stream.className = "pill " + o.events.status;
    stream.title = o.events.error || ("clock " + o.events.last_clock + ", " +
                                      count(o.events.received) + " events received");
    const ctl = $("control-state");
    ctl.textContent = token() ? "control enabled" : "view only";
    ctl.className = "pill" + (token() ? " control" : "");
    if (o.events.status === "refused") {
      banner("The broker refused this dashboard its events: " + o.events.error +
             " (a broker with keys tells events to admin keys only).");
    } else if (o.events.status === "disconnected") {
      banner("The broker is not connected: reconnecting…");
    } else {
      banner("");
    }
    const s = o.states;
    const running = (s.received || 0) + (s.started || 0);
    const stats = [
      ["workers online", count(o.workers.online), "stat-workers"],
      ["queued", count(o.queued), "stat-queued"],
      ["running", count(running), "stat-running"],
      ["succeeded", count(s.succeeded), "stat-succeeded"],
      ["failed", count(s.failed), "stat-failed"],
      ["retrying", count(s.retrying), "stat-retrying"],
      ["dead letters", count(s.dead), "stat-dead"],
    ];
    const strip = clear($("summary"));
    for (const [label, value, id] of stats) {
      strip.appendChild(h("div", { class: "stat", id: id },
                          h("div", { class: "value", text: value }),
                          h("div", { class: "label", text: label })));
    }
    $("history-state").textContent =
        "history: " + count(o.history.size) + " of at most " + count(o.history.max) +
        " tasks" + (o.history.evicted ? " (" + count(o.history.evicted) + " oldest let go)" : "") +
        (o.events.dropped ? " · " + count(o.events.dropped) + " events dropped by the broker" : "");
  }

  function inspectNote(panel, answer, what) {
    if (answer.error) {
      panel.appendChild(h("p", { class: "muted inspect-error",
                                 text: "INSPECT " + what + ": " + answer.error +
                                       (answer.code ? " (" + answer.code + ")" : "") }));
    }
  }

  function table(headers, rows, empty) {
    const head = h("tr", {}, headers.map(([text, cls]) => h("th", { class: cls, text: text })));
    const body = h("tbody", {}, rows);
    const t = h("table", {}, h("thead", {}, head), body);
    if (!rows.length) {
      body.appendChild(h("tr", {}, h("td", { colSpan: headers.length, class: "muted",
                                             text: empty })));
    }
    return t;
  }

  // ---- workers ----

  function workersView(view) {
    view.appendChild(h("h2", { text: "Workers" }));
    const panel = view.appendChild(h("div", { class: "panel", id: "workers" }));
    return {
      async update() {
        const data = await api("/api/workers");
        clear(panel);
        inspectNote(panel, data, "workers");
        const rows = data.workers.map((w) => {
          const load = Math.max(0, Math.min(1, w.load || 0));
          const bar = h("span", { class: "bar" },
                        h("span", { class: "w" + Math.round(load * 10) * 10 }));
          return h("tr", { class: "worker-row", "data-worker": w.hostname,
                           "data-online": w.online ? "1" : "0" },
                   h("td", {}, h("a", { href: "#/tasks?worker=" + encodeURIComponent(w.hostname),
                                        text: w.hostname })),
                   h("td", {}, stateBadge(w.state),
                     w.offline_reason ? h("div", { class: "muted", text: w.offline_reason }) : null),
                   h("td", { class: "mono", text: w.version }),
                   h("td", {}, bar, Math.round(load * 100) + "%"),
                   h("td", { class: "num", text: w.active + " / " + w.slots }),
                   h("td", { class: "num", text: count(w.processed) }),
                   h("td", { text: w.last_heartbeat ? age(w.heartbeat_age_s) : "",
                             title: dateTime(w.last_heartbeat) }),
                   h("td", { class: "clip", text: w.queues, title: w.tasks }));
        });
        panel.appendChild(table([["Worker"], ["State"], ["Version"], ["Load"],
                                 ["Active / slots", "num"], ["Processed", "num"],
                                 ["Last heartbeat"], ["Queues"]],
                                rows, "No worker yet: start one (shoal-worker --broker ...)."));
      },
    };
  }

  // ---- queues ----

  function queuesView(view) {
    view.appendChild(h("h2", { text: "Queues" }));
    const panel = view.appendChild(h("div", { class: "panel", id: "queues" }));
    return {
      async update() {
        const data = await api("/api/queues");
        clear(panel);
        inspectNote(panel, data, "queues");
        const rows = data.queues.map((q) => h("tr", { class: "queue-row", "data-queue": q.name },
          h("td", {}, q.name),
          h("td", { class: "num depth", text: count(q.length) }),
          h("td", { class: "num", text: rate(q.rate_in) }),
          h("td", { class: "num", text: rate(q.rate_out) }),
          h("td", { class: "num", text: q.oldest_age_ms === null ? "–"
                                                                  : duration(q.oldest_age_ms / 1000) }),
          h("td", { class: "num", text: q.consumers }),
          h("td", { class: "clip", text: q.workers }),
          h("td", {}, h("button", { class: "danger purge", "data-queue": q.name,
                                    text: "Purge",
                                    onclick: async () => {
                                      if (!window.confirm("Drop every task waiting in " + q.name + "?")) return;
                                      const r = await control("/api/queues/" +
                                                              encodeURIComponent(q.name) + "/purge",
                                                              "purge");
                                      if (r) flash("Purged " + r.purged + " task(s) from " + r.queue + ".");
                                      refresh();
                                    } }))));
        panel.appendChild(table([["Queue"], ["Depth", "num"], ["In /s", "num"], ["Out /s", "num"],
                                 ["Oldest", "num"], ["Consumers", "num"], ["Workers"], [""]],
                                rows, "No queue yet."));
        panel.appendChild(h("p", { class: "muted",
                                   text: "Rates over the last " + data.rate_window_s +
                                         " s, from the event stream (in: sent; out: dispatched)." }));
      },
    };
  }

  // ---- tasks ----

  function tasksView(view, route) {
    const p = route.params;
    const page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
    const filter = { state: p.get("state") || "", name: p.get("name") || "",
                     worker: p.get("worker") || "", q: p.get("q") || "" };
    view.appendChild(h("h2", { text: "Tasks" }));
    const panel = view.appendChild(h("div", { class: "panel" }));
    const stateSelect = h("select", { id: "filter-state" },
                          h("option", { value: "", text: "any" }),
                          STATES.map((s) => h("option", { value: s, text: s })));
    stateSelect.value = filter.state;
    const nameSelect = h("select", { id: "filter-name" }, h("option", { value: "", text: "any" }));
    const workerSelect = h("select", { id: "filter-worker" },
                           h("option", { value: "", text: "any" }));
    const search = h("input", { type: "search", id: "filter-id", placeholder: "task id, or a part",
                                value: filter.q });
    const apply = (changes) => go("tasks", Object.assign({}, filter, changes, { page: "" }));
    stateSelect.addEventListener("change", () => apply({ state: stateSelect.value }));
    nameSelect.addEventListener("change", () => apply({ name: nameSelect.value }));
    workerSelect.addEventListener("change", () => apply({ worker: workerSelect.value }));
    search.addEventListener("keydown", (e) => { if (e.key === "Enter") apply({ q: search.value.trim() }); });
    panel.appendChild(h("div", { class: "filters" },
                        h("label", {}, "State", stateSelect),
                        h("label", {}, "Name", nameSelect),
                        h("label", {}, "Worker", workerSelect),
                        h("label", {}, "Id", search),
                        h("button", { text: "Search", onclick: () => apply({ q: search.value.trim() }) }),
                        h("button", { text: "Clear", onclick: () => go("tasks", {}) })));
    const holder = panel.appendChild(h("div", { id: "tasks" }));
    const pager = panel.appendChild(h("div", { class: "pager" }));

    function fillSelect(select, values, chosen) {
      const seen = Array.from(select.options).map((o) => o.value);
      for (const v of values) {
        if (!seen.includes(v)) select.appendChild(h("option", { value: v, text: v }));
      }
      if (chosen && !seen.includes(chosen) && !values.includes(chosen)) {
        select.appendChild(h("option", { value: chosen, text: chosen }));
      }
      select.value = chosen;
    }

    return {
      async update() {
        if (document.activeElement === search) return;  // not while someone types
        const filters = await api("/api/filters");
        fillSelect(nameSelect, filters.names, filter.name);
        fillSelect(workerSelect, filters.workers, filter.worker);
        const query = new URLSearchParams({ offset: String((page - 1) * PAGE_SIZE),
                                            limit: String(PAGE_SIZE) });
        for (const k of ["state", "name", "worker", "q"]) if (filter[k]) query.set(k, filter[k]);
        let data;
        try {
          data = await api("/api/tasks?" + query.toString());
        } catch (e) {
          clear(holder).appendChild(h("p", { class: "muted", text: e.message }));
          clear(pager);
          return;
        }
        if (unchanged(holder, [data, page])) return;
        const rows = data.tasks.map((t) => h("tr", { class: "task-row", "data-task-id": t.id,
                                                     "data-task-name": t.name,
                                                     "data-state": t.state },
          h("td", { class: "id" }, h("a", { href: "#/task/" + t.id, text: t.id })),
          h("td", { text: t.name }),
          h("td", {}, stateBadge(t.state)),
          h("td", { text: t.worker }),
          h("td", { class: "mono clip", text: t.args_bytes ? "(" + count(t.args_bytes) + " bytes)"
                                                           : t.args, title: t.args }),
          h("td", { class: "mono clip",
                    text: t.exception || (t.result_bytes ? "(" + count(t.result_bytes) + " bytes)"
                                                         : t.result),
                    title: t.exception || t.result }),
          h("td", { text: clock(t.sent || t.received), title: dateTime(t.sent) }),
          h("td", { class: "num", text: duration(t.runtime) }),
          h("td", { class: "num", text: t.attempts })));
        clear(holder).appendChild(table([["Id"], ["Name"], ["State"], ["Worker"], ["Args"],
                                         ["Result or error"], ["Sent"], ["Runtime", "num"],
                                         ["Attempts", "num"]],
                                        rows, "No task matches."));
        clear(pager);
        const first = data.total === 0 ? 0 : data.offset + 1;
        const last = data.offset + data.tasks.length;
        const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
        pager.appendChild(h("button", { text: "‹ Newer", disabled: page <= 1,
                                        onclick: () => go("tasks", Object.assign({}, filter, { page: page - 1 })) }));
        pager.appendChild(h("span", { id: "tasks-range",
                                      text: count(first) + "–" + count(last) + " of " +
                                            count(data.total) + " (page " + page + " of " +
                                            count(pages) + ")" }));
        pager.appendChild(h("button", { text: "Older ›", disabled: page >= pages,
                                        onclick: () => go("tasks", Object.assign({}, filter, { page: page + 1 })) }));
      },
    };
  }

  // ---- one task ----

  function taskView(view, route) {
    const id = route.arg;
    view.appendChild(h("p", {}, h("a", { href: "#/tasks", text: "‹ Tasks" })));
    const holder = view.appendChild(h("div", { id: "task", "data-task-id": id }));
    let brokerAnswer = null;  // the broker's stored result, once asked

    async function askBroker() {
      try {
        brokerAnswer = await api("/api/tasks/" + encodeURIComponent(id) + "/result");
      } catch (e) {
        brokerAnswer = { error: e.message };
      }
      refresh();
    }

    function brokerPanel() {
      const panel = h("div", { class: "panel", id: "broker-result" }, h("h3", { text: "Stored at the broker" }));
      if (!brokerAnswer) {
        panel.appendChild(h("button", { text: "Fetch the result from the broker", onclick: askBroker }));
        return panel;
      }
      if (brokerAnswer.error && !brokerAnswer.state) {
        panel.appendChild(h("pre", { class: "error", text: brokerAnswer.error }));
        return panel;
      }
      panel.appendChild(h("dl", { class: "facts" },
                          h("dt", { text: "state" }), h("dd", { text: brokerAnswer.state }),
                          brokerAnswer.status ? [h("dt", { text: "status" }),
                                                 h("dd", { text: brokerAnswer.status })] : null));
      if ("result" in brokerAnswer) panel.appendChild(h("pre", { id: "broker-result-value", text: pretty(brokerAnswer.result) }));
      if (brokerAnswer.error) {
        panel.appendChild(h("pre", { class: "error",
                                     text: brokerAnswer.error.type + ": " + brokerAnswer.error.message +
                                           " (on " + brokerAnswer.error.where + ")" }));
      }
      return panel;
    }

    return {
      async update() {
        let t;
        try {
          t = await api("/api/tasks/" + encodeURIComponent(id));
        } catch (e) {
          clear(holder);
          holder.appendChild(h("h2", { class: "mono", text: id }));
          holder.appendChild(h("p", { class: "muted", text: e.message }));
          if (e.status === 404) {
            if (!brokerAnswer) askBroker();
            holder.appendChild(brokerPanel());
          }
          return;
        }
        if (unchanged(holder, [t, brokerAnswer])) return;
        clear(holder);
        holder.appendChild(h("h2", {}, h("span", { id: "task-name", text: t.name || "(unnamed)" }), " ",
                             h("span", { id: "task-state" }, stateBadge(t.state))));
        const actions = holder.appendChild(h("div", { class: "actions" }));
        if (!t.finished_state) {
          actions.appendChild(h("button", { class: "danger", id: "revoke", text: "Revoke",
            onclick: async () => {
              const r = await control("/api/tasks/" + id + "/revoke", "revoke");
              if (r) flash("Revoke sent for " + id + ".");
              refresh();
            } }));
          actions.appendChild(h("button", { class: "danger", id: "terminate", text: "Terminate",
            title: "revoke, and kill a running process-pool task's child",
            onclick: async () => {
              const r = await control("/api/tasks/" + id + "/terminate", "terminate");
              if (r) flash("Terminate sent for " + id + ".");
              refresh();
            } }));
        }
        if (t.state === "dead") {
          actions.appendChild(h("button", { class: "primary retry", id: "retry", "data-task": id,
                                            text: "Retry",
            onclick: () => retryDead(id) }));
        }
        const facts = h("dl", { class: "facts" });
        const fact = (label, value, factId) => {
          if (value === "" || value === null || value === undefined) return;
          facts.appendChild(h("dt", { text: label }));
          facts.appendChild(h("dd", { id: factId, text: String(value) }));
        };
        fact("id", t.id, "task-id");
        fact("queue", t.queue);
        fact("worker", t.worker, "task-worker");
        fact("attempts", t.attempts, "task-attempts");
        fact("retries", t.retries);
        if (t.deaths) fact("deaths", t.deaths);
        if (t.priority !== null) fact("priority", t.priority);
        if (t.eta) fact("eta", dateTime(t.eta));
        if (t.countdown) fact("countdown", duration(t.countdown));
        if (t.expires) fact("expires", dateTime(t.expires));
        fact("client", t.client);
        fact("reason", t.reason, "task-reason");
        holder.appendChild(h("div", { class: "panel" }, facts));

        const timings = h("dl", { class: "facts", id: "task-timings" });
        for (const [label, value] of [["sent", t.sent], ["received", t.received],
                                      ["started", t.started], ["finished", t.finished]]) {
          timings.appendChild(h("dt", { text: label }));
          timings.appendChild(h("dd", { "data-timing": label, text: value ? dateTime(value) : "–" }));
        }
        timings.appendChild(h("dt", { text: "runtime" }));
        timings.appendChild(h("dd", { id: "task-runtime", text: t.runtime === null ? "–" : duration(t.runtime) }));
        if (t.sent && t.started) {
          timings.appendChild(h("dt", { text: "waited" }));
          timings.appendChild(h("dd", { text: duration(t.started - t.sent) }));
        }
        holder.appendChild(h("div", { class: "panel" }, h("h3", { text: "Timings" }), timings));

        const io = h("div", { class: "panel" }, h("h3", { text: "Arguments" }));
        io.appendChild(t.args !== null
          ? h("pre", { id: "task-args", text: pretty(t.args) })
          : h("p", { class: "muted", text: t.args_bytes ? count(t.args_bytes) + " bytes: too large for the event stream" : "not seen (the dashboard started after it was sent)" }));
        if (t.exception || t.traceback) {
          io.appendChild(h("h3", { text: "Error" }));
          io.appendChild(h("pre", { class: "error", id: "task-exception", text: t.exception }));
          if (t.traceback && t.traceback !== t.exception) {
            io.appendChild(h("h3", { text: "Traceback" }));
            io.appendChild(h("pre", { class: "error", id: "task-traceback", text: t.traceback }));
          }
        }
        if (t.state === "succeeded") {
          io.appendChild(h("h3", { text: "Result" }));
          if (t.has_result) io.appendChild(h("pre", { id: "task-result", text: pretty(t.result) }));
          else io.appendChild(h("p", { class: "muted", text: t.result_bytes ? count(t.result_bytes) + " bytes: too large for the event stream" : "not in the event" }));
        }
        holder.appendChild(io);
        if (t.state === "succeeded" && !t.has_result) holder.appendChild(brokerPanel());
        else if (brokerAnswer) holder.appendChild(brokerPanel());

        const rows = t.attempt_log.map((a) => h("tr", { class: "attempt-row" },
          h("td", { class: "num", text: a.number }),
          h("td", { text: a.worker }),
          h("td", { text: clock(a.received) }),
          h("td", { text: clock(a.started) }),
          h("td", { text: clock(a.ended) }),
          h("td", {}, stateBadge(a.outcome)),
          h("td", { class: "mono", text: a.exception })));
        holder.appendChild(h("div", { class: "panel" }, h("h3", { text: "Attempts" }),
                             table([["#", "num"], ["Worker"], ["Received"], ["Started"], ["Ended"],
                                    ["Outcome"], ["Error"]], rows, "Not dispatched yet.")));
      },
    };
  }

  async function retryDead(id) {
    const r = await control("/api/dead/" + id + "/retry", "retry");
    if (r) flash("Retry sent for " + id + ": it runs again.");
    refresh();
  }

  // ---- dead letters ----

  function deadView(view) {
    view.appendChild(h("h2", { text: "Dead letters" }));
    view.appendChild(h("p", { class: "muted",
                              text: "Tasks set aside after killing their worker during each of the broker's " +
                                    "--max-attempts attempts. Retry runs one again." }));
    const panel = view.appendChild(h("div", { class: "panel", id: "dead" }));
    return {
      async update() {
        const data = await api("/api/dead");
        if (unchanged(panel, data.rows.map((d) => [d.task, d.attempts, d.deaths, d.reason]).concat([data.error || ""]))) return;
        clear(panel);
        inspectNote(panel, data, "dead");
        const rows = data.rows.map((d) => h("tr", { class: "dead-row", "data-task-id": d.task },
          h("td", { class: "id" }, h("a", { href: "#/task/" + d.task, text: d.task })),
          h("td", { text: d.name }),
          h("td", { text: d.queue }),
          h("td", { class: "num", text: d.attempts }),
          h("td", { class: "num", text: d.deaths }),
          h("td", { text: d.reason }),
          h("td", { text: d.age_s === undefined ? "" : duration(d.age_s) }),
          h("td", {}, h("button", { class: "primary retry", "data-task": d.task, text: "Retry",
                                    onclick: () => retryDead(d.task) }))));
        panel.appendChild(table([["Task"], ["Name"], ["Queue"], ["Attempts", "num"], ["Deaths", "num"],
                                 ["Reason"], ["Age"], [""]], rows,
                                data.code === "forbidden" ? "The broker shows dead letters to admin keys only."
                                                          : "No dead letter."));
      },
    };
  }

  // ---- rate limits ----

  function limitsView(view) {
    view.appendChild(h("h2", { text: "Rate limits" }));
    const panel = view.appendChild(h("div", { class: "panel", id: "limits" }));
    return {
      async update() {
        const data = await api("/api/limits");
        clear(panel);
        inspectNote(panel, data, "limits");
        const rows = data.rows.map((l) => h("tr", {},
          h("td", { text: l.name }),
          h("td", { class: "num", text: l.per_second })));
        panel.appendChild(table([["Task"], ["Tasks per second", "num"]], rows,
                                "No rate limit (shoal-broker --rate-limits 'name=N/s')."));
      },
    };
  }

  // ---- charts: inline SVG, drawn here ----

  const SVG = "http://www.w3.org/2000/svg";
  function s(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (value <= step * power) return step * power;
    }
    return 10 * power;
  }

  // series: [{values, cls, label}], each a list of numbers or null, oldest first.
  function lineChart(series, unit) {
    const width = 600, height = 180, left = 44, right = 8, top = 8, bottom = 22;
    const svg = s("svg", { viewBox: "0 0 " + width + " " + height,
                           role: "img" });
    let max = 0;
    for (const one of series) for (const v of one.values) if (v !== null && v > max) max = v;
    max = niceMax(max);
    const n = series[0].values.length;
    const x = (i) => left + (width - left - right) * (n <= 1 ? 0 : i / (n - 1));
    const y = (v) => top + (height - top - bottom) * (1 - v / max);
    for (const frac of [0, 0.5, 1]) {
      const yy = y(max * frac);
      svg.appendChild(s("line", { x1: left, x2: width - right, y1: yy, y2: yy, class: "grid" }));
      const label = s("text", { x: left - 4, y: yy + 3, "text-anchor": "end", class: "axis" });
      const value = max * frac;
      label.textContent = (value >= 100 ? value.toFixed(0) : +value.toFixed(2)) + (frac === 1 ? unit : "");
      svg.appendChild(label);
    }
    for (const [i, text] of [[0, "-60 min"], [Math.floor((n - 1) / 2), "-30 min"], [n - 1, "now"]]) {
      const label = s("text", { x: x(i), y: height - 6, class: "axis",
                                "text-anchor": i === 0 ? "start" : i === n - 1 ? "end" : "middle" });
      label.textContent = text;
      svg.appendChild(label);
    }
    for (const one of series) {
      let d = "";
      let pen = false;
      one.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
        pen = true;
      });
      if (d) svg.appendChild(s("path", { d: d, class: one.cls, "data-series": one.label }));
    }
    return svg;
  }

  function chartsView(view) {
    view.appendChild(h("h2", { text: "The last hour" }));
    const grid = view.appendChild(h("div", { class: "charts", id: "charts" }));
    return {
      async update() {
        const data = await api("/api/series");
        const perSecond = (values) => values.map((v) => v === null ? null : v / data.step);
        clear(grid);
        const charts = [
          ["Throughput", "tasks per second, in 10 s steps: succeeded (green), sent (violet)",
           [{ values: perSecond(data.succeeded), cls: "line-ok", label: "succeeded" },
            { values: perSecond(data.sent), cls: "line-sent", label: "sent" }], "/s", "chart-throughput"],
          ["Failures", "failed and dead-lettered (red), retried (amber), per second",
           [{ values: perSecond(data.failed), cls: "line-bad", label: "failed" },
            { values: perSecond(data.retried), cls: "line-warn", label: "retried" }], "/s", "chart-failures"],
          ["Queue depth", "tasks waiting in every queue, as polled",
           [{ values: data.depth, cls: "line-depth", label: "depth" }], "", "chart-depth"],
        ];
        for (const [title, legend, series, unit, id] of charts) {
          grid.appendChild(h("div", { class: "panel chart", id: id },
                             h("div", { class: "title", text: title }),
                             lineChart(series, unit),
                             h("div", { class: "legend", text: legend })));
        }
      },
    };
  }

  // ---- start ----

  takeTokenFromUrl();
  window.addEventListener("hashchange", () => { takeTokenFromUrl(); render(); });
  if (!window.location.hash || window.location.hash === "#") {
    history.replaceState(null, "", window.location.pathname + "#/workers");
  }
  render();
  setInterval(refresh, REFRESH_MS);
})();
