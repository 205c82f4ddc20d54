// The preview page: every card of the deck, rendered on demand from its note's fields and its
// note type's templates, as Anki renders them (Anki's template language: fields, sections,
// FrontSide, Tags, and the cloze and type filters). Only cards near the screen have frames, so
// a deck of any size opens at once. No network: everything is in this file.
"use strict";

const DATA = JSON.parse(document.getElementById("deck-data").textContent);
const LIGHT = "card card1";
const NIGHT = "card card1 nightMode night_mode";

// --- Anki's template language --------------------------------------------------------------

function isEmpty(value) {
  return !value || !value.replace(/<br\s*\/?>|<div>|<\/div>|&nbsp;|\s/gi, "");
}

function parseTemplate(text) {
  const root = { children: [] };
  const stack = [root];
  const token = /\{\{([^{}]*)\}\}/g;
  let last = 0;
  for (let match; (match = token.exec(text)); ) {
    const top = stack[stack.length - 1];
    if (match.index > last) top.children.push({ text: text.slice(last, match.index) });
    last = token.lastIndex;
    const inner = match[1].trim();
    if (inner.startsWith("#") || inner.startsWith("^")) {
      const section = { name: inner.slice(1).trim(), inverted: inner[0] === "^", children: [] };
      top.children.push(section);
      stack.push(section);
    } else if (inner.startsWith("/")) {
      if (stack.length > 1) stack.pop();
    } else {
      const parts = inner.split(":");
      top.children.push({ field: parts.pop().trim(), filters: parts.map(p => p.trim()) });
    }
  }
  if (last < text.length) stack[stack.length - 1].children.push({ text: text.slice(last) });
  return root.children;
}

const escapeText = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
// As Anki writes a hidden cloze's text into its data-cloze attribute: every ASCII character but
// letters and digits as a character reference.
const NAMED = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escapeAttribute = s => s.replace(/[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/g,
  c => NAMED[c] || `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);

function plain(html) {
  const holder = document.createElement("template");
  holder.innerHTML = html;
  return holder.content.textContent;
}

function typeAnswer(value, context) {
  if (context.question) {
    return '<input type="text" id="typeans" placeholder="Type the answer" ' +
      'aria-label="Type the answer" autocomplete="off">';
  }
  // Anki's comparison of a correct answer: what the apps show once it is typed right.
  return `<code id=typeans><span class=typeGood>${escapeText(plain(value).trim())}</span></code>`;
}

function render(nodes, context) {
  let out = "";
  for (const node of nodes) {
    if (node.text !== undefined) {
      out += node.text;
    } else if (node.children !== undefined) {
      const empty = isEmpty(fieldValue(node.name, context));
      if (empty === node.inverted) out += render(node.children, context);
    } else {
      let value = fieldValue(node.field, context);
      for (const filter of node.filters.slice().reverse()) {
        if (filter === "cloze") value = renderCloze(value, context.ord + 1, context.question);
        else if (filter === "type") value = typeAnswer(value, context);
        else if (filter === "text") value = escapeText(plain(value));
      }
      out += value;
    }
  }
  return out;
}

function fieldValue(name, context) {
  if (name === "FrontSide") return context.frontSide || "";
  if (name === "Tags") return context.tags;
  return context.fields[name] ?? "";
}

// --- clozes, as Anki renders them ------------------------------------------------------------

function parseCloze(text) {
  // The build writes every `:` and `}` inside a cloze as a character reference, so here `::`
  // and `}}` inside a cloze are always its hint and its end.
  const root = { children: [] };
  const stack = [root];
  const token = /\{\{c(\d+)::|::|\}\}|\\\(|\\\)|\\\[|\\\]/g;
  let last = 0;
  let math = 0;
  const add = value => {
    const top = stack[stack.length - 1];
    (top.hinting ? top.hint : top.children).push({ text: value });
  };
  for (let match; (match = token.exec(text)); ) {
    if (match.index > last) add(text.slice(last, match.index));
    last = token.lastIndex;
    const top = stack[stack.length - 1];
    if (match[1] !== undefined) {
      const cloze = { number: Number(match[1]), children: [], hint: [], hinting: false, math: math > 0 };
      (top.hinting ? top.hint : top.children).push(cloze);
      stack.push(cloze);
    } else if (match[0] === "::" && stack.length > 1 && !top.hinting) {
      top.hinting = true;
    } else if (match[0] === "}}" && stack.length > 1) {
      stack.pop();
    } else {
      if (match[0] === "\\(" || match[0] === "\\[") math += 1;
      if ((match[0] === "\\)" || match[0] === "\\]") && math > 0) math -= 1;
      add(match[0]);
    }
  }
  if (last < text.length) add(text.slice(last));
  return root.children;
}

function renderClozeNodes(nodes, active, question) {
  let out = "";
  for (const node of nodes) {
    if (node.text !== undefined) {
      out += node.text;
      continue;
    }
    const shown = renderClozeNodes(node.children, active, question);
    if (node.number !== active) {
      out += node.math ? shown : `<span class="cloze-inactive" data-ordinal="${node.number}">${shown}</span>`;
    } else if (!question) {
      out += node.math ? shown : `<span class="cloze" data-ordinal="${node.number}">${shown}</span>`;
    } else {
      const hint = node.hinting ? renderClozeNodes(node.hint, active, question) : "...";
      out += node.math ? `[${hint}]`
        : `<span class="cloze" data-cloze="${escapeAttribute(shown)}" data-ordinal="${node.number}">[${hint}]</span>`;
    }
  }
  return out;
}

function renderCloze(text, active, question) {
  return renderClozeNodes(parseCloze(text), active, question);
}

// --- cards --------------------------------------------------------------------------------

const templates = new Map();
function template(type, index, side) {
  const key = `${type} ${index} ${side}`;
  if (!templates.has(key)) {
    const source = DATA.types[type].templates[index][side === "front" ? 1 : 2];
    templates.set(key, parseTemplate(source));
  }
  return templates.get(key);
}

function withMedia(html) {
  return html.replace(/(\ssrc=")([^":/?#]+)(")/g, (all, before, name, after) =>
    name in DATA.media ? before + DATA.media[name] + after : all);
}

function renderCard(index) {
  const [noteIndex, ord] = DATA.cards[index];
  const note = DATA.notes[noteIndex];
  const type = DATA.types[note.t];
  const fields = Object.fromEntries(type.fields.map((name, i) => [name, note.f[i]]));
  const which = type.cloze ? 0 : ord;
  const context = { fields, tags: note.g.join(" "), ord, question: true };
  const front = render(template(note.t, which, "front"), context);
  const back = render(template(note.t, which, "back"), { ...context, question: false, frontSide: front });
  return { front: withMedia(front), back: withMedia(back), css: DATA.css[type.css] };
}

function cardDocument(html, css, bodyClass) {
  return '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<style>${css}</style></head><body class="${bodyClass}"><div id="qa">${html}</div></body></html>`;
}

// --- the page -----------------------------------------------------------------------------

const main = document.querySelector("main");
const filter = document.getElementById("filter");
const count = document.getElementById("count");
const articles = [];

function fit(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.getElementById("qa")) return;  // still the empty page before the card loads
  frame.style.height = Math.ceil(doc.documentElement.getBoundingClientRect().height) + "px";
}

const FACES = [["Front", "light", LIGHT], ["Front", "night", NIGHT], ["Back", "light", LIGHT], ["Back", "night", NIGHT]];

function fill(article) {
  if (article.faces) return;
  const card = renderCard(Number(article.dataset.index));
  const faces = document.createElement("div");
  faces.className = "faces";
  for (const [side, mode, bodyClass] of FACES) {
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = `${side} · ${mode}`;
    const frame = document.createElement("iframe");
    frame.className = mode;
    frame.title = `${side}, ${mode} mode`;
    frame.setAttribute("sandbox", "allow-same-origin");  // card HTML may not run scripts
    frame.addEventListener("load", () => fit(frame));
    frame.srcdoc = cardDocument(side === "Front" ? card.front : card.back, card.css, bodyClass);
    figure.append(caption, frame);
    faces.append(figure);
  }
  article.append(faces);
  article.faces = faces;
  article.classList.remove("unfilled");
  article.style.minHeight = "";
}

function empty(article) {
  if (!article.faces) return;
  article.style.minHeight = article.getBoundingClientRect().height + "px";  // keep the place
  article.faces.remove();
  article.faces = null;
  article.classList.add("unfilled");
}

const near = new IntersectionObserver(entries => {
  for (const entry of entries) (entry.isIntersecting ? fill : empty)(entry.target);
}, { rootMargin: "1200px 0px" });

function article(index) {
  const [noteIndex, , name] = DATA.cards[index];
  const note = DATA.notes[noteIndex];
  const element = document.createElement("article");
  element.className = "unfilled";
  element.dataset.index = index;
  element.dataset.tags = note.g.join(" ").toLowerCase();
  const title = document.createElement("h2");
  title.textContent = note.h;
  const about = document.createElement("p");
  about.className = "about";
  const label = document.createElement("span");
  label.className = "card-name";
  label.textContent = name;
  about.append(label);
  for (const tag of note.g) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.tag = tag.toLowerCase();
    button.title = "show only this tag";
    button.textContent = tag;
    about.append(button);
  }
  const source = document.createElement("code");
  source.textContent = note.s;
  about.append(source);
  element.append(title, about);
  return element;
}

const searchText = new Map();  // made on the first search: the words of a card's note
function words(index) {
  const noteIndex = DATA.cards[index][0];
  if (!searchText.has(noteIndex)) {
    const note = DATA.notes[noteIndex];
    const text = note.f.join(" ").replace(/<[^>]*>/g, " ");
    searchText.set(noteIndex, [note.h, plain(text), ...note.g, note.s].join(" ").toLowerCase());
  }
  return searchText.get(noteIndex);
}

function matches(index, element, word) {
  if (!word.startsWith("tag:")) return words(index).includes(word);
  const wanted = word.slice(4);
  return element.dataset.tags.split(" ").some(t => t === wanted || t.startsWith(wanted + "::"));
}

function apply() {
  const wanted = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  articles.forEach((element, index) => {
    const keep = wanted.every(word => matches(index, element, word));
    element.hidden = !keep;
    shown += keep;
  });
  count.textContent = `${shown} of ${articles.length} cards`;
}

const fragment = document.createDocumentFragment();
for (let index = 0; index < DATA.cards.length; index++) {
  const element = article(index);
  articles.push(element);
  fragment.append(element);
}
main.append(fragment);
for (const element of articles) near.observe(element);
main.addEventListener("click", event => {
  const button = event.target.closest("button[data-tag]");
  if (button) { filter.value = "tag:" + button.dataset.tag; apply(); }
});
filter.addEventListener("input", apply);
window.addEventListener("resize", () => {
  for (const frame of document.querySelectorAll("iframe")) fit(frame);
});
count.textContent = `${articles.length} of ${articles.length} cards`;
document.body.dataset.ready = "true";
