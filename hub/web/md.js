// A small, safe markdown renderer: headings, paragraphs, fenced and
// indented code, lists, block quotes, rules, code spans, emphasis and links.
// It builds DOM nodes and sets only textContent and vetted attributes, so
// whatever HTML a README holds is shown as text, never parsed.

const SAFE_URL = /^(https?:|mailto:|#|\/|\.{0,2}\/|[^:]*$)/i;

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
}

// safeHref returns url if following it cannot run script, else null.
export function safeHref(url) {
  const u = url.trim();
  // Control characters and whitespace inside a scheme can hide "javascript:".
  if (/[\u0000-\u001f\u007f]/.test(u)) return null;
  return SAFE_URL.test(u) ? u : null;
}

function link(text, url, title) {
  const href = safeHref(url);
  if (href === null) return document.createTextNode(text);
  const a = el("a");
  a.href = href;
  if (title) a.title = title;
  if (/^https?:/i.test(href)) {
    a.rel = "noopener noreferrer nofollow";
    a.target = "_blank";
  }
  inline(text, a);
  return a;
}

// Inline patterns, tried in this order at each position.
const INLINE = [
  { re: /^`+/, fn: codeSpan },
  { re: /^!\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+"([^"]*)")?\s*\)/, fn: (m) => link(m[1] || m[2], m[2], m[3]) },
  { re: /^\[([^\]]+)\]\(\s*([^)\s]+)(?:\s+"([^"]*)")?\s*\)/, fn: (m) => link(m[1], m[2], m[3]) },
  { re: /^<((?:https?:\/\/|mailto:)[^\s>]+)>/, fn: (m) => link(m[1], m[1]) },
  { re: /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/, fn: (m) => wrap("strong", m[2]) },
  { re: /^(\*|_)(?=\S)([\s\S]*?\S)\1(?![\w*])/, fn: (m) => wrap("em", m[2]) },
  { re: /^~~(?=\S)([\s\S]*?\S)~~/, fn: (m) => wrap("del", m[1]) },
];

function wrap(tag, text) {
  const e = el(tag);
  inline(text, e);
  return e;
}

// codeSpan matches a run of backticks up to the same run.
function codeSpan(m, rest) {
  const ticks = m[0];
  const end = rest.indexOf(ticks, ticks.length);
  if (end < 0) return null;
  m.consumed = end + ticks.length;
  return el("code", rest.slice(ticks.length, end).replace(/^ (.*) $/, "$1"));
}

// inline appends the inline content of text to parent.
function inline(text, parent) {
  let buf = "";
  const flush = () => {
    if (buf) parent.appendChild(document.createTextNode(buf));
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = rest[0];
    if (c === "\\" && /^\\[\\`*_{}\[\]()#+\-.!<>~|]/.test(rest)) {
      buf += rest[1];
      i += 2;
      continue;
    }
    let node = null;
    const intraword = c === "_" && /\w/.test(text[i - 1] || "");
    if ("`![<*_~".includes(c) && !intraword) {
      for (const { re, fn } of INLINE) {
        const m = re.exec(rest);
        if (!m) continue;
        node = fn(m, rest);
        if (node) {
          flush();
          parent.appendChild(node);
          i += m.consumed || m[0].length;
          break;
        }
      }
    }
    if (!node) {
      buf += c;
      i++;
    }
  }
  flush();
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const INDENTED = /^( {4}|\t)/;

function blank(line) {
  return line.trim() === "";
}

// startsBlock reports whether line interrupts a paragraph.
function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

// blocks renders the lines into parent. headingShift moves heading levels
// down so that a README's h1 sits under the page's own h1.
function blocks(lines, parent, headingShift) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (blank(line)) {
      i++;
    } else if ((m = FENCE.exec(line))) {
      const close = new RegExp("^ {0,3}" + m[1][0] + "{" + m[1].length + ",}\\s*$");
      const body = [];
      i++;
      while (i < lines.length && !close.test(lines[i])) body.push(lines[i++]);
      i++;
      const pre = el("pre");
      const code = el("code", body.join("\n"));
      if (m[2]) code.className = "language-" + m[2];
      pre.appendChild(code);
      parent.appendChild(pre);
    } else if ((m = HEADING.exec(line))) {
      const level = Math.min(6, m[1].length + headingShift);
      const h = el("h" + level);
      inline(m[2], h);
      parent.appendChild(h);
      i++;
    } else if (RULE.test(line)) {
      parent.appendChild(el("hr"));
      i++;
    } else if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
        body.push(m[1]);
        i++;
      }
      const q = el("blockquote");
      blocks(body, q, headingShift);
      parent.appendChild(q);
    } else if ((m = ITEM.exec(line))) {
      i = list(lines, i, parent, headingShift);
    } else if (INDENTED.test(line)) {
      const body = [];
      while (i < lines.length && (INDENTED.test(lines[i]) || blank(lines[i]))) {
        body.push(lines[i].replace(INDENTED, ""));
        i++;
      }
      while (body.length && blank(body[body.length - 1])) body.pop();
      const pre = el("pre");
      pre.appendChild(el("code", body.join("\n")));
      parent.appendChild(pre);
    } else {
      const body = [line.trim()];
      i++;
      while (i < lines.length && !blank(lines[i]) && !startsBlock(lines[i])) {
        if (/^ {0,3}(=+|-+)\s*$/.test(lines[i])) break;
        body.push(lines[i].trim());
        i++;
      }
      // A setext underline makes the paragraph a heading.
      if (i < lines.length && /^ {0,3}(=+|-+)\s*$/.test(lines[i])) {
        const h = el("h" + Math.min(6, (lines[i].trim()[0] === "=" ? 1 : 2) + headingShift));
        inline(body.join(" "), h);
        parent.appendChild(h);
        i++;
        continue;
      }
      const p = el("p");
      inline(body.join("\n"), p);
      parent.appendChild(p);
    }
  }
}

// list renders the list starting at lines[i] and returns the next index.
// Lines indented under an item belong to it (nested lists, paragraphs).
function list(lines, i, parent, headingShift) {
  const first = ITEM.exec(lines[i]);
  const ordered = /\d/.test(first[2]);
  const l = el(ordered ? "ol" : "ul");
  if (ordered && parseInt(first[2], 10) !== 1) l.start = parseInt(first[2], 10);
  const indent = first[1].length;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const body = [m[3]];
    const inner = indent + m[2].length + 1;
    i++;
    while (i < lines.length) {
      const next = lines[i];
      if (blank(next)) {
        const after = lines[i + 1];
        if (after !== undefined && !blank(after) && after.search(/\S/) >= inner) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      const lead = next.search(/\S/);
      if (lead >= inner || (lead > indent && ITEM.test(next))) {
        body.push(next.slice(Math.min(lead, inner)));
      } else if (!startsBlock(next)) {
        body.push(next.trim()); // a lazy continuation line
      } else {
        break;
      }
      i++;
    }
    const li = el("li");
    if (body.length === 1 || !body.some((b) => blank(b) || ITEM.test(b) || FENCE.test(b))) {
      inline(body.join("\n"), li);
    } else {
      blocks(body, li, headingShift);
      if (li.childElementCount && li.firstElementChild.tagName === "P" && !body.includes("")) {
        const p = li.firstElementChild;
        while (p.firstChild) li.insertBefore(p.firstChild, p);
        p.remove();
      }
    }
    l.appendChild(li);
    while (i < lines.length && blank(lines[i]) && lines[i + 1] !== undefined && ITEM.test(lines[i + 1])) {
      const n = ITEM.exec(lines[i + 1]);
      if (n[1].length !== indent) break;
      i++;
    }
  }
  parent.appendChild(l);
  return i;
}

// renderMarkdown returns a DocumentFragment holding the rendered text.
export function renderMarkdown(src, headingShift = 1) {
  const frag = document.createDocumentFragment();
  const lines = String(src).replace(/\r\n?/g, "\n").split("\n");
  blocks(lines, frag, headingShift);
  return frag;
}
