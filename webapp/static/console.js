/* The staff console shell: one login for every /console page, the bearer token and its refresh, API calls with
   Chinese error texts, toasts, China time, navigation by role and the live pulse (queue counts polled with an
   ETag, a badge and an optional sound; supervisors also the open surge alerts of their region, on 督办).
   Each page script calls Console.ready(fn) and gets the signed-in user. */
(function () {
  "use strict";
  var TOKEN = "console-token", USER = "console-user", EXPIRES = "console-expires", SOUND = "console-sound";
  var PULSE_MS = 5000, REFRESH_BEFORE_MS = 60 * 60 * 1000;
  var $ = function (id) { return document.getElementById(id); };
  var state = { token: sessionStorage.getItem(TOKEN), user: null, ready: [], pulse: [], etag: null, last: null,
                timer: null, session: 0 };
  try { state.user = JSON.parse(sessionStorage.getItem(USER) || "null"); } catch (e) { state.user = null; }

  var ROLE_LABELS = { admin: "管理员", operator: "话务座席", unit: "承办单位", supervisor: "督办人员",
                      editor: "知识库编辑", publisher: "知识库发布" };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);  // always escaped
    if (cls) node.className = cls;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // ---- toasts ------------------------------------------------------------------------------------------
  var hideTimer = null;
  function say(text, ok) {
    var m = $("msg");
    m.textContent = text; m.className = ok ? "ok" : "err";
    clearTimeout(hideTimer);
    if (ok) hideTimer = setTimeout(function () { m.classList.add("faded"); }, 8000);
  }
  function hush() { var m = $("msg"); m.textContent = ""; m.className = ""; }

  // ---- China time, whatever the browser's own zone -----------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function china(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? null : new Date(d.getTime() + 8 * 3600000);
  }
  function fmt(iso) {
    if (!iso) return "";
    var bj = china(iso);
    if (!bj) return String(iso);
    return bj.getUTCFullYear() + "-" + pad(bj.getUTCMonth() + 1) + "-" + pad(bj.getUTCDate()) + " " +
      pad(bj.getUTCHours()) + ":" + pad(bj.getUTCMinutes());
  }
  function fmtSeconds(iso) {
    var bj = iso && china(iso);
    return bj ? fmt(iso) + ":" + pad(bj.getUTCSeconds()) : "";
  }
  // the value of a datetime-local input (China time) for an ISO time
  function toLocalInput(iso) { return iso ? fmt(iso).replace(" ", "T") : ""; }
  function maskPhone(p) {
    p = p || "";
    if (!p || p.indexOf("*") >= 0) return p;
    if (p.length <= 7) return new Array(p.length + 1).join("*");
    return p.slice(0, 3) + new Array(p.length - 6).join("*") + p.slice(-4);
  }

  // ---- API ---------------------------------------------------------------------------------------------
  var fieldLabels = {};
  function errorText(body, status) {
    if (!body || !body.error) return "操作失败（HTTP " + status + "）";
    var e = body.error, lines = [e.message || "操作失败"], details = e.details || {};
    if (e.code !== "validation_error") return lines.join("\n");  // domain errors say it all in the message
    ["json", "query", "files", "form"].forEach(function (loc) {
      if (details[loc] && typeof details[loc] === "object") details = details[loc];
    });
    Object.keys(details).forEach(function (k) {
      var v = details[k];
      if (Array.isArray(v) && typeof v[0] === "string") lines.push((fieldLabels[k] || k) + "：" + v.join("；"));
    });
    return lines.join("\n");
  }
  function api(method, path, body, opts) {
    opts = opts || {};
    var init = { method: method, headers: opts.headers || {} }, session = state.session;
    if (state.token) init.headers.Authorization = "Bearer " + state.token;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined && body !== null) {
      init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (resp) {
      // an answer to an earlier login (signed out meanwhile) is dropped, never shown to the next user
      if (session !== state.session) return new Promise(function () {});
      return resp.json().catch(function () { return null; }).then(function (data) {
        if (resp.status === 401 && path !== "/api/auth/login") { signOut(true); }
        if (!resp.ok) {
          var err = new Error(errorText(data, resp.status)); err.status = resp.status; err.body = data; throw err;
        }
        return opts.withStatus ? { status: resp.status, data: data } : data;
      });
    }, function () { throw new Error("网络连接失败，请检查网络后重试"); });
  }
  // files need the bearer token: they come through fetch and are saved from a blob
  function saveFile(path, filename) {
    return fetch(path, { headers: { Authorization: "Bearer " + state.token } })
      .then(function (resp) {
        if (!resp.ok) return resp.json().catch(function () { return null; })
          .then(function (d) { throw new Error(errorText(d, resp.status)); });
        return resp.blob();
      })
      .then(function (blob) {
        var url = URL.createObjectURL(blob), link = document.createElement("a");
        link.href = url; link.download = filename;
        document.body.appendChild(link); link.click(); link.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      })
      .catch(function (e) { say(e.message || "下载失败"); });
  }

  // ---- who may see what ----------------------------------------------------------------------------------
  function has(role) {
    var roles = (state.user && state.user.roles) || [];
    return roles.indexOf("admin") >= 0 || roles.indexOf(role) >= 0;
  }
  function hasAny(roles) { return roles.some(has); }
  function pageRoles() {
    var r = document.body.getAttribute("data-roles");
    return r ? r.split(",") : [];
  }
  function renderNav() {
    var first = null;
    document.querySelectorAll("#menu a[data-roles]").forEach(function (a) {
      var ok = hasAny(a.getAttribute("data-roles").split(","));
      a.classList.toggle("hidden", !ok);
      if (ok && !first) first = a.getAttribute("href");
    });
    $("menu").classList.remove("hidden");
    var who = $("who");
    who.textContent = state.user.display_name + "（" +
      (state.user.roles || []).map(function (r) { return ROLE_LABELS[r] || r; }).join("、") + "）";
    who.classList.remove("hidden"); $("logout").classList.remove("hidden"); $("sound-box").classList.remove("hidden");
    return first;
  }

  // ---- sign in, sign out, refresh ------------------------------------------------------------------------
  function store(d) {
    state.token = d.token; state.user = d.user;
    sessionStorage.setItem(TOKEN, d.token); sessionStorage.setItem(USER, JSON.stringify(d.user));
    sessionStorage.setItem(EXPIRES, d.expires_at || "");
  }
  function enter(welcome) {
    var roles = pageRoles();
    if (roles.length && !hasAny(roles)) {
      var first = renderNav();
      if (first) { location.replace(first); return; }
      say("您的账号没有可用的工作台，请联系管理员分配角色"); return;
    }
    renderNav();
    $("login").classList.add("hidden"); $("workarea").classList.remove("hidden");
    if (welcome) say("欢迎，" + state.user.display_name, true);
    state.ready.forEach(function (fn) { fn(state.user); });
    startPulse();
    scheduleRefresh();
  }
  function signOut(expired) {
    var token = state.token;
    state.session++;
    state.token = null; state.user = null;
    [TOKEN, USER, EXPIRES].forEach(function (k) { sessionStorage.removeItem(k); });
    if (expired) sessionStorage.setItem("console-expired", "1");
    // the token is revoked before the page reloads (a reload would abort the request and leave it valid);
    // then every page starts clean: nothing of the last user stays in memory
    var revoked = token && !expired
      ? fetch("/api/auth/logout", { method: "POST", keepalive: true, headers: { Authorization: "Bearer " + token } })
          .catch(function () {})
      : Promise.resolve();
    revoked.then(function () { location.reload(); });
  }
  function showLogin() {
    $("login").classList.remove("hidden"); $("workarea").classList.add("hidden");
    if (sessionStorage.getItem("console-expired")) {
      sessionStorage.removeItem("console-expired"); say("登录已过期，请重新登录");
    }
    $("username").focus();
  }
  function scheduleRefresh() {
    var expires = Date.parse(sessionStorage.getItem(EXPIRES) || "");
    if (isNaN(expires)) return;
    var wait = Math.max(10000, expires - Date.now() - REFRESH_BEFORE_MS);
    setTimeout(function () {
      api("POST", "/api/auth/refresh").then(function (d) { store(d); scheduleRefresh(); })
        .catch(function () { /* a 401 signs out; anything else: the next call tells */ });
    }, Math.min(wait, 2147483000));
  }

  // ---- the live pulse: counts polled with an ETag (an unchanged answer is a 304 without a body) --------------
  function onPulse(fn) { state.pulse.push(fn); if (state.last) fn(state.last, null); }
  function beep() {
    if (localStorage.getItem(SOUND) !== "1") return;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1; osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio: the badge still shows it */ }
  }
  function badge(name, n, hot) {
    var b = document.querySelector("#menu a[data-page=" + name + "] .count");
    if (!b) return;
    b.textContent = n ? String(n) : "";
    b.classList.toggle("hidden", !n); b.classList.toggle("hot", !!hot);
  }
  function pulse() {
    if (!state.token || document.hidden && state.last) return;
    var headers = {};
    if (state.etag) headers["If-None-Match"] = state.etag;
    headers.Authorization = "Bearer " + state.token;
    var session = state.session;
    fetch("/api/console/pulse", { headers: headers }).then(function (resp) {
      if (session !== state.session) return;
      if (resp.status === 304) return;
      if (resp.status === 401) { signOut(true); return; }
      if (!resp.ok) return;
      state.etag = resp.headers.get("ETag");
      return resp.json().then(function (d) {
        var before = state.last;
        state.last = d;
        var title = [];
        if (d.handoffs) {
          badge("handoff", d.handoffs.queued, d.handoffs.urgent);
          if (d.handoffs.queued) title.push(d.handoffs.queued);
        }
        if (d.orders) {
          badge("orders", d.orders.attention, d.orders.urgent);
        }
        if (d.alerts) badge("supervision", d.alerts.open, d.alerts.open);  // open surge alerts of one's region
        if (before && ((d.handoffs && before.handoffs && d.handoffs.newest > before.handoffs.newest) ||
                       (d.orders && before.orders && d.orders.newest_urgent > before.orders.newest_urgent) ||
                       (d.alerts && before.alerts && d.alerts.newest > before.alerts.newest))) {
          beep();
        }
        var base = document.title.replace(/^\(\d+\) /, "");
        document.title = (title.length ? "(" + title[0] + ") " : "") + base;
        state.pulse.forEach(function (fn) { fn(d, before); });
      });
    }).catch(function () { /* offline for a moment: the next beat tries again */ });
  }
  function startPulse() {
    if (state.timer) return;
    pulse();
    state.timer = setInterval(pulse, PULSE_MS);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) pulse(); });
  }

  // ---- start ---------------------------------------------------------------------------------------------
  function ready(fn) { state.ready.push(fn); }
  function boot() {
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/api/auth/login", { username: $("username").value, password: $("password").value })
        .then(function (d) {
          state.session++; store(d); $("password").value = ""; enter(true);
        }).catch(function (e) { say(e.message); });
    });
    $("logout").addEventListener("click", function () { signOut(false); });
    var sound = $("sound");
    sound.checked = localStorage.getItem(SOUND) === "1";
    sound.addEventListener("change", function () {
      localStorage.setItem(SOUND, sound.checked ? "1" : "0");
      if (sound.checked) beep();
    });
    if (!state.token) { showLogin(); return; }
    // the stored session: ask who it is now (roles may have changed, the account may be disabled)
    api("GET", "/api/auth/me").then(function (d) {
      state.user = d.user; sessionStorage.setItem(USER, JSON.stringify(d.user));
      if (d.expires_at) sessionStorage.setItem(EXPIRES, d.expires_at);
      enter(false);
    }).catch(function () { if (state.token) showLogin(); });
  }

  window.Console = {
    el: el, clear: clear, say: say, hush: hush, fmt: fmt, fmtSeconds: fmtSeconds, toLocalInput: toLocalInput,
    maskPhone: maskPhone, api: api, saveFile: saveFile, errorText: errorText, has: has, ready: ready,
    onPulse: onPulse, pulseNow: pulse, ROLE_LABELS: ROLE_LABELS,
    user: function () { return state.user; },
    setFieldLabels: function (labels) { fieldLabels = labels || {}; }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
