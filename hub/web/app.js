// The hub's catalogue page: a list that filters as you type through
// /api/modules, and a module page at #/m/<name>[:<tag>]. Plain DOM, no
// framework; every value from the API is set as text.
import { renderMarkdown } from "./md.js";

const $ = (sel) => document.querySelector(sel);
const siteTitle = document.title;
const state = { abort: null, timer: 0, detail: null };

const FORMATS = {
  oci: "Wasm OCI artifact",
  compat: "OCI compat image (plugin.wasm)",
  docker: "Docker image (plugin.wasm)",
  other: "Other image",
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function size(n) {
  if (!n) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function when(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d) || d.getFullYear() < 2000) return el("span", { text: "—" });
  const s = (Date.now() - d) / 1000;
  let rel;
  if (s < 60) rel = "just now";
  else if (s < 3600) rel = Math.floor(s / 60) + " min ago";
  else if (s < 86400) rel = Math.floor(s / 3600) + " h ago";
  else rel = d.toLocaleDateString();
  return el("time", { datetime: iso, title: d.toLocaleString(), text: rel });
}

function shortDigest(d) {
  return d ? d.replace(/^(sha256:)?([0-9a-f]{12})[0-9a-f]+$/, "$1$2") : "";
}

function moduleHref(name, tag) {
  const path = name.split("/").map(encodeURIComponent).join("/");
  return "#/m/" + path + (tag ? ":" + encodeURIComponent(tag) : "");
}

async function getJSON(url, signal) {
  const r = await fetch(url, { signal, headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.status + " " + r.statusText);
  return body;
}

// ---- list view ----

function showView(id) {
  $("#list-view").hidden = id !== "list-view";
  $("#module-view").hidden = id !== "module-view";
}

function showList(q) {
  showView("list-view");
  document.title = siteTitle;
  if ($("#q").value !== q) $("#q").value = q;
  load(q);
}

async function load(q) {
  if (state.abort) state.abort.abort();
  const ctl = new AbortController();
  state.abort = ctl;
  $("#modules").setAttribute("aria-busy", "true");
  try {
    const data = await getJSON("api/modules?q=" + encodeURIComponent(q), ctl.signal);
    renderList(data);
  } catch (e) {
    if (e.name !== "AbortError") $("#status").textContent = "Could not load the modules: " + e.message;
  } finally {
    if (state.abort === ctl) $("#modules").removeAttribute("aria-busy");
  }
}

function renderList(data) {
  const ul = $("#modules");
  ul.replaceChildren();
  const mods = data.modules || [];
  for (const m of mods) {
    const facts = el("ul", { class: "facts", "aria-label": "Facts" });
    const fact = (label, value, cls) => value && facts.append(el("li", { class: cls }, el("span", { class: "k", text: label + " " }), value));
    fact("tag", el("code", { text: m.latestTag }));
    if (m.language) fact("language", el("span", { text: m.language }));
    if (m.abiVersions.length) fact("ABI", el("span", { class: "abi", text: m.abiVersions.join(", ") }));
    if (m.rootIds.length) fact("root ID", el("span", { class: "root", text: m.rootIds.join(", ") }));
    fact("size", el("span", { text: size(m.wasmSize || m.size) }));
    fact("updated", when(m.updated));
    ul.append(
      el("li", { class: "module", "data-name": m.name },
        el("h2", { class: "module-title" }, el("a", { href: moduleHref(m.name), text: m.name })),
        el("p", { class: "desc", text: m.description || m.error || "No description." }),
        facts),
    );
  }
  const q = data.query;
  let status;
  if (mods.length) status = mods.length + (mods.length === 1 ? " module" : " modules") + (q ? " matching “" + q + "”" : "");
  else if (q) status = "No module matches “" + q + "”.";
  else status = "No modules yet: push one (see below).";
  $("#status").textContent = status;
}

// ---- module view ----

async function showModule(name, tag) {
  showView("module-view");
  const fresh = !state.detail || state.detail.name !== name;
  if (fresh) {
    $("#module-name").textContent = name;
    $("#module-description").textContent = "";
    $("#readme").replaceChildren();
    $("#details").replaceChildren();
    $("#commands").replaceChildren();
    $("#module-error").hidden = true;
    try {
      state.detail = await getJSON("api/modules/" + name.split("/").map(encodeURIComponent).join("/"));
    } catch (e) {
      state.detail = null;
      $("#module-error").textContent = "Could not load " + name + ": " + e.message;
      $("#module-error").hidden = false;
      return;
    }
  }
  renderModule(state.detail, tag || state.detail.latestTag);
  if (fresh) $("#module-name").focus();
}

function renderModule(d, tagName) {
  const t = d.tags.find((x) => x.tag === tagName) || d.tags[0];
  document.title = d.name + ":" + t.tag + " · " + siteTitle;
  $("#module-name").textContent = d.name;
  $("#module-description").textContent = d.description;
  $("#module-error").hidden = !t.error;
  $("#module-error").textContent = t.error || "";

  const sel = $("#tag-select");
  sel.replaceChildren(...d.tags.map((x) => el("option", { value: x.tag, text: x.tag })));
  sel.value = t.tag;

  const dl = $("#details");
  dl.replaceChildren();
  const row = (label, value, id) => {
    if (!value) return;
    dl.append(el("dt", { text: label }), el("dd", { id }, value));
  };
  const list = (xs, cls) => (xs.length ? el("span", { class: cls, text: xs.join(", ") }) : el("span", { class: "muted", text: "not declared" }));
  row("Digest", el("code", { class: "digest", text: t.digest }), "digest");
  row("Format", el("span", { text: FORMATS[t.format] || t.format, title: t.mediaType }), "format");
  row("ABI versions", list(t.abiVersions, "abi"), "abi");
  row("Root IDs", list(t.rootIds, "root"), "root-ids");
  if (t.language) row("Language", el("span", { text: t.language }), "language");
  if (t.runtimeType) row("Runtime", el("span", { text: t.runtimeType }), "runtime");
  if (t.revision) row("Revision", el("code", { text: t.revision }), "revision");
  row("Module size", el("span", { text: size(t.wasmSize) }), "wasm-size");
  row("Image size", el("span", { text: size(t.size) }), "size");
  row("Media type", el("code", { text: t.mediaType }), "media-type");
  row("Updated", when(t.updated), "updated");

  const cmds = $("#commands");
  cmds.replaceChildren(
    command("Pull", t.pull, "cmd-pull"),
    command("Deploy to Istio", t.deploy, "cmd-deploy"),
    command("Istio WasmPlugin", t.wasmPlugin, "cmd-wasmplugin", "yaml"),
  );

  const readme = $("#readme");
  readme.replaceChildren();
  if (t.readme) readme.append(renderMarkdown(t.readme, 2)); // under the page h1 and the README h2
  else readme.append(el("p", { class: "muted", text: "This image carries no README." }));

  const tbody = $("#tags-table tbody");
  tbody.replaceChildren(
    ...d.tags.map((x) =>
      el("tr", x.tag === t.tag ? { "aria-current": "true" } : {},
        el("th", { scope: "row" }, el("a", { href: moduleHref(d.name, x.tag), text: x.tag })),
        el("td", {}, el("code", { title: x.digest, text: shortDigest(x.digest) })),
        el("td", { text: FORMATS[x.format] || x.format }),
        el("td", { text: size(x.wasmSize || x.size) }),
        el("td", {}, when(x.updated)))),
  );
}

function command(label, text, id, cls) {
  const code = el("code", { id, text });
  const btn = el("button", { type: "button", class: "copy", "aria-label": "Copy: " + label, text: "Copy" });
  btn.addEventListener("click", () => copy(text, code, btn));
  return el("div", { class: "command" },
    el("div", { class: "command-head" }, el("span", { class: "command-label", text: label }), btn),
    el("pre", { class: cls }, code));
}

async function copy(text, node, btn) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  btn.textContent = "Copied";
  setTimeout(() => (btn.textContent = "Copy"), 1500);
}

// ---- routing ----

function route() {
  const h = location.hash || "#/";
  const m = /^#\/m\/(.+)$/.exec(h);
  if (m) {
    let ref = decodeURIComponent(m[1]);
    let tag = "";
    const c = ref.lastIndexOf(":");
    if (c >= 0) {
      tag = ref.slice(c + 1);
      ref = ref.slice(0, c);
    }
    showModule(ref, tag);
    return;
  }
  state.detail = null;
  showList(new URLSearchParams(h.replace(/^#\/?\??/, "")).get("q") || "");
}

function onSearch() {
  const q = $("#q").value.trim();
  history.replaceState(null, "", q ? "#/?q=" + encodeURIComponent(q) : "#/");
  if ($("#list-view").hidden) {
    state.detail = null;
    showView("list-view");
    document.title = siteTitle;
  }
  load(q);
}

function init() {
  $("#push-hint").textContent = "wasmesh push --plain-http " + location.host + "/NAME:TAG";
  $("#q").addEventListener("input", () => {
    clearTimeout(state.timer);
    state.timer = setTimeout(onSearch, 120);
  });
  $("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(state.timer);
    onSearch();
  });
  $("#tag-select").addEventListener("change", (e) => {
    if (state.detail) location.hash = moduleHref(state.detail.name, e.target.value);
  });
  window.addEventListener("hashchange", route);
  route();
}

init();
