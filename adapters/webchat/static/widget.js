/* Threadline web chat widget. Plain JavaScript, no build step, no requests
 * to anyone but the Threadline server that served it.
 * Embed: <script src="https://support.example.com/chat/widget.js" async></script>
 * Script tag options (override config.yaml): data-open="true" starts open on
 * screens wider than 480 px (until the visitor closes it); data-widget="sales" names this widget (1-32 of
 * a-z 0-9 - _) for routing rules (when.to); data-lang="de"; data-theme="dark"
 * (light, dark, auto); data-color="#0a7d5a"; data-position="left";
 * data-sound="true".
 * JavaScript API: Threadline.open(), .close(), .toggle(), .send(text),
 * .identify({name, email, signature}), .reset(), .on(event, fn), .off(event, fn).
 * Events: ready, open, close, message {id, from, author, text}, unread {count},
 * typing {name}, identified {visitor}. Calls made before the script loaded:
 * window.Threadline = {q: [["identify", {...}], ["open"]]}.
 * A page opened with ?tl_resume=<token> (the link in an email of unseen
 * replies) resumes that visitor's chat and opens it.
 * Messages are rendered with textContent only: customer and staff text can
 * never become HTML. */
(function () {
  "use strict";
  var prior = window.Threadline;
  if (prior && prior.version) return;
  var CFG = /*threadline:config*/{};
  var script = document.currentScript || (function () {
    var s = document.querySelectorAll('script[src*="/chat/widget.js"]');
    return s[s.length - 1];
  })();
  function attr(n) { return ((script && script.getAttribute("data-" + n)) || "").trim(); }

  var I18N = {
    en: {
      launcher: "Chat with us", title: "Chat with us", greeting: "Hi! Ask us anything.",
      wait: "We usually answer within {wait}.",
      away: "We're away right now; we'll answer as soon as we're back.",
      awayUntil: "We're away right now; we'll answer when we're back ({when}).",
      close: "Close chat", messages: "Messages", placeholder: "Write a message…", send: "Send",
      attach: "Attach files", remove: "Remove {name}", drop: "Drop files to attach them",
      name: "Your name", email: "Email", department: "Department", choose: "Choose…", optional: "optional",
      required: "Please fill in: {field}", badEmail: "Please enter a valid email address.",
      connecting: "Connecting…", reconnecting: "Reconnecting…", tooFast: "Sending too fast; retrying in {s} s",
      retrying: "Not sent yet; retrying…", tooLong: "Message too long (at most {n} characters)",
      tooBig: "{name} is too large (at most {size})", badType: "{name}: this kind of file cannot be sent",
      tooMany: "At most {n} files per message", typing: "{name} is typing…", someone: "Support",
      seen: "Seen", you: "You", newMessage: "New message", unread: "{n} unread", file: "File",
      emailAsk: "Leaving? Get our replies by email.", emailSave: "Email me", emailNo: "No, thanks",
      emailSaved: "We'll email you the replies you miss: {email}",
      articles: "These articles may answer your question:", helped: "Did this answer your question?",
      helpedYes: "Yes, thanks", helpedNo: "No, I'll write to you", glad: "Glad it helped! You can still write to us any time.",
      readMore: "Read the whole article"
    },
    de: {
      launcher: "Schreiben Sie uns", title: "Schreiben Sie uns", greeting: "Hallo! Fragen Sie uns alles.",
      wait: "Wir antworten meist innerhalb von {wait}.",
      away: "Wir sind gerade nicht da und antworten, sobald wir zurück sind.",
      awayUntil: "Wir sind gerade nicht da und antworten, wenn wir zurück sind ({when}).",
      close: "Chat schließen", messages: "Nachrichten", placeholder: "Nachricht schreiben…", send: "Senden",
      attach: "Dateien anhängen", remove: "{name} entfernen", drop: "Dateien hier ablegen, um sie anzuhängen",
      name: "Ihr Name", email: "E-Mail", department: "Abteilung", choose: "Bitte wählen…", optional: "optional",
      required: "Bitte ausfüllen: {field}", badEmail: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
      connecting: "Verbinden…", reconnecting: "Verbindung wird wiederhergestellt…", tooFast: "Zu schnell gesendet; neuer Versuch in {s} s",
      retrying: "Noch nicht gesendet; neuer Versuch…", tooLong: "Nachricht zu lang (höchstens {n} Zeichen)",
      tooBig: "{name} ist zu groß (höchstens {size})", badType: "{name}: Diese Art von Datei kann nicht gesendet werden",
      tooMany: "Höchstens {n} Dateien pro Nachricht", typing: "{name} schreibt…", someone: "Support",
      seen: "Gesehen", you: "Sie", newMessage: "Neue Nachricht", unread: "{n} ungelesen", file: "Datei",
      emailAsk: "Sie gehen? Wir schicken Ihnen unsere Antworten per E-Mail.", emailSave: "Per E-Mail", emailNo: "Nein, danke",
      emailSaved: "Antworten, die Sie verpassen, schicken wir an {email}.",
      articles: "Diese Artikel beantworten vielleicht Ihre Frage:", helped: "Hat das Ihre Frage beantwortet?",
      helpedYes: "Ja, danke", helpedNo: "Nein, ich schreibe Ihnen", glad: "Schön, dass es geholfen hat! Sie können uns trotzdem jederzeit schreiben.",
      readMore: "Ganzen Artikel lesen"
    },
    fr: {
      launcher: "Discutons", title: "Discutez avec nous", greeting: "Bonjour ! Posez-nous vos questions.",
      wait: "Nous répondons généralement sous {wait}.",
      away: "Nous sommes absents pour le moment ; nous répondrons dès notre retour.",
      awayUntil: "Nous sommes absents pour le moment ; nous répondrons à notre retour ({when}).",
      close: "Fermer le chat", messages: "Messages", placeholder: "Écrivez un message…", send: "Envoyer",
      attach: "Joindre des fichiers", remove: "Retirer {name}", drop: "Déposez les fichiers pour les joindre",
      name: "Votre nom", email: "E-mail", department: "Service", choose: "Choisir…", optional: "facultatif",
      required: "Veuillez remplir : {field}", badEmail: "Veuillez saisir une adresse e-mail valide.",
      connecting: "Connexion…", reconnecting: "Reconnexion…", tooFast: "Envoi trop rapide ; nouvel essai dans {s} s",
      retrying: "Pas encore envoyé ; nouvel essai…", tooLong: "Message trop long ({n} caractères au maximum)",
      tooBig: "{name} est trop volumineux ({size} au maximum)", badType: "{name} : ce type de fichier ne peut pas être envoyé",
      tooMany: "{n} fichiers au maximum par message", typing: "{name} écrit…", someone: "Le support",
      seen: "Vu", you: "Vous", newMessage: "Nouveau message", unread: "{n} non lu(s)", file: "Fichier",
      emailAsk: "Vous partez ? Recevez nos réponses par e-mail.", emailSave: "Par e-mail", emailNo: "Non merci",
      emailSaved: "Nous enverrons les réponses que vous manquez à {email}.",
      articles: "Ces articles répondent peut-être à votre question :", helped: "Cela a-t-il répondu à votre question ?",
      helpedYes: "Oui, merci", helpedNo: "Non, je vous écris", glad: "Ravis d'avoir pu aider ! Vous pouvez toujours nous écrire.",
      readMore: "Lire l'article complet"
    },
    es: {
      launcher: "Chatea con nosotros", title: "Chatea con nosotros", greeting: "¡Hola! Pregúntanos lo que quieras.",
      wait: "Solemos responder en {wait}.",
      away: "Ahora mismo no estamos; responderemos en cuanto volvamos.",
      awayUntil: "Ahora mismo no estamos; responderemos cuando volvamos ({when}).",
      close: "Cerrar el chat", messages: "Mensajes", placeholder: "Escribe un mensaje…", send: "Enviar",
      attach: "Adjuntar archivos", remove: "Quitar {name}", drop: "Suelta los archivos para adjuntarlos",
      name: "Tu nombre", email: "Correo electrónico", department: "Departamento", choose: "Elige…", optional: "opcional",
      required: "Rellena: {field}", badEmail: "Introduce una dirección de correo válida.",
      connecting: "Conectando…", reconnecting: "Reconectando…", tooFast: "Demasiado rápido; se reintenta en {s} s",
      retrying: "Aún no enviado; reintentando…", tooLong: "Mensaje demasiado largo (máximo {n} caracteres)",
      tooBig: "{name} es demasiado grande (máximo {size})", badType: "{name}: este tipo de archivo no se puede enviar",
      tooMany: "Máximo {n} archivos por mensaje", typing: "{name} está escribiendo…", someone: "Soporte",
      seen: "Visto", you: "Tú", newMessage: "Nuevo mensaje", unread: "{n} sin leer", file: "Archivo",
      emailAsk: "¿Te vas? Recibe nuestras respuestas por correo.", emailSave: "Por correo", emailNo: "No, gracias",
      emailSaved: "Enviaremos las respuestas que no veas a {email}.",
      articles: "Estos artículos pueden responder a tu pregunta:", helped: "¿Ha respondido esto a tu pregunta?",
      helpedYes: "Sí, gracias", helpedNo: "No, prefiero escribiros", glad: "¡Nos alegra haber ayudado! Puedes escribirnos cuando quieras.",
      readMore: "Leer el artículo completo"
    },
    ru: {
      launcher: "Напишите нам", title: "Напишите нам", greeting: "Здравствуйте! Спрашивайте что угодно.",
      wait: "Обычное время ответа: {wait}.",
      away: "Сейчас мы не на связи; ответим, как только вернёмся.",
      awayUntil: "Сейчас мы не на связи; ответим, когда вернёмся ({when}).",
      close: "Закрыть чат", messages: "Сообщения", placeholder: "Напишите сообщение…", send: "Отправить",
      attach: "Прикрепить файлы", remove: "Убрать {name}", drop: "Перетащите файлы сюда, чтобы прикрепить",
      name: "Ваше имя", email: "Эл. почта", department: "Отдел", choose: "Выберите…", optional: "необязательно",
      required: "Заполните поле: {field}", badEmail: "Введите правильный адрес эл. почты.",
      connecting: "Подключение…", reconnecting: "Переподключение…", tooFast: "Слишком часто; повтор через {s} с",
      retrying: "Ещё не отправлено; повторяем…", tooLong: "Сообщение слишком длинное (не больше {n} символов)",
      tooBig: "{name}: файл слишком большой (не больше {size})", badType: "{name}: такие файлы отправлять нельзя",
      tooMany: "Не больше {n} файлов в сообщении", typing: "{name} печатает…", someone: "Поддержка",
      seen: "Просмотрено", you: "Вы", newMessage: "Новое сообщение", unread: "Непрочитанных: {n}", file: "Файл",
      emailAsk: "Уходите? Пришлём ответы на почту.", emailSave: "На почту", emailNo: "Нет, спасибо",
      emailSaved: "Ответы, которые вы пропустите, пришлём на {email}.",
      articles: "Возможно, эти статьи ответят на ваш вопрос:", helped: "Это ответило на ваш вопрос?",
      helpedYes: "Да, спасибо", helpedNo: "Нет, напишу вам", glad: "Рады, что помогло! Вы всегда можете нам написать.",
      readMore: "Читать статью полностью"
    },
    pt: {
      launcher: "Fale conosco", title: "Fale conosco", greeting: "Olá! Pergunte o que quiser.",
      wait: "Costumamos responder em até {wait}.",
      away: "Estamos ausentes agora; responderemos assim que voltarmos.",
      awayUntil: "Estamos ausentes agora; responderemos quando voltarmos ({when}).",
      close: "Fechar o chat", messages: "Mensagens", placeholder: "Escreva uma mensagem…", send: "Enviar",
      attach: "Anexar arquivos", remove: "Remover {name}", drop: "Solte os arquivos para anexá-los",
      name: "Seu nome", email: "E-mail", department: "Departamento", choose: "Escolha…", optional: "opcional",
      required: "Preencha: {field}", badEmail: "Informe um endereço de e-mail válido.",
      connecting: "Conectando…", reconnecting: "Reconectando…", tooFast: "Envio rápido demais; nova tentativa em {s} s",
      retrying: "Ainda não enviado; tentando novamente…", tooLong: "Mensagem longa demais (no máximo {n} caracteres)",
      tooBig: "{name} é grande demais (no máximo {size})", badType: "{name}: este tipo de arquivo não pode ser enviado",
      tooMany: "No máximo {n} arquivos por mensagem", typing: "{name} está digitando…", someone: "Suporte",
      seen: "Visto", you: "Você", newMessage: "Nova mensagem", unread: "{n} não lida(s)", file: "Arquivo",
      emailAsk: "Vai sair? Receba nossas respostas por e-mail.", emailSave: "Por e-mail", emailNo: "Não, obrigado",
      emailSaved: "Enviaremos as respostas que você perder para {email}.",
      articles: "Estes artigos podem responder à sua pergunta:", helped: "Isso respondeu à sua pergunta?",
      helpedYes: "Sim, obrigado", helpedNo: "Não, vou escrever para vocês", glad: "Que bom que ajudou! Você pode nos escrever quando quiser.",
      readMore: "Ler o artigo completo"
    }
  };

  var lang = "en";
  function pickLang() {
    var c = [attr("lang"), CFG.language, document.documentElement.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < c.length; i++) {
      var l = String(c[i] || "").toLowerCase().split(/[-_]/)[0];
      if (I18N[l]) return l;
    }
    return "en";
  }
  function t(key, vars) {
    var o = CFG.strings || {};
    var s = (o[lang] && o[lang][key]) || (o["*"] && o["*"][key]) || I18N[lang][key] || I18N.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] != null ? vars[k] : m; });
  }
  function unitFmt(n, unit) {
    try { return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "long", maximumFractionDigits: 1 }).format(n); }
    catch (e) { return n + " " + unit + (n === 1 ? "" : "s"); }
  }
  function fmtWait(s) {
    if (s <= 90) return unitFmt(1, "minute");
    if (s < 3600) return unitFmt(Math.round(s / 60), "minute");
    if (s < 129600) return unitFmt(Math.round(s / 3600), "hour");
    return unitFmt(Math.round(s / 86400), "day");
  }
  function fmtWhen(iso) {
    var d = new Date(iso);
    try { return new Intl.DateTimeFormat(lang, { weekday: "long", hour: "numeric", minute: "2-digit" }).format(d); }
    catch (e) { return d.toLocaleString(); }
  }
  function fmtSize(b) {
    return b >= 1048576 ? unitFmt(Math.round(b / 104857.6) / 10, "megabyte") : unitFmt(Math.max(1, Math.round(b / 1024)), "kilobyte");
  }

  var widget = attr("widget").toLowerCase();
  if (widget && !/^[a-z0-9_-]{1,32}$/.test(widget)) {
    if (window.console) console.warn("Threadline: data-widget must be 1-32 of a-z 0-9 - _; ignored");
    widget = "";
  }
  var base = new URL(script.src, location.href);
  var origin = base.origin;
  var apiBase = origin + "/chat/api";
  var wsURL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/chat/ws";
  var store = {
    get: function (k) { try { return localStorage.getItem("threadline:" + origin + ":" + k) || ""; } catch (e) { return ""; } },
    set: function (k, v) { try { localStorage.setItem("threadline:" + origin + ":" + k, v); } catch (e) {} }
  };

  var color = /^#[0-9a-f]{6}$/i.test(attr("color")) ? attr("color") : (CFG.color || "#2d5be3");
  function onAccent(hex) {
    var l = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2] > 0.179 ? "#111" : "#fff";
  }
  var dark = "--tl-bg:#1e2024;--tl-fg:#e8eaed;--tl-muted:#a9b0bb;--tl-soft:#2d3036;--tl-line:#474b53;--tl-field:#16181b;--tl-err:#ff8a80;";
  var css = [
    ":host{all:initial;--tl-bg:#fff;--tl-fg:#1c1e21;--tl-muted:#5b626c;--tl-soft:#eef0f4;--tl-line:#c9ced6;--tl-field:#fff;--tl-err:#b00020}",
    ":host(.dark){" + dark + "}@media (prefers-color-scheme:dark){:host(.auto){" + dark + "}}",
    "*{box-sizing:border-box}[hidden]{display:none!important}",
    ".tl-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;border:0;border-radius:24px;",
    "padding:12px 18px;background:var(--tl-accent);color:var(--tl-on);font:600 15px/1.2 system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".tl-launch svg{width:20px;height:20px;fill:currentColor;flex:none}",
    ".tl-badge{position:absolute;top:-7px;right:-7px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d93025;color:#fff;",
    "font:700 12px/18px system-ui,sans-serif;text-align:center;border:2px solid #fff}",
    ".tl-panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:360px;max-width:calc(100vw - 24px);height:540px;",
    "max-height:calc(100vh - 108px);display:none;flex-direction:column;background:var(--tl-bg);color:var(--tl-fg);border-radius:14px;",
    "overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif}",
    ":host(.left) .tl-launch,:host(.left) .tl-panel{right:auto;left:20px}",
    ".tl-panel.open{display:flex}",
    "@media (max-width:480px){:host .tl-panel,:host(.left) .tl-panel{inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}",
    ":host(.open) .tl-launch{display:none}}",
    ".tl-head{background:var(--tl-accent);color:var(--tl-on);padding:10px 8px 10px 14px;display:flex;align-items:center;justify-content:space-between}",
    ".tl-title{font-size:15px;font-weight:600;margin:0}",
    ".tl-close{background:none;border:0;color:inherit;font-size:24px;line-height:1;cursor:pointer;padding:4px 10px;border-radius:6px}",
    ".tl-status{font-size:12px;padding:4px 14px;color:var(--tl-muted);background:var(--tl-soft)}.tl-status:empty{display:none}",
    ".tl-status.err{color:var(--tl-err)}",
    ".tl-list{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}",
    ".tl-msg{max-width:82%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".tl-msg.customer{align-self:flex-end;background:var(--tl-accent);color:var(--tl-on)}",
    ".tl-msg.staff,.tl-msg.greeting{align-self:flex-start;background:var(--tl-soft)}",
    ".tl-msg.pending{opacity:.6}.tl-msg.failed{outline:2px solid var(--tl-err)}",
    ".tl-author{display:block;font-size:11px;font-weight:600;color:var(--tl-muted);margin-bottom:2px}",
    ".tl-seen{display:block;font-size:11px;text-align:right;opacity:.85;margin-top:2px}",
    ".tl-file{margin-top:6px}.tl-file img{max-width:100%;max-height:200px;border-radius:8px;display:block}.tl-file a{color:inherit}",
    ".tl-ask{align-self:stretch;display:flex;flex-wrap:wrap;gap:6px;align-items:center;padding:8px;border:1px solid var(--tl-line);",
    "border-radius:10px;font-size:13px}.tl-ask span{flex:1 1 100%}.tl-ask input{flex:1;min-width:0;padding:6px;border:1px solid var(--tl-line);",
    "border-radius:6px;font:inherit;color:var(--tl-fg);background:var(--tl-field)}.tl-ask button{border:0;border-radius:6px;padding:6px 10px;",
    "font:inherit;cursor:pointer;background:var(--tl-accent);color:var(--tl-on)}.tl-ask .tl-no{background:none;color:var(--tl-muted)}",
    ".tl-typing{font-size:12px;color:var(--tl-muted);padding:0 14px 6px;font-style:italic}",
    ".tl-kb{margin:0 12px 8px;padding:8px 10px;border:1px solid var(--tl-line);border-radius:10px;background:var(--tl-soft);font-size:13px;",
    "max-height:45%;overflow-y:auto}.tl-kb p{margin:0 0 6px}.tl-kb a{color:inherit;font-weight:600}",
    ".tl-kb-item{display:block;width:100%;text-align:left;background:none;border:0;padding:3px 0;color:inherit;font:inherit;",
    "font-weight:600;text-decoration:underline;cursor:pointer}.tl-kb-text{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0 8px}",
    ".tl-kb-act{display:flex;gap:6px;flex-wrap:wrap}.tl-kb-act button{border:1px solid var(--tl-line);border-radius:6px;",
    "background:var(--tl-field);color:var(--tl-fg);padding:4px 10px;font:inherit;cursor:pointer}",
    ".tl-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".tl-profile{display:grid;gap:6px;padding:8px 12px 0}.tl-profile label{display:grid;gap:2px;font-size:12px;color:var(--tl-muted)}",
    ".tl-profile input,.tl-profile select{width:100%;padding:7px;border:1px solid var(--tl-line);border-radius:6px;font:inherit;",
    "font-size:14px;color:var(--tl-fg);background:var(--tl-field)}",
    "[aria-invalid=true]{border-color:var(--tl-err)!important}",
    ".tl-staged{display:flex;flex-wrap:wrap;gap:6px;padding:8px 12px 0}.tl-staged:empty{display:none}",
    ".tl-chip{display:flex;align-items:center;gap:2px;background:var(--tl-soft);border-radius:12px;padding:2px 2px 2px 10px;font-size:12px;max-width:100%}",
    ".tl-chip span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".tl-chip button{border:0;background:none;color:inherit;cursor:pointer;font-size:15px;padding:0 6px;border-radius:8px}",
    ".tl-form{display:flex;gap:6px;padding:10px 12px;border-top:1px solid var(--tl-line);align-items:flex-end}",
    ".tl-input{flex:1;min-width:0;resize:none;height:40px;padding:9px;border:1px solid var(--tl-line);border-radius:8px;font:inherit;",
    "color:var(--tl-fg);background:var(--tl-field)}",
    ".tl-attach{flex:none;width:40px;height:40px;border:1px solid var(--tl-line);border-radius:8px;background:var(--tl-field);color:var(--tl-fg);",
    "cursor:pointer;display:grid;place-items:center}.tl-attach svg{width:18px;height:18px;fill:currentColor}",
    ".tl-send{flex:none;height:40px;border:0;border-radius:8px;background:var(--tl-accent);color:var(--tl-on);padding:0 14px;font:inherit;",
    "font-weight:600;cursor:pointer}",
    ".tl-drop{position:absolute;inset:0;z-index:1;display:none;place-items:center;padding:20px;text-align:center;font-weight:600;",
    "background:var(--tl-bg);opacity:.94;border:3px dashed var(--tl-accent);border-radius:14px}.tl-panel.dragging .tl-drop{display:grid}",
    ":focus-visible{outline:3px solid var(--tl-accent);outline-offset:2px}",
    ".tl-launch:focus-visible,.tl-head :focus-visible{outline-color:var(--tl-on)}",
    ".tl-msg.customer :focus-visible{outline-color:var(--tl-on)}"
  ].join("");

  var host = document.createElement("div");
  host.id = "threadline-chat";
  var root = host.attachShadow({ mode: "open" });
  // The shell is built once from constants; messages go in with textContent.
  root.innerHTML = '<style>' + css + '</style>' +
    '<button type="button" class="tl-launch" part="launcher" data-testid="launcher" aria-expanded="false" aria-controls="tl-panel">' +
    '<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>' +
    '<span class="tl-launch-text"></span><span class="tl-badge" data-testid="badge" aria-hidden="true" hidden></span></button>' +
    '<div class="tl-panel" id="tl-panel" role="dialog" aria-labelledby="tl-title">' +
    '<div class="tl-drop" aria-hidden="true"></div>' +
    '<div class="tl-head"><h2 class="tl-title" id="tl-title"></h2><button type="button" class="tl-close">×</button></div>' +
    '<div class="tl-status" role="status"></div>' +
    '<div class="tl-list" role="log" tabindex="0" data-testid="messages"></div>' +
    '<div class="tl-typing" role="status" data-testid="typing" hidden></div>' +
    '<div class="tl-kb" role="region" aria-live="polite" data-testid="articles" hidden></div>' +
    '<div class="tl-profile">' +
    '<label class="tl-f-name"><span></span><input class="tl-name" autocomplete="name" maxlength="100"></label>' +
    '<label class="tl-f-email"><span></span><input class="tl-email" type="email" autocomplete="email" maxlength="150"></label>' +
    '<label class="tl-f-dept"><span></span><select class="tl-dept"></select></label></div>' +
    '<div class="tl-staged" data-testid="staged"></div>' +
    '<form class="tl-form"><button type="button" class="tl-attach" data-testid="attach">' +
    '<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z"/></svg></button>' +
    '<input type="file" class="tl-file" multiple hidden tabindex="-1">' +
    '<textarea class="tl-input" data-testid="input" rows="1"></textarea>' +
    '<button type="submit" class="tl-send" data-testid="send"></button></form></div>';
  var $ = function (sel) { return root.querySelector(sel); };
  var launcher = $(".tl-launch"), badge = $(".tl-badge"), panel = $(".tl-panel"), list = $(".tl-list"), status = $(".tl-status");
  var input = $(".tl-input"), typingEl = $(".tl-typing"), staged = $(".tl-staged"), fileInput = $(".tl-file"), attachBtn = $(".tl-attach");
  var nameEl = $(".tl-name"), emailEl = $(".tl-email"), deptEl = $(".tl-dept"), profile = $(".tl-profile");
  var kb = $(".tl-kb");
  var pc = CFG.prechat || {};
  var depts = pc.departments || [];
  var files = CFG.files || null;

  var theme = attr("theme") || CFG.mode || "auto";
  host.className = (theme === "dark" ? "dark" : theme === "light" ? "" : "auto") + ((attr("position") || CFG.position) === "left" ? " left" : "");
  host.style.setProperty("--tl-accent", color);
  host.style.setProperty("--tl-on", onAccent(color));

  var token = store.get("token");
  // A link from an email of unseen replies: ?tl_resume=<token> resumes that
  // chat here. It leaves the address bar at once (no bookmark or shared
  // link carries it on).
  var resume = "";
  try {
    var here = new URL(location.href);
    resume = here.searchParams.get("tl_resume") || "";
    if (resume) { here.searchParams.delete("tl_resume"); window.history.replaceState(window.history.state, "", here.href); }
  } catch (e) {}
  var visitor = "", identity = null, avail = null;
  var lastId = 0, lastStaff = 0, readUntil = 0, seenUntil = 0, unread = 0;
  var shown = {};   // message id -> element
  var pending = {}; // client_id -> {text, files, el}
  var stagedFiles = [];
  var ws = null, wsReady = false, backoff = 1000, started = false, maxChars = CFG.max_chars || 4000;
  var greetEl = null, retryTimer = 0, typingTimer = 0, lastTypingSent = 0, flashTimer = 0, savedTitle = "", mounted = false;
  var handlers = {};
  // Deflection (CFG.articles): articles offered while the visitor types,
  // until their first message opens a conversation.
  var inConv = false, kbTimer = 0, kbSeq = 0, kbOffered = null, kbPick = "", kbStop = false, kbHelped = false;

  function emit(ev, data) {
    (handlers[ev] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { if (window.console) console.error(e); }
    });
  }

  function label(el, key, mode) {
    el.textContent = t(key) + (mode === "optional" ? " (" + t("optional") + ")" : "");
  }

  // applyTexts puts the current language's texts everywhere.
  function applyTexts() {
    lang = pickLang();
    panel.setAttribute("lang", lang);
    launcher.setAttribute("lang", lang);
    $(".tl-launch-text").textContent = t("launcher");
    $(".tl-title").textContent = t("title");
    $(".tl-close").setAttribute("aria-label", t("close"));
    list.setAttribute("aria-label", t("messages"));
    input.placeholder = t("placeholder");
    input.setAttribute("aria-label", t("placeholder"));
    $(".tl-send").textContent = t("send");
    attachBtn.setAttribute("aria-label", t("attach"));
    attachBtn.title = t("attach");
    $(".tl-drop").textContent = t("drop");
    label($(".tl-f-name span"), "name", pc.name);
    label($(".tl-f-email span"), "email", pc.email);
    label($(".tl-f-dept span"), "department", pc.department);
    deptEl.options.length = 0;
    deptEl.add(new Option(t("choose"), ""));
    depts.forEach(function (d) { deptEl.add(new Option(d.label, d.to)); });
    deptEl.value = store.get("department");
    if (greetEl) greetEl.textContent = greeting();
    var seenLabel = list.querySelector(".tl-seen");
    if (seenLabel) seenLabel.textContent = t("seen");
    setUnread(unread, false);
  }

  function greeting() {
    if (avail && avail.open === false) return avail.opens_at ? t("awayUntil", { when: fmtWhen(avail.opens_at) }) : t("away");
    var g = t("greeting");
    if (avail && avail.expected_wait > 0) g += " " + t("wait", { wait: fmtWait(avail.expected_wait) });
    return g;
  }

  function setStatus(text, isErr) {
    status.textContent = text || "";
    status.className = "tl-status" + (isErr ? " err" : "");
  }

  // profile fields: what the pre-chat form shows, with its requirements.
  function fieldsShown() {
    return [[nameEl, pc.name, "name"], [emailEl, pc.email, "email"], [deptEl, depts.length ? pc.department : "off", "department"]]
      .filter(function (f) { return f[1] !== "off" && !f[0].parentNode.hidden; });
  }
  function setupProfile() {
    nameEl.value = store.get("name");
    emailEl.value = store.get("email");
    $(".tl-f-name").hidden = pc.name === "off" || !!store.get("idName");
    $(".tl-f-email").hidden = pc.email === "off" || !!store.get("idEmail");
    $(".tl-f-dept").hidden = !depts.length;
    [[nameEl, pc.name], [emailEl, pc.email], [deptEl, pc.department]].forEach(function (f) {
      if (f[1] === "required") { f[0].required = true; f[0].setAttribute("aria-required", "true"); }
    });
    profile.hidden = !!store.get("profileDone") || fieldsShown().length === 0;
  }

  // checkProfile reports the first field the form still needs (and says so).
  function checkProfile() {
    if (profile.hidden) return true;
    var bad = null, msg = "";
    fieldsShown().forEach(function (f) {
      f[0].removeAttribute("aria-invalid");
      if (bad) return;
      var v = f[0].value.trim();
      if (f[1] === "required" && !v) { bad = f[0]; msg = t("required", { field: t(f[2]) }); }
      else if (f[0] === emailEl && v && !/^[^\s@]+@[^\s@]+$/.test(v)) { bad = f[0]; msg = t("badEmail"); }
    });
    if (!bad) return true;
    bad.setAttribute("aria-invalid", "true");
    setStatus(msg, true);
    bad.focus();
    return false;
  }

  function profileValues() {
    return { name: nameEl.value.trim(), email: emailEl.value.trim(), department: deptEl.value };
  }

  function bubble(cls, text, author) {
    var el = document.createElement("div");
    el.className = "tl-msg " + cls;
    var who = document.createElement("span");
    if (author) {
      who.className = "tl-author";
      who.textContent = author;
    } else {
      who.className = "tl-sr";
      who.textContent = t("you") + ": ";
    }
    if (cls.indexOf("greeting") < 0) el.appendChild(who);
    el.appendChild(document.createTextNode(text));
    return el;
  }

  function append(el) {
    var near = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.appendChild(el);
    if (near || el.classList.contains("customer")) list.scrollTop = list.scrollHeight;
  }

  // attachment shows a file: an image inline, another file as a download
  // link, a file the server does not keep as its name only. Links are
  // signed for this visitor and expire; the history refreshes them.
  function attachment(a) {
    var box = document.createElement("div");
    box.className = "tl-file";
    var safe = a.url && /^https?:\/\//.test(a.url);
    var link = document.createElement(safe ? "a" : "span");
    if (safe) { link.href = a.url; link.target = "_blank"; link.rel = "noopener noreferrer"; }
    if (safe && /^image\/(png|jpeg|gif|webp)$/.test(a.mime || "")) {
      var img = document.createElement("img");
      img.src = a.url;
      img.alt = a.name;
      img.setAttribute("data-testid", "image");
      link.appendChild(img);
    } else {
      link.textContent = "📎 " + a.name;
      if (safe) link.setAttribute("data-testid", "file");
    }
    box.appendChild(link);
    return box;
  }

  function render(m, live) {
    if (shown[m.id]) {
      if (m.seen) markSeen(m.id + 1);
      return;
    }
    var staff = m.from === "staff";
    var el = bubble(staff ? "staff" : "customer", m.text, staff ? (m.author || t("someone")) : "");
    (m.attachments || []).forEach(function (a) { el.appendChild(attachment(a)); });
    el.setAttribute("data-id", m.id);
    el.setAttribute("data-from", m.from);
    var p = m.client_id && pending[m.client_id];
    if (p) {
      list.replaceChild(el, p.el);
      delete pending[m.client_id];
      setTimeout(askEmail, 0); // after the visitor's own message, once it is in
    } else {
      append(el);
    }
    shown[m.id] = el;
    if (m.id > lastId) lastId = m.id;
    if (staff) {
      showTyping("");
      if (m.id > lastStaff) lastStaff = m.id;
      if (m.id > readUntil) {
        if (visible()) markRead();
        else {
          setUnread(unread + 1, live);
          if (live) beep();
        }
      }
    }
    if (m.seen) markSeen(m.id + 1);
    updateSeen();
    if (live) emit("message", { id: m.id, from: m.from, author: m.author || "", text: m.text });
  }

  // askEmail offers, once the visitor wrote and if they gave no address,
  // to get the replies they miss by email (webchat.offline_email_after).
  var askEl = null;
  function askEmail() {
    if (!CFG.email_replies || askEl || store.get("email") || store.get("emailAsk")) return;
    var box = askEl = document.createElement("form");
    box.className = "tl-ask";
    box.noValidate = true; // our check and message, in the visitor's language
    box.setAttribute("data-testid", "email-ask");
    var q = document.createElement("span"), field = document.createElement("input");
    var yes = document.createElement("button"), no = document.createElement("button");
    q.textContent = t("emailAsk");
    q.id = "tl-ask-q";
    field.type = "email";
    field.autocomplete = "email";
    field.maxLength = 150;
    field.setAttribute("aria-labelledby", "tl-ask-q");
    yes.type = "submit";
    yes.textContent = t("emailSave");
    no.type = "button";
    no.className = "tl-no";
    no.textContent = t("emailNo");
    no.addEventListener("click", function () { store.set("emailAsk", "no"); box.remove(); input.focus(); });
    box.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = field.value.trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(v)) { field.setAttribute("aria-invalid", "true"); setStatus(t("badEmail"), true); field.focus(); return; }
      field.removeAttribute("aria-invalid");
      request("POST", "/email", { email: v }).then(function () {
        store.set("email", v);
        emailEl.value = v;
        box.textContent = t("emailSaved", { email: v });
        box.setAttribute("role", "status");
        setStatus("");
        input.focus();
      }, function (e) { setStatus(e.message, true); });
    });
    [q, field, yes, no].forEach(function (el) { box.appendChild(el); });
    append(box);
  }

  // markSeen: staff saw the customer's messages below id.
  function markSeen(id) {
    if (id > seenUntil) { seenUntil = id; updateSeen(); }
  }
  function updateSeen() {
    var last = null;
    list.querySelectorAll(".tl-msg.customer[data-id]").forEach(function (el) {
      if (+el.getAttribute("data-id") < seenUntil) { el.setAttribute("data-seen", "true"); last = el; }
    });
    var old = list.querySelector(".tl-seen");
    if (old && old.parentNode === last) return;
    if (old) old.remove();
    if (last) {
      var s = document.createElement("span");
      s.className = "tl-seen";
      s.textContent = t("seen");
      last.appendChild(s);
    }
  }

  function visible() { return panel.classList.contains("open") && !document.hidden; }

  function setUnread(n, flash) {
    var changed = n !== unread;
    unread = n;
    badge.textContent = n > 9 ? "9+" : String(n);
    badge.hidden = n === 0;
    launcher.setAttribute("aria-label", t("launcher") + (n ? " (" + t("unread", { n: n }) + ")" : ""));
    if (n === 0) stopFlash();
    else if (flash) startFlash();
    if (changed) emit("unread", { count: n });
  }

  // The page title flashes while a reply waits unread: the tab shows it.
  function startFlash() {
    if (flashTimer) return;
    savedTitle = document.title;
    var on = false;
    flashTimer = setInterval(function () {
      on = !on;
      document.title = on ? "(" + unread + ") " + t("newMessage") : savedTitle;
    }, 1200);
  }
  function stopFlash() {
    if (!flashTimer) return;
    clearInterval(flashTimer);
    flashTimer = 0;
    document.title = savedTitle;
  }

  function beep() {
    var on = attr("sound") ? attr("sound") === "true" : CFG.sound;
    if (!on) return;
    try {
      var ac = new (window.AudioContext || window.webkitAudioContext)();
      var o = ac.createOscillator(), g = ac.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, ac.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, ac.currentTime + 0.25);
      o.connect(g); g.connect(ac.destination);
      o.start(); o.stop(ac.currentTime + 0.25);
      o.onended = function () { ac.close(); };
    } catch (e) {}
  }

  // markRead tells the server what the visitor has seen.
  function markRead() {
    if (lastStaff <= readUntil) { if (unread) setUnread(0); return; }
    readUntil = lastStaff;
    setUnread(0);
    if (wsReady && ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "read", id: readUntil }));
    else if (token) request("POST", "/read", { id: readUntil }).catch(function () {});
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function kbClear() { kb.hidden = true; kb.textContent = ""; }
  function kbSearch() {
    clearTimeout(kbTimer);
    var q = input.value.trim();
    if (!CFG.articles || inConv || kbStop || kbPick || !token) return;
    if (q.split(/\s+/).length < 2) { kbClear(); return; }
    kbTimer = setTimeout(function () {
      var seq = ++kbSeq;
      request("GET", "/articles?q=" + encodeURIComponent(q.slice(0, 500)) + "&lang=" + lang).then(function (r) {
        if (seq === kbSeq && !inConv && !kbStop && !kbPick) kbList(r.articles || []);
      }, function () {});
    }, 400);
  }
  function kbList(arts) {
    kbClear();
    if (!arts.length) return;
    kbOffered = arts;
    kb.appendChild(el("p", "", t("articles")));
    arts.forEach(function (a) {
      var b = el("button", "tl-kb-item", a.title);
      b.type = "button";
      b.addEventListener("click", function () { kbShow(a); });
      kb.appendChild(b);
    });
    kb.hidden = false;
  }
  // kbShow shows an article's text (as text) and asks whether it helped.
  function kbShow(a) {
    kbClear();
    kbPick = a.slug;
    kb.appendChild(el("strong", "", a.title));
    kb.appendChild(el("div", "tl-kb-text", a.text));
    if (/^https?:\/\//.test(a.url || "")) {
      var l = el("a", "", t("readMore"));
      l.href = a.url; l.target = "_blank"; l.rel = "noopener noreferrer";
      kb.appendChild(l);
    }
    kb.appendChild(el("p", "", t("helped")));
    var act = el("div", "tl-kb-act");
    [["helpedYes", true], ["helpedNo", false]].forEach(function (o) {
      var b = el("button", "", t(o[0]));
      b.type = "button";
      b.setAttribute("data-testid", o[0]);
      b.addEventListener("click", function () {
        kbStop = true;
        kbClear();
        if (o[1]) {
          kbHelped = true;
          request("POST", "/articles/feedback", { slug: a.slug, helped: true }).catch(function () {});
          kb.appendChild(el("p", "", t("glad")));
          kb.hidden = false;
        }
        input.focus();
      });
      act.appendChild(b);
    });
    kb.appendChild(act);
    kb.hidden = false;
    kb.scrollTop = 0;
  }
  // kbWrote: the visitor writes to staff; if articles were offered and
  // none helped, that is recorded (the last one opened, else the first).
  function kbWrote() {
    clearTimeout(kbTimer);
    kbSeq++;
    if (CFG.articles && !inConv && kbOffered && !kbHelped) {
      request("POST", "/articles/feedback", { slug: kbPick || kbOffered[0].slug, helped: false }).catch(function () {});
    }
    inConv = true;
    kbClear();
  }

  function showTyping(name) {
    clearTimeout(typingTimer);
    typingEl.hidden = !name;
    typingEl.textContent = name ? t("typing", { name: name }) : "";
    if (name) {
      typingTimer = setTimeout(function () { showTyping(""); }, 6000);
      emit("typing", { name: name });
    }
  }

  function request(method, path, body, form) {
    var headers = {};
    if (!form) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(apiBase + path, { method: method, headers: headers, body: form || (body ? JSON.stringify(body) : undefined), mode: "cors" })
      .then(function (r) {
        if (r.status === 204) return {};
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) { var e = new Error(j.error || ("HTTP " + r.status)); e.status = r.status; e.code = j.code; e.retryAfter = +r.headers.get("Retry-After") || 0; throw e; }
          return j;
        });
      });
  }

  function session() {
    var body = { token: token };
    if (identity) body.identity = identity;
    if (resume) body.resume = resume;
    return request("POST", "/session", body).then(function (s) {
      resume = "";
      // The link came by email: the form and the email offer are done.
      if (s.resumed) { store.set("profileDone", "1"); store.set("emailAsk", "done"); profile.hidden = true; }
      var switched = visitor && s.visitor !== visitor;
      visitor = s.visitor;
      token = s.token;
      store.set("token", token);
      maxChars = s.max_chars || maxChars;
      avail = s;
      if (switched) resetConversation();
      s.switched = switched;
      readUntil = Math.max(readUntil, s.read_until || 0);
      inConv = !!s.in_conversation;
      greet();
      if (s.identified) emit("identified", { visitor: visitor });
      return s;
    }, function (e) {
      if (identity && /identity|signature/.test(e.code || "")) {
        if (window.console) console.warn("Threadline: identify refused: " + e.message);
        identity = null;
        return session();
      }
      throw e;
    });
  }

  function greet() {
    if (!greetEl) {
      greetEl = bubble("greeting", "");
      list.insertBefore(greetEl, list.firstChild);
    }
    greetEl.textContent = greeting();
  }

  function resetConversation() {
    Object.keys(shown).forEach(function (id) { shown[id].remove(); });
    shown = {};
    lastId = lastStaff = readUntil = seenUntil = 0;
    setUnread(0);
    drop();
  }

  // drop closes the live connection without reconnecting.
  function drop() {
    clearTimeout(retryTimer);
    if (ws) { ws.onclose = null; try { ws.close(); } catch (e) {} }
    ws = null;
    wsReady = false;
  }

  function history() {
    return request("GET", "/messages?after=" + lastId).then(function (h) {
      h.messages.forEach(function (m) { render(m, false); });
    });
  }

  function connect() {
    drop();
    try { ws = new WebSocket(wsURL); } catch (e) { return retryConnect(); }
    var sock = ws;
    ws.onopen = function () {
      var hello = { type: "auth", token: token };
      if (widget) hello.widget = widget;
      sock.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "ready") {
        wsReady = true; backoff = 1000; setStatus("");
        history().catch(function () {});
        Object.keys(pending).forEach(function (id) { transmit(id); });
        if (visible()) markRead();
      } else if (f.type === "message" || f.type === "ack") {
        if (f.message) render(f.message, f.type === "message");
        if (f.seen_until) markSeen(f.seen_until);
      } else if (f.type === "typing") {
        showTyping(f.name || t("someone"));
      } else if (f.type === "error") {
        failed(f.code, f.error, f.client_id, f.retry_after);
      }
    };
    ws.onclose = function () {
      if (sock !== ws) return;
      wsReady = false;
      retryConnect();
    };
  }

  function retryConnect() {
    setStatus(t("reconnecting"));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { (token ? Promise.resolve() : session()).then(connect, retryConnect); }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  // failed handles a refused message (or connection) by its error code.
  function failed(code, text, clientId, retryAfter) {
    var p = clientId && pending[clientId];
    if (code === "bad_token" || code === "expired_token") { token = ""; store.set("token", ""); }
    if (code === "rate_limited" && p) {
      var s = Math.ceil(retryAfter || 5);
      setStatus(t("tooFast", { s: s }), true);
      setTimeout(function () { transmit(clientId); }, s * 1000);
      return;
    }
    if (code === "prechat_required" || code === "bad_department" || code === "bad_email") {
      if (code === "bad_department") { store.set("department", ""); deptEl.value = ""; }
      store.set("profileDone", "");
      setupProfile();
    }
    setStatus(text, true);
    if (p) { p.el.classList.add("failed"); delete pending[clientId]; }
  }

  function transmit(clientId) {
    var p = pending[clientId];
    if (!p) return;
    var pv = profileValues();
    var frame = { text: p.text, client_id: clientId, name: pv.name, email: pv.email };
    if (pv.department) frame.department = pv.department;
    if (widget) frame.widget = widget;
    if (!p.files.length && wsReady && ws && ws.readyState === 1) {
      frame.type = "message";
      ws.send(JSON.stringify(frame));
      return;
    }
    var form = null;
    if (p.files.length) {
      form = new FormData();
      Object.keys(frame).forEach(function (k) { form.append(k, frame[k]); });
      p.files.forEach(function (f) { form.append("file", f, f.name); });
    }
    request("POST", "/messages", frame, form).then(function (r) { render(r.message, false); setStatus(""); }, function (e) {
      if (e.status === 429) {
        failed("rate_limited", e.message, clientId, e.retryAfter || 5);
      } else if (e.status >= 500 || !e.status) {
        setStatus(t("retrying"), true);
        setTimeout(function () { transmit(clientId); }, 3000);
      } else {
        failed(e.code, e.message, clientId);
      }
    });
  }

  function newClientId() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");
  }

  function send(text) {
    text = (text || "").trim();
    var withFiles = stagedFiles.slice();
    if (!text && !withFiles.length) return false;
    if (text.length > maxChars) { setStatus(t("tooLong", { n: maxChars }), true); return false; }
    if (!checkProfile()) return false;
    kbWrote();
    var pv = profileValues();
    store.set("name", pv.name);
    store.set("email", pv.email);
    store.set("department", pv.department);
    if (!store.get("profileDone")) { store.set("profileDone", "1"); profile.hidden = true; }
    setStatus("");
    var clientId = newClientId();
    var el = bubble("customer pending", text);
    withFiles.forEach(function (f) { el.appendChild(attachment({ name: f.name })); });
    append(el);
    pending[clientId] = { text: text, files: withFiles, el: el };
    lastTypingSent = 0; // what they type next is a new message
    stagedFiles = [];
    renderStaged();
    start();
    transmit(clientId);
    return true;
  }

  // stage adds files to the next message (button, drag and drop, paste).
  function stage(list) {
    if (!files) return;
    Array.prototype.forEach.call(list || [], function (f) {
      if (stagedFiles.length >= files.max_files) { setStatus(t("tooMany", { n: files.max_files }), true); return; }
      if (f.size > files.max_bytes) { setStatus(t("tooBig", { name: f.name, size: fmtSize(files.max_bytes) }), true); return; }
      var ok = !f.type || files.types.some(function (a) {
        return a === f.type || (a.slice(-2) === "/*" && f.type.indexOf(a.slice(0, -1)) === 0);
      });
      if (!ok) { setStatus(t("badType", { name: f.name }), true); return; }
      stagedFiles.push(f);
    });
    renderStaged();
  }

  function renderStaged() {
    staged.textContent = "";
    stagedFiles.forEach(function (f, i) {
      var chip = document.createElement("div");
      chip.className = "tl-chip";
      var n = document.createElement("span");
      n.textContent = "📎 " + f.name;
      var x = document.createElement("button");
      x.type = "button";
      x.textContent = "×";
      x.setAttribute("aria-label", t("remove", { name: f.name }));
      x.addEventListener("click", function () { stagedFiles.splice(i, 1); renderStaged(); input.focus(); });
      chip.appendChild(n);
      chip.appendChild(x);
      staged.appendChild(chip);
    });
  }

  function start() {
    if (started) return;
    started = true;
    if (!ws) setStatus(t("connecting"));
    greet();
    session().then(history).then(connect).catch(function (e) { setStatus(e.message, true); started = false; setTimeout(start, 5000); });
  }

  function open() {
    if (panel.classList.contains("open")) return;
    panel.classList.add("open");
    host.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    store.set("open", "1");
    start();
    var need = fieldsShown().filter(function (f) { return !profile.hidden && f[1] === "required" && !f[0].value; })[0];
    (need ? need[0] : input).focus();
    markRead();
    emit("open");
  }

  function close() {
    if (!panel.classList.contains("open")) return;
    var inside = root.activeElement && panel.contains(root.activeElement);
    panel.classList.remove("open");
    host.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    store.set("open", "0");
    if (inside) launcher.focus();
    emit("close");
  }

  function toggle() { panel.classList.contains("open") ? close() : open(); }

  // identify ties the chat to a logged-in customer: with a signature from
  // the site's server the history follows them across devices; without
  // one it only fills in the name and email.
  function identify(id) {
    id = id || {};
    var email = String(id.email || "").trim(), name = String(id.name || "").trim();
    if (name) { nameEl.value = name; store.set("name", name); store.set("idName", "1"); }
    if (email) { emailEl.value = email; store.set("email", email); store.set("idEmail", "1"); }
    setupProfile();
    if (!id.signature || !email || !CFG.identify) return Promise.resolve(false);
    identity = { email: email, name: name, signature: String(id.signature) };
    if (!started) { start(); return Promise.resolve(true); }
    return session().then(function (s) {
      if (s.switched) history().then(connect).catch(function () { retryConnect(); });
      return !!s.identified;
    });
  }

  // reset forgets the visitor in this browser (a customer logging out).
  function reset() {
    identity = null;
    ["token", "name", "email", "department", "profileDone", "idName", "idEmail", "open", "emailAsk"].forEach(function (k) { store.set(k, ""); });
    token = "";
    visitor = "";
    if (askEl) { askEl.remove(); askEl = null; }
    kbOffered = null; kbPick = ""; kbStop = kbHelped = inConv = false;
    kbClear();
    resetConversation();
    setupProfile();
    started = false;
    if (panel.classList.contains("open")) start();
  }

  launcher.addEventListener("click", toggle);
  $(".tl-close").addEventListener("click", close);
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { ev.preventDefault(); close(); } });
  $(".tl-form").addEventListener("submit", function (ev) { ev.preventDefault(); if (send(input.value)) input.value = ""; });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); if (send(input.value)) input.value = ""; }
  });
  input.addEventListener("input", function () {
    kbSearch();
    var now = Date.now();
    if (input.value && wsReady && ws && ws.readyState === 1 && now - lastTypingSent > 3000) {
      lastTypingSent = now;
      ws.send('{"type":"typing"}');
    }
  });
  attachBtn.hidden = !files;
  attachBtn.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () { stage(fileInput.files); fileInput.value = ""; input.focus(); });
  input.addEventListener("paste", function (ev) {
    var fl = ev.clipboardData && ev.clipboardData.files;
    if (files && fl && fl.length) { ev.preventDefault(); stage(fl); }
  });
  var drag = 0;
  panel.addEventListener("dragenter", function (ev) { if (files) { ev.preventDefault(); drag++; panel.classList.add("dragging"); } });
  panel.addEventListener("dragover", function (ev) { if (files) ev.preventDefault(); });
  panel.addEventListener("dragleave", function () { if (--drag <= 0) { drag = 0; panel.classList.remove("dragging"); } });
  panel.addEventListener("drop", function (ev) {
    drag = 0;
    panel.classList.remove("dragging");
    if (!files) return;
    ev.preventDefault();
    stage(ev.dataTransfer && ev.dataTransfer.files);
    input.focus();
  });
  document.addEventListener("visibilitychange", function () { if (visible()) markRead(); });
  new MutationObserver(applyTexts).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  var pub = {
    version: "2",
    open: open, close: close, toggle: toggle, identify: identify, reset: reset,
    send: function (text) { return send(text); },
    on: function (ev, fn) {
      (handlers[ev] = handlers[ev] || []).push(fn);
      if (ev === "ready" && mounted) setTimeout(fn, 0);
      return pub;
    },
    off: function (ev, fn) {
      handlers[ev] = (handlers[ev] || []).filter(function (h) { return h !== fn; });
      return pub;
    }
  };
  window.Threadline = pub;

  function mount() {
    applyTexts();
    setupProfile();
    document.body.appendChild(host);
    mounted = true;
    if (window.performance && performance.mark) performance.mark("threadline:interactive");
    (prior && prior.q || []).forEach(function (c) {
      if (c && typeof pub[c[0]] === "function") pub[c[0]].apply(pub, Array.prototype.slice.call(c, 1));
    });
    var wide = !window.matchMedia || matchMedia("(min-width: 481px)").matches;
    // The visitor's own choice (open or closed on the last page) wins
    // over data-open.
    var was = store.get("open");
    if (resume || was === "1" || (!was && attr("open") === "true" && wide)) open();
    else if (token) start(); // a returning visitor: live replies and the unread badge
    emit("ready");
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
