// The page of a lab: draws its diagram (Cytoscape, positions from Graphviz) and, when served by
// `topo ui`, the state the server pushes (/events): kernel state, drift (the plan's own lines),
// counters, processes, last checks. Names come from the kernel and the file: set as text only.
"use strict";

const COLOURS = { node: "#ff9966", root: "#99ff66", netns: "#ffff33", iface: "#00ffff", bridge: "#00aaff",
  lo: "#ffccff", services: "#eeeeee", service: "#ffffff" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function cyStyle() {
  const s = [
    { selector: "node", style: { label: "data(display)", "text-wrap": "wrap", "font-size": 10, "text-valign": "center",
      "text-halign": "center", "border-width": 2, "border-color": "#333", width: "label", height: "label", padding: "8px" } },
    { selector: "node.cluster", style: { shape: "round-rectangle", "text-valign": "top", "font-size": 12,
      "font-weight": "bold", padding: "14px", "background-opacity": 0.6 } },
    { selector: "node.circle", style: { shape: "ellipse" } },
    { selector: "node.hexagon", style: { shape: "hexagon", padding: "14px" } },
    { selector: "node.rect", style: { shape: "round-rectangle" } },
    { selector: "edge", style: { label: "data(display)", "font-size": 9, "text-wrap": "wrap", "curve-style": "bezier",
      width: 2, "line-color": "#555", "text-background-color": "#fff", "text-background-opacity": 0.8 } },
    { selector: "edge.veth", style: { width: 4 } },
    { selector: "edge.port", style: { "line-style": "dashed" } },
    { selector: "edge.tunnel", style: { "line-style": "dotted", width: 3 } },
    { selector: "edge.service", style: { "line-style": "dashed", "target-arrow-shape": "triangle" } },
    { selector: ".state-down", style: { "border-style": "dashed", "border-color": "#888", "line-color": "#aaa", "line-style": "dashed" } },
    { selector: "node.state-down", style: { "background-color": "#ddd" } },
    { selector: ".state-missing", style: { "border-color": "#c00", "line-color": "#c00", "border-style": "dotted" } },
    { selector: ".state-drift", style: { "border-color": "#e00", "border-width": 5, "line-color": "#e00" } },
  ];
  for (const [name, colour] of Object.entries(COLOURS)) s.push({ selector: "." + name, style: { "background-color": colour } });
  return s;
}

function draw(drawing) {
  document.getElementById("title").textContent = "lab " + drawing.lab;
  document.title = "topo: lab " + drawing.lab;
  for (const e of drawing.elements) e.data.display = e.data.label;
  const cy = cytoscape({ container: document.getElementById("cy"), elements: drawing.elements, style: cyStyle(),
    layout: drawing.placed ? { name: "preset", fit: true, padding: 20 } : { name: "cose", animate: false, padding: 20 },
    wheelSensitivity: 0.3 });
  window.topoCy = cy;
  return cy;
}

function fmt(n) { return n === null || n === undefined ? "" : String(n); }

function counterCells(c) {
  const v = c || {};
  const drops = c ? (v.rx_dropped + v.tx_dropped) : null;
  return [["rx_packets", v.rx_packets], ["tx_packets", v.tx_packets], ["rx_bytes", v.rx_bytes], ["tx_bytes", v.tx_bytes],
    ["drops", drops]].map(([k, n]) => el("td", { class: "num " + k }, fmt(n)));
}

function driftList(lines) {
  return el("ul", { class: "drift" }, ...lines.map((l) => el("li", {}, l)));
}

function fill(id, rows) {
  const box = document.querySelector(id);
  box.replaceChildren(...rows);
}

function updateDiagram(cy, doc) {
  cy.batch(() => {
    cy.elements().removeClass("state-up state-down state-missing state-drift");
    for (const [id, o] of Object.entries(doc.objects)) {
      const n = cy.getElementById(id);
      if (n.empty()) continue;
      n.addClass("state-" + (o.drift.length ? "drift" : o.state));
      n.data("display", n.data("label") + "\n" + o.state + (o.mtu ? ", mtu " + o.mtu : ""));
    }
    for (const ns of doc.namespaces) {
      const n = cy.getElementById(ns.id);
      if (n.empty()) continue;
      if (ns.drift.length) n.addClass("state-drift"); else if (!ns.exists) n.addClass("state-missing");
    }
    for (const l of doc.links) {
      const e = cy.getElementById(l.id);
      if (e.empty()) continue;
      e.addClass("state-" + l.state);
      const c = l.counters;
      e.data("display", e.data("label") + (c ? `\n${c.tx_packets}/${c.rx_packets} pkts` : ""));
    }
  });
}

// a download of a capture on the interface (the server runs tcpdump in its namespace for a few seconds)
function captureLink(id, name) {
  const seconds = (window.TOPO_CONFIG || {}).captureSeconds || 10;
  const href = "/api/capture?" + new URLSearchParams({ iface: id, seconds: String(seconds), count: "1000" });
  return el("a", { class: "capture", href: href, download: "", title: `capture ${seconds} s on ${name} (pcap)` },
    `pcap ${seconds} s`);
}

function updatePanel(doc) {
  const plan = doc.plan;
  const summary = document.getElementById("summary");
  summary.textContent = plan.summary;
  summary.className = "summary" + (plan.empty ? "" : " drift");
  document.getElementById("plan-summary").textContent = plan.summary;
  fill("#plan", [...plan.conflicts, ...plan.lines].map((l) => el("li", {}, l)));
  fill("#namespaces", doc.namespaces.map((ns) => el("li",
    { class: "netns state-" + (ns.drift.length ? "drift" : ns.exists ? "up" : "missing"), "data-name": ns.name, "data-id": ns.id },
    ns.name, ns.exists ? "" : " (missing)", driftList(ns.drift))));
  fill("#links tbody", doc.links.map((l) => el("tr",
    { class: "link state-" + l.state, "data-id": l.id, "data-a": l.a, "data-b": l.b, "data-kind": l.kind },
    el("td", {}, l.a), el("td", {}, l.b), el("td", {}, l.label),
    el("td", { class: "state" }, l.state, driftList(l.drift)), ...counterCells(l.counters))));
  fill("#ifaces tbody", Object.entries(doc.objects).map(([id, o]) => el("tr",
    { class: "iface state-" + (o.drift.length ? "drift" : o.state), "data-id": id, "data-name": o.name },
    el("td", {}, o.name), el("td", { class: "state" }, o.state, driftList(o.drift)), el("td", {}, fmt(o.mtu)),
    el("td", {}, o.addresses.join(" ")), el("td", {}, captureLink(id, o.name)))));
  document.getElementById("processes-section").hidden = doc.processes.length === 0;
  fill("#processes", doc.processes.map((p) => el("li",
    { class: "process " + (p.status === "running" ? "passed" : "failed"), "data-name": p.namespace + "/" + p.name },
    `${p.namespace}/${p.name}: ${p.status}`, driftList(p.drift))));
  updateChecks(doc.checks);
}

function updateChecks(checks) {
  const box = document.getElementById("checks");
  if (!checks) { box.replaceChildren("not run"); return; }
  const when = new Date(checks.ran_at * 1000).toLocaleString();
  box.replaceChildren(el("div", {}, "last run " + when),
    el("ul", {}, ...checks.checks.map((c) => el("li", { class: "check " + c.result, "data-name": c.name },
      `${c.name}: ${c.result}`, c.detail ? ` (${c.detail})` : ""))));
}

function connect(cy) {
  const conn = document.getElementById("conn");
  const source = new EventSource("/events");
  source.addEventListener("state", (ev) => {
    const doc = JSON.parse(ev.data);
    conn.textContent = "live"; conn.className = "badge live";
    if (doc.error) { document.getElementById("summary").textContent = doc.error; return; }
    updateDiagram(cy, doc);
    updatePanel(doc);
    window.topoState = doc;
  });
  source.onerror = () => { conn.textContent = "reconnecting"; conn.className = "badge lost"; };
}

async function change(what) {
  const dialog = document.getElementById("confirm");
  const go = document.getElementById("confirm-go");
  const preview = await (await fetch("/api/plan?for=" + what)).json();
  document.getElementById("confirm-title").textContent = what + ": the plan first";
  document.getElementById("confirm-summary").textContent = preview.summary || preview.error || "";
  fill("#confirm-lines", (preview.lines || []).map((l) => el("li", {}, l)));
  document.getElementById("confirm-output").textContent = "";
  go.hidden = false;
  dialog.onclose = async () => {
    if (dialog.returnValue !== "go") return;
    dialog.returnValue = "";
    go.hidden = true;
    document.getElementById("confirm-output").textContent = "running topo " + what + " ...";
    dialog.showModal();
    const res = await fetch("/api/" + what, { method: "POST", headers: { "X-Topo-Token": window.TOPO_CONFIG.token } });
    const out = await res.json();
    document.getElementById("confirm-output").textContent = out.error || `exit ${out.exit}\n${out.output}`;
  };
  dialog.showModal();
}

// a multi-node lab: every node is drawn from the file, the live state is this machine's node only
function nodesNote(config) {
  const others = (config.nodes || []).filter((n) => n !== config.node);
  const note = document.getElementById("nodes-note");
  note.hidden = others.length === 0;
  note.textContent = others.length ? `live state: node ${config.node} only; ${others.join(", ")} drawn from the file` : "";
}

function buttons(config) {
  nodesNote(config);
  const mode = document.getElementById("mode");
  if (!config.allowChanges) { mode.textContent = "read-only"; return; }
  mode.textContent = "changes allowed"; mode.className = "badge changes";
  const box = document.getElementById("actions");
  for (const [what, label] of [["apply", "Apply"], ["destroy", "Destroy"], ["check", "Run checks"]]) {
    const b = el("button", { id: "button-" + what, type: "button" }, label);
    b.addEventListener("click", () => change(what));
    box.append(b);
  }
}

function staticPage(drawing) {
  draw(drawing);
  document.getElementById("conn").textContent = "drawing only (topo graph --format html)";
  for (const id of ["plan-section", "ifaces-section", "processes-section", "checks-section"]) document.getElementById(id).hidden = true;
  const ids = new Map(drawing.elements.map((e) => [e.data.id, e.data.label.split("\n")[0]]));
  fill("#namespaces", drawing.elements.filter((e) => e.data.kind === "cluster").map((e) =>
    el("li", { class: "netns", "data-id": e.data.id }, e.data.label)));
  fill("#links tbody", drawing.elements.filter((e) => e.group === "edges").map((e) => el("tr",
    { class: "link", "data-id": e.data.id, "data-kind": e.data.kind },
    el("td", {}, ids.get(e.data.source)), el("td", {}, ids.get(e.data.target)), el("td", {}, e.data.label))));
}

document.addEventListener("DOMContentLoaded", async () => {
  if (window.TOPO_STATIC) { staticPage(window.TOPO_STATIC); return; }
  buttons(window.TOPO_CONFIG || {});
  const drawing = await (await fetch("/api/drawing")).json();
  connect(draw(drawing));
});
