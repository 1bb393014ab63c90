// The chat page: connects to the WebSocket API (the URL in ?url=... or typed in), sends
// {"action": "sendmessage", "data": ...} and shows every message the API sends back.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;

function show(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("messages").appendChild(item);
}

function connect(url) {
  if (socket) socket.close();
  $("status").textContent = "connecting to " + url;
  socket = new WebSocket(url);
  socket.onopen = () => {
    $("status").textContent = "connected";
    $("send").disabled = false;
  };
  socket.onmessage = (event) => show(event.data);
  socket.onclose = (event) => {
    $("status").textContent = "closed (" + event.code + ")";
    $("send").disabled = true;
  };
  socket.onerror = () => { $("status").textContent = "error"; };
}

$("connect-form").addEventListener("submit", (event) => {
  event.preventDefault();
  connect($("url").value);
});

$("send-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const data = $("message").value;
  if (!data || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ action: "sendmessage", data: data }));
  $("message").value = "";
});

const initial = new URLSearchParams(window.location.search).get("url");
if (initial) {
  $("url").value = initial;
  connect(initial);
}
