// The reference frontend: every call a browser app makes, in plain JavaScript (no build step).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { base: "", session: "" };
// Sign-in, where the API asks for it: tokens live in this object only (never in storage a script
// or another tab could read); a reload signs in again (the provider remembers the person).
const signin = { provider: null, accessToken: "", refreshToken: "", expiresAt: 0 };

function log(text, error = false) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  if (error) item.className = "error";
  $("log").appendChild(item);
}

// One API call: the sign-in token as the bearer (a CORS preflight precedes it), JSON in and out,
// and the API's `detail` as the error.
async function api(method, path, body) {
  const headers = {};
  if (signin.provider) headers.authorization = `Bearer ${await accessToken()}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(state.base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = answer && (answer.detail || answer.message);
    throw new Error(`${method} ${path}: ${response.status} ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  return answer;
}

function fill(select, values, chosen) {
  select.innerHTML = "";
  for (const [value, label] of values) {
    const option = new Option(label, value);
    option.selected = value === chosen;
    select.appendChild(option);
  }
}

// -- sign-in: OpenID Connect's authorization code flow with PKCE (RFC 7636), a public client ----
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const randomText = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const here = () => location.origin + location.pathname;  // the redirect URI: this page

// The provider the API names in its OpenAPI document (null: it asks for no sign-in).
async function providerOf(base) {
  const document = await (await fetch(base.replace(/\/api\/v\d+$/, "") + "/openapi.json")).json();
  const scheme = ((document.components || {}).securitySchemes || {}).SignIn;
  if (!scheme || scheme.type !== "openIdConnect") return null;
  const discovery = await (await fetch(scheme.openIdConnectUrl)).json();
  return { clientId: scheme["x-client-id"], authorize: discovery.authorization_endpoint, token: discovery.token_endpoint };
}

// To the provider's page; the verifier and state wait in sessionStorage (this tab only) for the
// way back, the tokens never do.
async function redirectToSignIn(provider) {
  const verifier = randomText(), stateValue = randomText();
  sessionStorage.setItem("signin", JSON.stringify({ verifier, state: stateValue, base: state.base }));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    response_type: "code", client_id: provider.clientId, redirect_uri: here(), scope: "openid email profile",
    state: stateValue, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${provider.authorize}?${query}`);
}

async function tokenRequest(fields) {
  const response = await fetch(signin.provider.token, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: signin.provider.clientId, ...fields }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`sign-in: ${answer.error_description || answer.error || response.status}`);
  signin.accessToken = answer.access_token;
  signin.refreshToken = answer.refresh_token || signin.refreshToken;
  signin.expiresAt = Date.now() + (answer.expires_in || 300) * 1000;
}

async function accessToken() {
  if (Date.now() > signin.expiresAt - 60000 && signin.refreshToken) {
    await tokenRequest({ grant_type: "refresh_token", refresh_token: signin.refreshToken });
  }
  return signin.accessToken;
}

// Back from the provider (?code=…&state=…): the code for tokens, then the address cleaned up.
async function finishSignIn() {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem("signin") || "null");
  if (!params.has("code") || !pending) return false;
  sessionStorage.removeItem("signin");
  history.replaceState(null, "", here());
  if (params.get("state") !== pending.state) throw new Error("sign-in: the answer was not for this page's request");
  $("api-url").value = pending.base;
  state.base = pending.base;
  signin.provider = await providerOf(state.base);
  await tokenRequest({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: here(), code_verifier: pending.verifier });
  return true;
}

async function connect() {
  state.base = $("api-url").value.replace(/\/+$/, "");
  if (!signin.accessToken) {
    signin.provider = await providerOf(state.base);
    if (signin.provider) return redirectToSignIn(signin.provider);
  }
  if (signin.provider) {
    const me = await api("GET", "/me");
    $("who").textContent = `${me.email || me.subject}: ${me.role}`;
  }
  const listed = await api("GET", "/sessions");
  state.session = listed.default;
  fill($("session"), listed.sessions.map((s) => [s.id, s.display_name]), listed.default);
  await refreshSession();
  log(`connected: ${listed.sessions.length} session(s)`);
}

async function refreshSession() {
  state.session = $("session").value;
  const sid = encodeURIComponent(state.session);
  const [datasets, algorithms] = await Promise.all([
    api("GET", `/sessions/${sid}/data`), api("GET", `/sessions/${sid}/algorithms`),
  ]);
  const keys = Array.isArray(datasets) ? datasets : datasets.keys || datasets.datasets || [];
  fill($("dataset"), keys.map((k) => [k, k]), keys[0]);
  fill($("algorithm"), algorithms.algorithms.map((a) => [a, a]), "Slow");
  await drawComparison();
}

// Each file straight to storage with its presigned form (the bucket's CORS lets this origin POST),
// then one ETL of the uploads.
async function uploadAndEtl() {
  const sid = encodeURIComponent(state.session);
  const uploads = [];
  for (const file of $("files").files) {
    const target = await api("POST", `/sessions/${sid}/uploads`, { filename: file.name, size: file.size });
    if (target.method !== "POST") throw new Error(`${file.name} is too large for this page (multipart)`);
    const form = new FormData();
    for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
    form.append("file", file);
    const stored = await fetch(target.url, { method: "POST", body: form });
    if (!stored.ok) throw new Error(`storage refused ${file.name}: ${stored.status} ${await stored.text()}`);
    uploads.push(target.upload_id);
    log(`uploaded ${file.name} (${file.size} bytes) to storage`);
  }
  const name = $("dataset-name").value;
  let answer = await api("POST", `/sessions/${sid}/etl`, { dataset_name: name, uploads });
  while (answer.job_id && !["complete", "failed"].includes(answer.status)) {  // a large upload: a job
    await new Promise((done) => setTimeout(done, 500));
    answer = await api("GET", `/sessions/${sid}/etl/${answer.job_id}`);
  }
  await refreshSession();
  $("dataset").value = name;
  log(`ETL into "${name}": ${JSON.stringify(answer.success ?? answer.status)}`);
}

// The events WebSocket: a token from the API (a browser cannot send the key on a WebSocket),
// then a subscription to one scenario. Resolves when the scenario ends.
async function follow(scenarioId) {
  const token = await api("POST", "/events/token");
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${token.url}?token=${encodeURIComponent(token.token)}`);
    // a ping well within the idle time the token response gives (API Gateway: 10 minutes)
    const keepAlive = setInterval(() => socket.send('{"action": "ping"}'), (token.idle_seconds || 600) * 400);
    const show = (status, progress) => {
      $("bar").value = progress;
      $("status").textContent = `${status} ${Math.round(progress * 100)}%`;
    };
    socket.onopen = () => socket.send(JSON.stringify({ action: "subscribe", session_id: state.session, scenario_id: scenarioId }));
    socket.onerror = () => reject(new Error("the events WebSocket failed"));
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "error") { reject(new Error(event.detail)); return; }
      log(`event ${event.type}${event.status ? ": " + event.status : ""}${event.progress !== undefined ? " " + event.progress : ""}`);
      if (event.status) show(event.status, event.progress ?? 0);
      if (["complete", "failed"].includes(event.status) && event.type !== "scenario.progress") {
        clearInterval(keepAlive);
        socket.close();
        resolve(event);
      }
    };
  });
}

async function createAndRun() {
  const sid = encodeURIComponent(state.session);
  const tag = $("tag").value || `browser-${Date.now()}`;
  const scenario = await api("POST", `/sessions/${sid}/scenarios`, {
    tag, dataset_key: $("dataset").value, algo_name: $("algorithm").value, algo_params: JSON.parse($("params").value || "{}"),
  });
  log(`created scenario ${scenario.id} (${tag})`);
  const ended = follow(scenario.id);  // subscribed before the run starts: no event is missed
  await new Promise((done) => setTimeout(done, 100));
  await api("POST", `/sessions/${sid}/scenarios/${scenario.id}/run`);
  const last = await ended;
  const full = await api("GET", `/sessions/${sid}/scenarios/${scenario.id}`);
  showKpis(full.kpis);
  if (last.status === "failed") log(`failed: ${full.error}`, true);
  await drawComparison();
  $("status").dataset.done = last.status;
}

function showKpis(kpis) {
  const body = $("kpis").querySelector("tbody");
  body.innerHTML = "";
  for (const [name, kpi] of Object.entries(kpis)) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    row.insertCell().textContent = kpi.value === null ? "-" : Number(kpi.value).toPrecision(4);
    row.insertCell().textContent = kpi.unit || "";
  }
}

// Bars per KPI for the session's latest complete scenarios (the summaries carry their KPIs).
async function drawComparison() {
  const sid = encodeURIComponent(state.session);
  const summaries = (await api("GET", `/sessions/${sid}/scenarios?view=summary`)).filter((s) => s.status === "complete").slice(-4);
  const chart = $("chart");
  chart.innerHTML = "";
  if (!summaries.length) return;
  const names = Object.keys(summaries[0].kpis).filter((n) => summaries.some((s) => typeof s.kpis[n].value === "number"));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const width = 180, height = 120;
  svg.setAttribute("width", names.length * (width + 20));
  svg.setAttribute("height", height + 40);
  names.forEach((name, k) => {
    const values = summaries.map((s) => Math.abs(Number(s.kpis[name].value) || 0));
    const top = Math.max(...values) || 1;
    const x0 = k * (width + 20);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", x0); label.setAttribute("y", height + 30); label.textContent = name;
    svg.appendChild(label);
    values.forEach((value, i) => {
      const bar = document.createElementNS(ns, "rect");
      const h = Math.max(1, (value / top) * height);
      bar.setAttribute("x", x0 + i * (width / summaries.length));
      bar.setAttribute("y", height - h + 10);
      bar.setAttribute("width", width / summaries.length - 4);
      bar.setAttribute("height", h);
      bar.setAttribute("fill", i === values.length - 1 ? "#2a7ae2" : "#9bbbe8");
      const title = document.createElementNS(ns, "title");
      title.textContent = `${summaries[i].tag}: ${value}`;
      bar.appendChild(title);
      svg.appendChild(bar);
    });
  });
  chart.appendChild(svg);
}

function guarded(action) {
  return async () => {
    try {
      await action();
    } catch (error) {
      // A refused CORS request or a stopped server reaches JavaScript only as "Failed to fetch".
      const hint = error instanceof TypeError
        ? ` (is the API at ${state.base} running, and does it allow this page's origin ${location.origin}? ` +
          `make local ARGS="--cors-origin ${location.origin}")`
        : "";
      log(error.message + hint, true);
      $("status").dataset.error = error.message;
    }
  };
}

$("connect").addEventListener("click", guarded(connect));
guarded(async () => { if (await finishSignIn()) await connect(); })();
$("session").addEventListener("change", guarded(refreshSession));
$("upload").addEventListener("click", guarded(uploadAndEtl));
$("run").addEventListener("click", guarded(createAndRun));
