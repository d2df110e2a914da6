// gkreport review: the page. Plain JS, no build step. The server (extract/review.py) is the
// authority on values; this file mirrors its number check to answer at once, and rechecks the
// template's arithmetic live as values are typed.
"use strict";

const TOKEN = document.querySelector('meta[name="gk-token"]').content;
const $ = (id) => document.getElementById(id);
const S = { reports: [], view: null, key: null, page: 1, text: null, sha: null };

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-GK-Token": TOKEN },
  };
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

function say(text, kind) {
  const m = $("message");
  m.textContent = text;
  m.className = kind || "";
}

// -- numbers: the same rules as extract/corrections.py parse_value -----------------------------

function parseValue(key, text) {
  const t = String(text ?? "").normalize("NFKC").trim().replace("−", "-");
  if (t === "") return { value: null };
  const shown = String(text).trim().slice(0, 20);
  const decimal = S.view.decimal.includes(key);
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) {
    const what = decimal ? "digits with an optional decimal point" : "whole numbers (digits only)";
    return { error: `「${shown}」 is not a number: type ${what}, or leave it empty for a blank cell` };
  }
  if (m[1] === "-" && !S.view.signed.includes(key)) return { error: `「${shown}」: a count cannot be negative` };
  if (m[3] !== undefined && !decimal) return { error: `「${shown}」: this field counts items, so it takes a whole number` };
  if (m[2].length > 13 || Number(m[2]) >= 1e12) return { error: `「${shown}」 is too large for a report's figure` };
  return { value: Number(t) };
}

const fmt = (v) => (v === null || v === undefined ? "" : String(v));
const same = (a, b) => (a === null || a === undefined || b === null || b === undefined)
  ? (a ?? null) === (b ?? null) : Math.abs(a - b) < 1e-9;

// -- report list ---------------------------------------------------------------------------------

async function loadList() {
  const q = new URLSearchParams({ status: $("f-status").value, kind: $("f-kind").value,
                                  review: $("f-review").value });
  const data = await api(`/api/reports?${q}`);
  S.reports = data.reports;
  fillFacet("f-status", data.facets.status);
  fillFacet("f-kind", data.facets.kind);
  $("count").textContent = `${data.reports.length} of ${data.total} reports`;
  const nav = $("list");
  nav.innerHTML = data.reports.map((r) => `
    <a href="#${r.sha256}" data-sha="${r.sha256}" class="${r.sha256 === S.sha ? "current" : ""}">
      <div>${esc(r.name)}</div>
      <div class="muted">${esc(r.agency || "?")} ${esc(r.year || "")}</div>
      <span class="badge ${esc(r.status)}">${esc(r.status)}</span>
      <span class="badge ${r.review === "reviewed" ? "reviewed" : ""}">${esc(r.review)}${r.doubtful_left ? ` · ${r.doubtful_left}` : ""}</span>
      <div class="kinds">${esc(r.issue_kinds.join(", "))}</div></a>`).join("");
}

function fillFacet(id, counts) {
  const sel = $(id), keep = sel.value;
  sel.innerHTML = `<option value="">all</option>` + Object.entries(counts)
    .map(([k, n]) => `<option value="${esc(k)}">${esc(k)} (${n})</option>`).join("");
  if (keep && !(keep in counts)) sel.innerHTML += `<option value="${esc(keep)}">${esc(keep)} (0)</option>`;
  sel.value = keep;
}

// -- one report ----------------------------------------------------------------------------------

async function openReport(sha) {
  S.sha = sha;
  for (const a of document.querySelectorAll("#list a")) a.classList.toggle("current", a.dataset.sha === sha);
  try {
    S.view = await api(`/api/report/${sha}`);
  } catch (e) {
    say(e.message, "error");
    return;
  }
  S.text = null;
  $("empty").hidden = true;
  $("report").hidden = false;
  const v = S.view, rep = v.report;
  $("title").textContent = `${rep.agency || "?"} ${rep.year || ""} · ${v.name}`;
  const st = v.source.status;
  $("meta").textContent = `template ${v.layout.template} · ${v.source.kind} · ${v.source.pages || "–"} pages · ` +
    `status ${v.status} (after review: ${v.status_reviewed}) · ${v.record_path}` +
    (st.changed ? " · WARNING: the source file changed since extraction" : "") +
    (st.missing ? " · the source file is not available" : "");
  say("");
  renderGrids();
  const order = new Map(cells().map((c, i) => [c.dataset.key, i]));   // the grids' order
  v.doubtful.sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
  renderLabels();
  refresh();
  const first = nextDoubtful(null, 1, true) || v.doubtful[0] || Object.keys(v.values)[0];
  if (first) select(first, true);
}

function cells() { return [...document.querySelectorAll("input.cell")]; }
function cellOf(key) { return document.querySelector(`input.cell[data-key="${CSS.escape(key)}"]`); }

function renderGrids() {
  const v = S.view;
  $("grids").innerHTML = v.grids.map((g) => {
    let head = "", body = "";
    if (g.per_row_columns) {
      body = g.rows.map((r) => `<tr><th class="rowlabel">${esc(r.label)}</th>` +
        Object.entries(r.cells).map(([c, k]) =>
          `<td><span class="collabel">${esc(v.labels[k].col_label)}</span>${cellInput(k)}</td>`).join("") +
        `</tr>`).join("");
    } else {
      head = `<tr><th></th>${g.columns.map((c) => `<th>${esc(c.label)}</th>`).join("")}</tr>`;
      body = g.rows.map((r) => r.group !== undefined
        ? `<tr class="group"><th colspan="${g.columns.length + 1}">${esc(r.group)}</th></tr>`
        : `<tr><th class="rowlabel">${esc(r.label)}</th>` + g.columns.map((c) =>
            `<td>${r.cells[c.key] ? cellInput(r.cells[c.key]) : ""}</td>`).join("") + `</tr>`).join("");
    }
    return `<div class="grid" data-table="${g.table}"><h2>${esc(g.title)}</h2>
      <table>${head}${body}</table></div>`;
  }).join("");
}

function cellInput(k) {
  const l = S.view.labels[k];
  return `<input class="cell" data-key="${esc(k)}" inputmode="decimal" autocomplete="off"
    spellcheck="false" aria-label="${esc(l.row_label)}·${esc(l.col_label)}">`;
}

// Classes and values of every cell from the view; typed (dirty) values are kept.
function refresh() {
  const v = S.view, doubt = new Set(v.doubtful), conflict = new Set(v.conflicts.map((c) => c.field));
  for (const inp of cells()) {
    const k = inp.dataset.key, corr = v.corrections[k];
    if (!inp.classList.contains("dirty")) inp.value = fmt(v.values[k]);
    inp.classList.toggle("missing", !(k in v.values));
    inp.classList.toggle("doubtful", doubt.has(k) && !corr);
    inp.classList.toggle("corrected", !!corr && corr.action === "set");
    inp.classList.toggle("confirmed", !!corr && corr.action === "confirm");
    inp.classList.toggle("conflict", conflict.has(k));
    inp.title = titleOf(k);
  }
  const left = v.doubtful.filter((k) => !v.corrections[k]);
  $("doubt-count").textContent = `${v.doubtful.length - left.length} of ${v.doubtful.length} reviewed`;
  $("doubtful").innerHTML = v.doubtful.map((k) =>
    `<li data-key="${esc(k)}" class="${v.corrections[k] ? "done" : ""} ${k === S.key ? "current" : ""}">` +
    `${esc(v.labels[k] ? v.labels[k].row_label + "·" + v.labels[k].col_label : k)} ` +
    `<span class="muted">${esc(fmt(v.values[k]) || (k in v.values ? "blank" : "missing"))}</span></li>`).join("");
  $("conflicts-panel").hidden = !v.conflicts.length;
  $("conflicts").innerHTML = v.conflicts.map((c) =>
    `<li data-key="${esc(c.field)}">${esc(labelOf(c.field))}: corrected to ${esc(fmt(c.after))} against ` +
    `${esc(fmt(c.corrected_against))}; the extraction now gives ${esc(fmt(c.extracted_now))} ` +
    `(Enter keeps the correction, u takes the extraction)</li>`).join("");
  recheck();
}

function labelOf(k) { const l = S.view.labels[k]; return l ? `${l.row_label}·${l.col_label}` : k; }

function titleOf(k) {
  const v = S.view, names = v.issues.filter((i) => i.fields.includes(k)).map((i) => i.kind);
  return `${k}${names.length ? " — " + [...new Set(names)].join(", ") : ""}`;
}

// -- arithmetic, live ------------------------------------------------------------------------------

function currentValues() {
  const vals = {}, present = new Set(Object.keys(S.view.values));
  for (const [k, val] of Object.entries(S.view.values)) vals[k] = val;
  for (const inp of cells()) {
    const k = inp.dataset.key;
    if (!inp.classList.contains("dirty")) continue;
    const p = parseValue(k, inp.value);
    if (p.error) { vals[k] = NaN; present.add(k); continue; }
    vals[k] = p.value;
    if (p.value !== null || k in S.view.values) present.add(k); else present.delete(k);
  }
  return { vals, present };
}

function recheck() {
  const { vals, present } = currentValues();
  const failing = new Set(), items = [];
  let nFail = 0;
  for (const r of S.view.rules) {
    const keys = r.left.concat(r.right);
    if (!keys.every((k) => present.has(k))) continue;
    const sum = (ks) => ks.reduce((s, k) => s + (vals[k] ?? 0), 0);
    const L = sum(r.left), R = sum(r.right);
    if (Number.isNaN(L) || Number.isNaN(R) || Math.abs(L - R) < 1e-6) continue;
    nFail++;
    keys.forEach((k) => failing.add(k));
    items.push(`<li data-key="${esc(r.left[0])}" data-rule="${esc(r.id)}">${esc(equation(r, vals))}</li>`);
  }
  for (const inp of cells()) inp.classList.toggle("rulefail", failing.has(inp.dataset.key));
  $("rule-count").textContent = nFail ? `${nFail} rule(s) fail` : "every rule holds";
  $("equations").innerHTML = items.join("") || `<li class="holds">every applicable rule holds</li>`;
}

function equation(r, vals) {
  const keys = r.left.concat(r.right), L = S.view.labels;
  const sameRow = keys.every((k) => L[k] && L[k].row_label === L[keys[0]].row_label);
  const name = (k) => (L[k] ? (sameRow ? L[k].col_label : L[k].row_label) : k);
  const term = (k) => `${name(k)} ${fmt(vals[k] ?? 0)}`;
  const side = (ks) => {
    if (ks.length <= 6) return ks.map(term).join(" + ");
    const nz = ks.filter((k) => (vals[k] ?? 0) !== 0);
    return nz.map(term).join(" + ") + ` (+ ${ks.length - nz.length} zero terms)`;
  };
  const sum = (ks) => ks.reduce((s, k) => s + (vals[k] ?? 0), 0);
  const where = sameRow ? `${L[keys[0]].row_label}: ` : `${L[keys[0]].col_label}: `;
  return `${where}${side(r.left)} = ${fmt(sum(r.left))} ≠ ${side(r.right)} = ${fmt(sum(r.right))}`;
}

// -- selection, page image --------------------------------------------------------------------------

function select(key, focus) {
  S.key = key;
  const inp = cellOf(key);
  if (inp && focus) { inp.focus(); inp.select(); }
  for (const li of document.querySelectorAll("#doubtful li")) li.classList.toggle("current", li.dataset.key === key);
  const v = S.view, p = v.provenance[key] || {}, corr = v.corrections[key];
  const issues = v.issues.filter((i) => i.fields.includes(key));
  $("selected").innerHTML = `<b>${esc(labelOf(key))}</b> <span class="muted">${esc(key)}</span><br>` +
    `value <b>${esc(fmt(v.values[key]) || (key in v.values ? "blank" : "missing"))}</b>` +
    (key in v.extracted ? ` · extracted ${esc(fmt(v.extracted[key]) || "blank")} from 「${esc((p.extracted || p).text ?? "")}」` +
      ` (${esc((p.extracted || p).engine)}, confidence ${esc((p.extracted || p).confidence)})` : " · not extracted") +
    (corr ? ` · <b>${corr.action === "confirm" ? "confirmed" : "corrected"}</b> ${esc(corr.when)}` : "") +
    (p.page ? ` · page ${p.page}` : "") +
    issues.map((i) => `<div class="muted">${esc(i.kind)}: ${esc(i.message)}</div>`).join("") +
    `<div id="cell-error" class="err"></div>`;
  showSource(p);
}

function showSource(p) {
  const v = S.view, st = v.source.status;
  $("pagebox").hidden = !st.pages;
  $("pagenav").hidden = !st.pages;
  $("sourcetext").hidden = !st.text;
  if (st.pages) {
    if (p && p.page) S.page = p.page;
    else if (!S.page || S.page > v.pages.length) S.page = 1;
    showPage(S.page, p && p.page === S.page ? p.bbox : null);
  } else if (st.text) {
    showText(p && p.span);
  } else {
    $("source-note").textContent = st.missing ? "the source file is not available" :
      `no page image for a ${v.source.kind} input`;
    $("pagenav").hidden = false;
  }
}

function showPage(n, bbox) {
  const v = S.view, size = v.pages[n - 1];
  if (!size) return;
  const img = $("pageimg"), src = `/api/report/${v.sha256}/page/${n}.png`;
  if (img.getAttribute("src") !== src) img.src = src;
  $("pageno").textContent = ` page ${n} of ${v.pages.length} `;
  const svg = $("overlay");
  svg.setAttribute("viewBox", `0 0 ${size.width} ${size.height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  let out = v.regions.filter((r) => r.page === n).map((r) => {
    const [x0, y0, x1, y1] = r.bbox;
    return `<rect class="region" x="${x0 - 3}" y="${y0 - 3}" width="${x1 - x0 + 6}" height="${y1 - y0 + 6}"></rect>` +
      `<text class="region-label" x="${x0}" y="${Math.max(12, y0 - 6)}">${esc(r.section)}</text>`;
  }).join("");
  if (bbox) {
    const [x0, y0, x1, y1] = bbox;
    out += `<rect class="field" id="field-box" x="${x0 - 2}" y="${y0 - 2}" width="${x1 - x0 + 4}" height="${y1 - y0 + 4}"></rect>`;
  }
  svg.innerHTML = out;
  if (bbox) {
    const scroll = () => {
      const pane = $("pagepane"), h = img.clientHeight;
      if (!h) return;
      const y = (bbox[1] / size.height) * h;
      if (y < pane.scrollTop + 40 || y > pane.scrollTop + pane.clientHeight - 80) pane.scrollTop = y - pane.clientHeight / 3;
    };
    if (img.complete && img.naturalWidth) scroll(); else img.onload = scroll;
  }
}

async function showText(span) {
  const pre = $("sourcetext");
  if (S.text === null) {
    try { S.text = (await api(`/api/report/${S.view.sha256}/text`)).text; } catch (e) { S.text = `(${e.message})`; }
  }
  if (!span) { pre.textContent = S.text; return; }
  pre.innerHTML = esc(S.text.slice(0, span[0])) + `<mark id="span-mark">${esc(S.text.slice(span[0], span[1]))}</mark>` + esc(S.text.slice(span[1]));
  const m = $("span-mark");
  if (m) m.scrollIntoView({ block: "center" });
}

// -- moving between doubtful fields ----------------------------------------------------------------

function nextDoubtful(from, dir, unreviewedOnly) {
  const v = S.view, order = cells().map((c) => c.dataset.key).filter((k) => v.doubtful.includes(k));
  if (!order.length) return null;
  const pool = unreviewedOnly ? order.filter((k) => !v.corrections[k]) : order;
  if (!pool.length) return null;
  const i = from === null ? -1 : order.indexOf(from);
  if (dir > 0) return pool.find((k) => order.indexOf(k) > i) || pool[0];
  return [...pool].reverse().find((k) => order.indexOf(k) < i) || pool[pool.length - 1];
}

function go(dir) {
  const k = nextDoubtful(S.key, dir, false);
  if (k) select(k, true);
}

function goOn() {
  const k = nextDoubtful(S.key, 1, true);
  if (k) select(k, true);
  else say("every doubtful field is reviewed: save the truth file with T if the report is done", "ok");
}

// -- writes ----------------------------------------------------------------------------------------

async function act(key, action, value) {
  try {
    const order = S.view.doubtful;
    S.view = Object.assign(await api(`/api/report/${S.view.sha256}/field`, { field: key, action, value }),
                           { pages: S.view.pages, doubtful: order });
  } catch (e) {
    say(e.message, "error");
    const ce = $("cell-error");
    if (ce) ce.textContent = e.message;
    return false;
  }
  const inp = cellOf(key);
  if (inp) inp.classList.remove("dirty", "invalid");
  say(`${labelOf(key)}: ${action === "set" ? "corrected to " + (fmt(S.view.values[key]) || "blank") :
       action === "confirm" ? "accepted as " + (fmt(S.view.values[key]) || "blank") : "back to the extraction"}`, "ok");
  refresh();
  select(key, false);
  loadList();
  return true;
}

async function commit(inp) {
  const k = inp.dataset.key, p = parseValue(k, inp.value);
  if (p.error) { showInvalid(inp, p.error); return; }
  const v = S.view, corr = v.corrections[k];
  const unchanged = same(p.value, v.values[k]) && (k in v.values || p.value !== null);
  const conflict = v.conflicts.some((c) => c.field === k);
  let ok;
  if (!unchanged) ok = await act(k, "set", inp.value);
  else if (corr && corr.action === "set") ok = conflict ? await act(k, "set", inp.value) : true;
  else ok = await act(k, "confirm");
  if (ok) goOn();
}

function showInvalid(inp, msg) {
  inp.classList.add("invalid");
  say(msg, "error");
  const ce = $("cell-error");
  if (ce) ce.textContent = msg;
}

async function saveTruth() {
  try {
    const r = await api(`/api/report/${S.view.sha256}/truth`, {});
    say(`saved ${r.file}: ${r.fields} fields` + (r.checks.length ? `, ${r.checks.length} rule(s) broken as printed` : "") +
        (r.unreviewed_doubtful.length ? `; ${r.unreviewed_doubtful.length} doubtful field(s) not reviewed` : ""),
        r.unreviewed_doubtful.length ? "" : "ok");
  } catch (e) { say(e.message, "error"); }
}

// -- labels (training data) ------------------------------------------------------------------------

function renderLabels() {
  const v = S.view;
  $("unknown-labels").innerHTML = v.unknown_labels.length ? v.unknown_labels.map((u, i) =>
    `<li><button type="button" data-ul="${i}">use</button> 「${esc(u.text)}」 <span class="muted">section ${esc(u.section || "?")}, ` +
    `classifier: ${esc(u.guess)} (${esc(u.probability)})</span></li>`).join("")
    : `<li class="muted">no unplaced labels; type a printed label the extraction misread and the key it means</li>`;
  fillLabelKeys();
}

function fillLabelKeys(selected) {
  const keys = S.view.label_keys[$("lb-section").value] || [];
  $("lb-key").innerHTML = keys.map((k) => `<option ${k === selected ? "selected" : ""}>${esc(k)}</option>`).join("");
}

async function addLabel(ev) {
  ev.preventDefault();
  const body = { text: $("lb-text").value, context: $("lb-context").value, section: $("lb-section").value,
                 kind: $("lb-kind").value, key: $("lb-key").value };
  try {
    const r = await api(`/api/report/${S.view.sha256}/label`, body);
    say(`label 「${r.text}」 = ${r.key} recorded` + (r.curated ? ` and added to ${r.curated}` : " (no training data folder)"), "ok");
    $("lb-text").value = "";
  } catch (e) { say(e.message, "error"); }
}

// -- events ----------------------------------------------------------------------------------------

function onCellKey(ev) {
  const inp = ev.target, k = inp.dataset.key;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === "Enter") { ev.preventDefault(); commit(inp); return; }
  if (ev.key === "Escape") {
    ev.preventDefault();
    inp.classList.remove("dirty", "invalid");
    inp.value = fmt(S.view.values[k]);
    recheck();
    return;
  }
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    moveVertical(inp, ev.key === "ArrowDown" ? 1 : -1);
    return;
  }
  if (ev.key.length !== 1 || /[0-9.+\-０-９．]/.test(ev.key)) return;   // typing a number
  ev.preventDefault();                                                   // letters are commands
  const cmd = ev.key;
  if (cmd === "n" || cmd === "j") go(1);
  else if (cmd === "p" || cmd === "k") go(-1);
  else if (cmd === "a") { inp.classList.remove("dirty", "invalid"); act(k, "confirm").then((ok) => ok && goOn()); }
  else if (cmd === "u") { inp.classList.remove("dirty", "invalid"); act(k, "revert"); }
  else if (cmd === "T") saveTruth();
  else if (cmd === "[" || cmd === "]") stepReport(cmd === "]" ? 1 : -1);
  else if (cmd === "?") $("help").hidden = !$("help").hidden;
  else showInvalid(inp, `「${cmd}」: numbers only (n/p move, a accepts, u undoes, Enter saves)`);
}

function moveVertical(inp, dir) {
  const td = inp.closest("td"), tr = td.closest("tr"), col = [...tr.children].indexOf(td);
  let row = dir > 0 ? tr.nextElementSibling : tr.previousElementSibling;
  while (row) {
    const c = row.children[col] && row.children[col].querySelector("input.cell");
    if (c) { select(c.dataset.key, true); return; }
    row = dir > 0 ? row.nextElementSibling : row.previousElementSibling;
  }
}

function stepReport(dir) {
  const i = S.reports.findIndex((r) => r.sha256 === S.sha), r = S.reports[i + dir];
  if (r) location.hash = r.sha256;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["f-status", "f-kind", "f-review"]) $(id).addEventListener("change", loadList);
  $("help-btn").addEventListener("click", () => { $("help").hidden = !$("help").hidden; });
  $("save-truth").addEventListener("click", saveTruth);
  $("prev-page").addEventListener("click", () => { if (S.page > 1) showPage(--S.page, null); });
  $("next-page").addEventListener("click", () => { if (S.page < S.view.pages.length) showPage(++S.page, null); });
  $("lb-section").addEventListener("change", () => fillLabelKeys());
  $("label-form").addEventListener("submit", addLabel);
  $("grids").addEventListener("keydown", (ev) => { if (ev.target.matches("input.cell")) onCellKey(ev); });
  $("grids").addEventListener("input", (ev) => {
    const inp = ev.target;
    if (!inp.matches("input.cell")) return;
    inp.classList.add("dirty");
    const p = parseValue(inp.dataset.key, inp.value);
    inp.classList.toggle("invalid", !!p.error);
    const ce = $("cell-error");
    if (ce) ce.textContent = p.error || "";
    recheck();
  });
  $("grids").addEventListener("focusin", (ev) => {
    if (ev.target.matches("input.cell") && ev.target.dataset.key !== S.key) select(ev.target.dataset.key, false);
  });
  for (const id of ["doubtful", "equations", "conflicts"]) {
    $(id).addEventListener("click", (ev) => {
      const li = ev.target.closest("li[data-key]");
      if (li) select(li.dataset.key, true);
    });
  }
  $("unknown-labels").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-ul]");
    if (!b) return;
    const u = S.view.unknown_labels[Number(b.dataset.ul)];
    $("lb-text").value = u.text;
    if (u.section) $("lb-section").value = u.section;
    $("lb-kind").value = u.kind;
    fillLabelKeys(u.guess);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.matches("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey || !S.view) return;
    if (ev.key === "n" || ev.key === "j") go(1);
    else if (ev.key === "p" || ev.key === "k") go(-1);
    else if (ev.key === "[" || ev.key === "]") stepReport(ev.key === "]" ? 1 : -1);
    else if (ev.key === "?") $("help").hidden = !$("help").hidden;
    else if (ev.key === "T") saveTruth();
    else return;
    ev.preventDefault();
  });
  window.addEventListener("hashchange", () => { const s = location.hash.slice(1); if (s) openReport(s); });
  loadList().then(() => {
    const s = location.hash.slice(1) || (S.reports[0] && S.reports[0].sha256);
    if (s) openReport(s);
  }).catch((e) => say(e.message, "error"));
});
