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
    if ((found.above_bach ?? []).includes(rule)) row.className = "above";  // the critic's bound, from the server
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
    if (job.kind !== "transcribe") currentJob = job.id; // a melody alone is not a chorale to restyle or check
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

$("harmonize-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(event.target, "/api/harmonize", (data) => { if (!data.has("file") && recorded) data.set("file", recorded); });
});
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
let keepSelection = false; // set by Regenerate, so that another version of the same bars is one click away

async function showSelectableScore(url, first) {
  const text = await (await fetch(url)).text();
  const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  const holder = $("score-svg");
  holder.replaceChildren(document.importNode(svg, true));
  holder.dataset.src = url;
  holder.hidden = false;
  const kept = keepSelection ? selection : null; // after a regeneration the same bars stay selected
  keepSelection = false;
  firstBar = first;
  const measures = [...holder.querySelectorAll("g.measure")];
  selection = kept && kept.to < measures.length ? kept : null;
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
  keepSelection = true;
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

// -- recording a melody: Web Audio capture to 16-bit WAV (what the server reads), an optional count-in --
let recorded = null; // the last recording, as a WAV File
let capture = null; // the recording in progress

$("record").addEventListener("click", async () => {
  $("error").hidden = true;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(
      { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  } catch (error) {
    return showError(`no microphone to record from (${error.message || error})`);
  }
  const context = new AudioContext();
  $("record").disabled = true;
  if ($("count-in").checked) {
    $("record-status").textContent = "count-in: 1 2 3 4";
    await countIn(context);
  }
  const source = context.createMediaStreamSource(stream);
  const processor = context.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  processor.onaudioprocess = (event) => chunks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
  source.connect(processor);
  processor.connect(context.destination); // the processor runs only when connected; it outputs silence
  capture = { stream, context, processor, source, chunks };
  $("stop").disabled = false;
  $("record-status").textContent = "recording: press Stop at the end";
});

$("stop").addEventListener("click", async () => {
  if (!capture) return;
  const { stream, context, processor, source, chunks } = capture;
  capture = null;
  processor.disconnect();
  source.disconnect();
  stream.getTracks().forEach((track) => track.stop());
  const samples = chunks.reduce((count, chunk) => count + chunk.length, 0);
  const resampled = await resample(chunks, context.sampleRate, RECORDING_RATE); // 2.6 MB a minute: uploads stay small
  recorded = new File([wavBytes([resampled], RECORDING_RATE)], "recording.wav", { type: "audio/wav" });
  context.close();
  $("recording").src = URL.createObjectURL(recorded);
  $("recording").hidden = false;
  $("record").disabled = false;
  $("stop").disabled = true;
  $("show-melody").disabled = false;
  $("record-status").textContent = `recorded ${(samples / context.sampleRate).toFixed(1)} s: listen, show the melody, `
    + "or harmonize it (Record again to redo, or choose a file instead)";
});

$("harmonize-form").querySelector("input[name=file]").addEventListener("change", (event) => {
  if (event.target.files.length) { // a file chosen: it replaces the recording
    recorded = null;
    $("recording").hidden = true;
    $("record-status").textContent = "or sing, hum or play the tune into the microphone, alone";
  }
});

$("show-melody").addEventListener("click", () => {
  const form = $("harmonize-form");
  const chosen = form.querySelector("input[name=file]").files[0];
  const file = chosen || recorded;
  if (!file) return showError("record a melody or choose a file first");
  const data = new FormData();
  data.append("file", file);
  submitJob($("show-melody"), "/api/transcribe", data);
});

async function submitJob(button, url, data) { // as run(), for a request that is not a form of its own
  const holder = document.createElement("form");
  holder.append(Object.assign(document.createElement("button"), { type: "submit" }));
  button.disabled = true;
  try {
    await run(holder, url, (formData) => { for (const [name, value] of data.entries()) formData.append(name, value); });
  } finally {
    button.disabled = false;
  }
}

function countIn(context) { // four clicks at 100 beats a minute, the first higher
  const beat = 0.6;
  const now = context.currentTime + 0.05;
  for (let i = 0; i < 4; i++) {
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = i === 0 ? 1760 : 880;
    gain.gain.setValueAtTime(0.3, now + i * beat);
    gain.gain.exponentialRampToValueAtTime(0.001, now + i * beat + 0.08);
    tone.connect(gain).connect(context.destination);
    tone.start(now + i * beat);
    tone.stop(now + i * beat + 0.1);
  }
  return new Promise((resolve) => setTimeout(resolve, 4 * beat * 1000));
}

const RECORDING_RATE = 22050; // what the transcriber works at

async function resample(chunks, fromRate, toRate) { // the browser's own resampler, offline
  const count = chunks.reduce((n, chunk) => n + chunk.length, 0);
  const input = new AudioBuffer({ length: Math.max(count, 1), sampleRate: fromRate, numberOfChannels: 1 });
  let offset = 0;
  for (const chunk of chunks) { input.copyToChannel(chunk, 0, offset); offset += chunk.length; }
  const offline = new OfflineAudioContext(1, Math.max(Math.ceil(count * toRate / fromRate), 1), toRate);
  const player = offline.createBufferSource();
  player.buffer = input;
  player.connect(offline.destination);
  player.start();
  return (await offline.startRendering()).getChannelData(0);
}

function wavBytes(chunks, rate) { // mono 16-bit PCM WAV
  const count = chunks.reduce((n, chunk) => n + chunk.length, 0);
  const view = new DataView(new ArrayBuffer(44 + 2 * count));
  const text = (offset, value) => { for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i)); };
  text(0, "RIFF"); view.setUint32(4, 36 + 2 * count, true); text(8, "WAVE");
  text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, 2 * rate, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  text(36, "data"); view.setUint32(40, 2 * count, true);
  let offset = 44;
  for (const chunk of chunks) {
    for (const sample of chunk) {
      view.setInt16(offset, Math.max(-32768, Math.min(32767, Math.round(sample * 32767))), true);
      offset += 2;
    }
  }
  return view.buffer;
}
