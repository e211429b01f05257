// The studio page: forms post to the API, the job is polled, its files are shown. No framework, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
let currentJob = null; // the last finished harmonize/chorale job, which Restyle uses by default
let shownScoreJob = null; // the score job on screen, which Regenerate rewrites
const undoStack = []; // score jobs shown before a regeneration, for Undo
let selection = null; // {anchor, from, to}: engraved measures (0-based) selected on the score
let firstBar = 1; // the number printed on the first measure (0 with a pickup)
let regenerations = 0; // each Regenerate draws with a new seed

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    document.querySelectorAll(".tab, .panel").forEach((el) => el.classList.remove("active"));
    tab.classList.add("active");
    $(tab.dataset.panel).classList.add("active");
  });
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("status").hidden = true;
}

function formData(form) {
  const data = new FormData();
  for (const [name, value] of new FormData(form).entries()) {
    if (value instanceof File ? value.size > 0 : value !== "") data.append(name, value);
  }
  return data;
}

async function run(form, url, extra) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  $("error").hidden = true;
  $("messages").replaceChildren();
  $("status").hidden = false;
  $("progress").value = 0;
  $("stage").textContent = "sending";
  try {
    const data = formData(form);
    if (extra) extra(data);
    let response = await fetch(url, { method: "POST", body: data });
    let job = await response.json();
    if (response.status === 429 || response.status === 503) {
      return showError(`busy, try again in ${response.headers.get("Retry-After") || job.retry_after || "a few"} s (${job.error})`);
    }
    if (!response.ok) return showError(job.error || `request failed (${response.status})`);
    while (job.status === "queued" || job.status === "running") {
      $("progress").value = job.progress;
      $("stage").textContent = job.status === "queued" && job.queue_position
        ? `queued: ${job.queue_position} job(s) ahead` : job.stage;
      await new Promise((resolve) => setTimeout(resolve, 300));
      response = await fetch(job.job);
      job = await response.json();
      if (!response.ok) return showError(job.error || `polling failed (${response.status})`);
    }
    showMessages(job.messages);
    if (job.status === "error") return showError(job.error);
    $("status").hidden = true;
    show(job);
  } catch (error) {
    showError(`the studio did not answer (${error})`);
  } finally {
    button.disabled = false;
  }
}

function showMessages(lines) {
  $("messages").replaceChildren(...lines.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
}

function cells(row, values) {
  for (const value of values) row.append(Object.assign(document.createElement("td"), { textContent: value }));
  return row;
}

async function showCritique(url) {
  const found = await (await fetch(url)).json();
  $("cadences").textContent = found.cadences.map((c) => `bar ${c.bar}: ${c.kind}${c.at_fermata ? " (fermata)" : ""}`)
    .join(", ") || "none";
  $("rates").tBodies[0].replaceChildren(...Object.entries(found.rule_names).map(([rule, name]) => {
    const here = found.rates[rule], bach = found.bach_rates[rule];
    const row = cells(document.createElement("tr"), [name, found.marks.filter((m) => m.rule === rule).length,
      here.toFixed(2), bach.toFixed(2)]);
    if (here > 1.25 * bach + 0.1) row.className = "above";
    return row;
  }));
  $("marks").tBodies[0].replaceChildren(...found.marks.map((m) => cells(document.createElement("tr"),
    [m.bar, m.beat, found.rule_names[m.rule], m.voices.join(", "), m.detail])));
  $("critique").hidden = false;
}

function show(job) {
  const files = job.files;
  $("result").hidden = false;
  $("critique").hidden = true;
  $("result-title").textContent = job.kind === "stylize" ? "Before and after" : job.kind === "check" ? "Marked score" : "Score";
  $("player-main").hidden = job.kind === "check";
  $("regenerate-form").hidden = !["harmonize", "chorale", "reharmonize"].includes(job.kind);
  $("score-svg").hidden = true;
  $("roll").hidden = $("roll-title").hidden = job.kind === "check";
  if (job.kind === "check") {
    $("player-after").hidden = true;
    $("score").hidden = false;
    $("score").src = files.svg;
    showCritique(files.json);
  } else if (job.kind === "stylize") {
    $("audio").src = files.before_wav;
    $("player-after").hidden = false;
    $("audio-after").src = files.wav;
    $("score").hidden = true;
    $("roll-title").textContent = "Spectrograms: content, style, result";
    $("roll").src = files.png;
  } else {
    currentJob = job.id;
    if (job.kind === "reharmonize" && shownScoreJob && !undoing) undoStack.push(shownScoreJob);
    shownScoreJob = job;
    $("undo").disabled = undoStack.length === 0;
    $("player-after").hidden = true;
    $("audio").src = files.wav;
    $("score").hidden = true;
    showSelectableScore(files.svg, job.info.first_bar ?? 1);
    $("roll-title").textContent = "Piano roll";
    $("roll").src = files.png;
  }
  const links = Object.entries(files).filter(([key]) => ["mid", "musicxml", "svg", "wav", "json"].includes(key));
  $("downloads").replaceChildren(...links.map(([key, url]) =>
    Object.assign(document.createElement("a"), { href: url, textContent: `Download ${job.labels[key]}`, download: "" })));
  const rows = job.samples.length > 1 ? job.samples : [];
  $("ranking").hidden = rows.length === 0;
  $("ranking").tBodies[0].replaceChildren(...rows.map((s) => {
    const row = document.createElement("tr");
    row.innerHTML = `<td>${s.rank}</td><td>${s.critic.toFixed(3)}</td>`;
    const cell = document.createElement("td");
    cell.append(Object.assign(document.createElement("a"), { href: s.url, textContent: "MIDI", download: "" }));
    row.append(cell);
    return row;
  }));
}

$("harmonize-form").addEventListener("submit", (event) => { event.preventDefault(); run(event.target, "/api/harmonize"); });
$("generate-form").addEventListener("submit", (event) => { event.preventDefault(); run(event.target, "/api/chorale"); });
$("check-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(event.target, "/api/check", (data) => { if (!data.has("file") && currentJob) data.append("job", currentJob); });
});
$("restyle-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(event.target, "/api/stylize", (data) => { if (!data.has("content") && currentJob) data.append("job", currentJob); });
});

// -- regenerating bars: select measures on the inline score, rewrite the unlocked voices there, undo --
let undoing = false;

async function showSelectableScore(url, first) {
  const text = await (await fetch(url)).text();
  const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  const holder = $("score-svg");
  holder.replaceChildren(document.importNode(svg, true));
  holder.dataset.src = url;
  holder.hidden = false;
  firstBar = first;
  selection = null;
  const measures = [...holder.querySelectorAll("g.measure")];
  measures.forEach((measure, index) => {
    const box = measure.getBBox(); // the whole bar is a target, not only its notes
    const hit = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    for (const [name, value] of Object.entries({ x: box.x, y: box.y, width: box.width, height: box.height })) {
      hit.setAttribute(name, value);
    }
    hit.setAttribute("class", "bar-hit");
    measure.insertBefore(hit, measure.firstChild);
    measure.dataset.index = index;
    measure.addEventListener("mousedown", (event) => {
      event.preventDefault();
      const anchor = event.shiftKey && selection ? selection.anchor : index;
      select(measures, anchor, index);
    });
    measure.addEventListener("mouseenter", (event) => {
      if (event.buttons === 1 && selection) select(measures, selection.anchor, index);
    });
  });
  showSelection(measures);
}

function select(measures, anchor, index) {
  selection = { anchor, from: Math.min(anchor, index), to: Math.max(anchor, index) };
  showSelection(measures);
}

function showSelection(measures) {
  measures.forEach((m, i) => m.classList.toggle("selected", selection !== null && i >= selection.from && i <= selection.to));
  const button = $("regenerate-form").querySelector("button[type=submit]");
  button.disabled = selection === null;
  $("selection").textContent = selection === null
    ? "Click a bar on the score (shift-click or drag for more) to write it again."
    : `bars ${selection.from + firstBar}\u2013${selection.to + firstBar} selected`;
}

$("regenerate-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const locked = [...event.target.querySelectorAll("input[name=lock]:checked")].map((box) => box.value);
  const voices = ["alto", "tenor", "bass"].filter((voice) => !locked.includes(voice));
  if (voices.length === 0) return showError("every lower voice is locked: unlock one to regenerate");
  if (!selection || !shownScoreJob) return;
  regenerations += 1;
  run(event.target, "/api/reharmonize", (data) => {
    data.delete("lock");
    data.set("job", shownScoreJob.id);
    data.set("bars", `${selection.from + firstBar}-${selection.to + firstBar}`);
    data.set("voices", voices.join(","));
    data.set("seed", String(regenerations));
  });
});

$("undo").addEventListener("click", () => {
  const previous = undoStack.pop();
  if (!previous) return;
  undoing = true;
  try {
    show(previous);
    showMessages(["undone: back to the version before the last regeneration"]);
  } finally {
    undoing = false;
  }
});
