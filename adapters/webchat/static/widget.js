/* Threadline web chat widget. Plain JavaScript, no build step.
 * Embed: <script src="https://support.example.com/chat/widget.js" async></script>
 * Options (data attributes on the script tag): data-open="true" starts open;
 * data-widget="sales" names this widget (1-32 of a-z 0-9 - _) so routing
 * rules (when.to) can send its new conversations to a department.
 * Messages are rendered with textContent only: customer and staff text can
 * never become HTML. */
(function () {
  "use strict";
  if (window.Threadline) return;
  var script = document.currentScript || (function () {
    var s = document.querySelectorAll('script[src*="/chat/widget.js"]');
    return s[s.length - 1];
  })();
  var widget = (script.getAttribute("data-widget") || "").trim().toLowerCase();
  if (widget && !/^[a-z0-9_-]{1,32}$/.test(widget)) {
    if (window.console) console.warn("Threadline: data-widget must be 1-32 of a-z 0-9 - _; ignored");
    widget = "";
  }
  var base = new URL(script.src, location.href);
  var origin = base.origin;
  var api = origin + "/chat/api";
  var wsURL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/chat/ws";
  var store = {
    get: function (k) { try { return localStorage.getItem("threadline:" + origin + ":" + k) || ""; } catch (e) { return ""; } },
    set: function (k, v) { try { localStorage.setItem("threadline:" + origin + ":" + k, v); } catch (e) {} }
  };

  var css = [
    ":host{all:initial}",
    ".tl-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;",
    "background:#2d5be3;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".tl-panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:480px;",
    "max-height:calc(100vh - 120px);display:none;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;",
    "box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;color:#1c1e21}",
    ".tl-panel.open{display:flex}",
    ".tl-head{background:#2d5be3;color:#fff;padding:12px 14px;font-weight:600;display:flex;justify-content:space-between}",
    ".tl-head button{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}",
    ".tl-status{font-size:12px;padding:4px 14px;color:#666;background:#f4f5f7;min-height:16px}",
    ".tl-status.err{color:#b00020}",
    ".tl-list{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".tl-msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".tl-msg.customer{align-self:flex-end;background:#2d5be3;color:#fff}",
    ".tl-msg.staff{align-self:flex-start;background:#eef0f4}",
    ".tl-msg.greeting{align-self:flex-start;background:#eef0f4;color:#444}",
    ".tl-msg.pending{opacity:.6}",
    ".tl-file{margin-top:6px}.tl-file img{max-width:100%;max-height:200px;border-radius:8px;display:block}",
    ".tl-file a{color:inherit}",
    ".tl-author{display:block;font-size:11px;font-weight:600;color:#555;margin-bottom:2px}",
    ".tl-profile{display:flex;gap:6px;padding:6px 12px 0}",
    ".tl-profile input{flex:1;min-width:0;padding:6px;border:1px solid #ccd;border-radius:6px;font:inherit}",
    ".tl-form{display:flex;gap:6px;padding:10px 12px;border-top:1px solid #e4e6eb}",
    ".tl-form textarea{flex:1;resize:none;height:40px;padding:8px;border:1px solid #ccd;border-radius:8px;font:inherit}",
    ".tl-form button{border:0;border-radius:8px;background:#2d5be3;color:#fff;padding:0 14px;font-weight:600;cursor:pointer}"
  ].join("");

  var host = document.createElement("div");
  host.id = "threadline-chat";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = '<style>' + css + '</style>' +
    '<button class="tl-launch" part="launcher" data-testid="launcher">Chat with us</button>' +
    '<div class="tl-panel" role="dialog" aria-label="Chat">' +
    '<div class="tl-head"><span class="tl-title">Chat with us</span><button class="tl-close" aria-label="Close">×</button></div>' +
    '<div class="tl-status" aria-live="polite"></div>' +
    '<div class="tl-list" data-testid="messages"></div>' +
    '<div class="tl-profile"><input class="tl-name" placeholder="Your name (optional)" maxlength="100">' +
    '<input class="tl-email" type="email" placeholder="Email (optional)" maxlength="150"></div>' +
    '<form class="tl-form"><textarea class="tl-input" placeholder="Write a message…" aria-label="Message" data-testid="input"></textarea>' +
    '<button type="submit" data-testid="send">Send</button></form></div>';
  var $ = function (sel) { return root.querySelector(sel); };
  var panel = $(".tl-panel"), list = $(".tl-list"), status = $(".tl-status"), input = $(".tl-input");
  var nameEl = $(".tl-name"), emailEl = $(".tl-email"), profile = $(".tl-profile");

  var token = store.get("token");
  var lastId = 0;
  var shown = {};   // message id -> element
  var pending = {}; // client_id -> {text, el}
  var ws = null, wsReady = false, backoff = 1000, started = false, maxChars = 4000;
  nameEl.value = store.get("name");
  emailEl.value = store.get("email");
  if (store.get("profileDone")) profile.style.display = "none";

  function setStatus(text, isErr) {
    status.textContent = text || "";
    status.className = "tl-status" + (isErr ? " err" : "");
  }

  function bubble(cls, text, author) {
    var el = document.createElement("div");
    el.className = "tl-msg " + cls;
    if (author) {
      var a = document.createElement("span");
      a.className = "tl-author";
      a.textContent = author;
      el.appendChild(a);
    }
    el.appendChild(document.createTextNode(text));
    list.appendChild(el);
    list.scrollTop = list.scrollHeight;
    return el;
  }

  // attachment shows a file: an image inline, another file as a download
  // link, a file the server does not keep as its name only. Links are
  // signed for this visitor and expire; the history refreshes them.
  function attachment(a) {
    var box = document.createElement("div");
    box.className = "tl-file";
    var safe = a.url && /^https?:\/\//.test(a.url);
    if (safe && /^image\/(png|jpeg|gif|webp)$/.test(a.mime || "")) {
      var img = document.createElement("img");
      img.src = a.url;
      img.alt = a.name;
      img.loading = "lazy";
      img.setAttribute("data-testid", "image");
      var link = document.createElement("a");
      link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer";
      link.appendChild(img);
      box.appendChild(link);
      return box;
    }
    var el = document.createElement(safe ? "a" : "span");
    el.textContent = "📎 " + a.name;
    if (safe) { el.href = a.url; el.target = "_blank"; el.rel = "noopener noreferrer"; el.setAttribute("data-testid", "file"); }
    box.appendChild(el);
    return box;
  }

  function render(m) {
    if (shown[m.id]) return;
    var p = m.client_id && pending[m.client_id];
    if (p) {
      p.el.classList.remove("pending");
      p.el.setAttribute("data-id", m.id);
      shown[m.id] = p.el;
      delete pending[m.client_id];
    } else {
      var el = bubble(m.from === "staff" ? "staff" : "customer", m.text, m.from === "staff" ? m.author : "");
      (m.attachments || []).forEach(function (a) { el.appendChild(attachment(a)); });
      el.setAttribute("data-id", m.id);
      el.setAttribute("data-from", m.from);
      shown[m.id] = el;
    }
    if (m.id > lastId) lastId = m.id;
  }

  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, mode: "cors" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.error || ("HTTP " + r.status)); e.status = r.status; e.code = j.code; e.retryAfter = +r.headers.get("Retry-After") || 0; throw e; }
          return j;
        });
      });
  }

  function session() {
    return request("POST", "/session", { token: token }).then(function (s) {
      token = s.token;
      store.set("token", token);
      maxChars = s.max_chars || maxChars;
      $(".tl-title").textContent = s.title;
      if (!list.querySelector(".greeting") && s.greeting) bubble("greeting", s.greeting);
    });
  }

  function history() {
    return request("GET", "/messages?after=" + lastId).then(function (h) { h.messages.forEach(render); });
  }

  function connect() {
    try { ws = new WebSocket(wsURL); } catch (e) { return retryConnect(); }
    ws.onopen = function () {
      var hello = { type: "auth", token: token };
      if (widget) hello.widget = widget;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "ready") {
        wsReady = true; backoff = 1000; setStatus("");
        history().catch(function () {});
        Object.keys(pending).forEach(function (id) { transmit(id); });
      } else if (f.type === "message" || f.type === "ack") {
        if (f.message) render(f.message);
      } else if (f.type === "error") {
        if (f.code === "bad_token" || f.code === "expired_token") { token = ""; store.set("token", ""); }
        if (f.code === "rate_limited" && f.client_id && pending[f.client_id]) {
          setStatus("Sending too fast; retrying in " + Math.ceil(f.retry_after) + "s", true);
          setTimeout(function () { transmit(f.client_id); }, Math.ceil(f.retry_after) * 1000);
        } else {
          setStatus(f.error, true);
        }
      }
    };
    ws.onclose = function () { wsReady = false; retryConnect(); };
  }

  function retryConnect() {
    setStatus("Reconnecting…");
    setTimeout(function () { (token ? Promise.resolve() : session()).then(connect, retryConnect); }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function transmit(clientId) {
    var p = pending[clientId];
    if (!p) return;
    var frame = { text: p.text, client_id: clientId, name: nameEl.value.trim(), email: emailEl.value.trim() };
    if (widget) frame.widget = widget;
    if (wsReady && ws && ws.readyState === 1) {
      frame.type = "message";
      ws.send(JSON.stringify(frame));
      return;
    }
    request("POST", "/messages", frame).then(function (r) { render(r.message); setStatus(""); }, function (e) {
      if (e.status === 429) {
        setStatus("Sending too fast; retrying in " + (e.retryAfter || 5) + "s", true);
        setTimeout(function () { transmit(clientId); }, (e.retryAfter || 5) * 1000);
      } else if (e.status >= 500 || !e.status) {
        setStatus("Not sent yet; retrying…", true);
        setTimeout(function () { transmit(clientId); }, 3000);
      } else {
        setStatus(e.message, true);
        p.el.classList.add("failed");
      }
    });
  }

  function send(text) {
    text = (text || "").trim();
    if (!text) return;
    if (text.length > maxChars) { setStatus("Message too long (at most " + maxChars + " characters)", true); return; }
    var clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");
    pending[clientId] = { text: text, el: bubble("customer pending", text) };
    store.set("name", nameEl.value.trim());
    store.set("email", emailEl.value.trim());
    if (!store.get("profileDone")) { store.set("profileDone", "1"); profile.style.display = "none"; }
    transmit(clientId);
  }

  function start() {
    if (started) return;
    started = true;
    setStatus("Connecting…");
    session().then(history).then(connect).catch(function (e) { setStatus(e.message, true); started = false; setTimeout(start, 5000); });
  }

  function open() { panel.classList.add("open"); start(); input.focus(); }
  function close() { panel.classList.remove("open"); }

  $(".tl-launch").addEventListener("click", function () { panel.classList.contains("open") ? close() : open(); });
  $(".tl-close").addEventListener("click", close);
  $(".tl-form").addEventListener("submit", function (ev) { ev.preventDefault(); send(input.value); input.value = ""; });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); send(input.value); input.value = ""; }
  });

  function mount() {
    document.body.appendChild(host);
    if (script.getAttribute("data-open") === "true" || token) open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
  window.Threadline = { open: open, close: close, send: send };
})();
