// A connection point's page: the ceremony's programme over WebRTC (WHEP), full-screen with
// sound, reconnecting by itself. The point's id is in the path, its token in the query.
"use strict";
(() => {
  const point = decodeURIComponent(location.pathname.split("/")[2] || "");
  const token = new URLSearchParams(location.search).get("token") || "";
  const video = document.getElementById("programme");
  const state = document.getElementById("state");
  const sound = document.getElementById("sound");
  // What a test or a technician can read: window.bridge.state, .pc, .session.
  // firstFrameMs: from the page's start to the first frame shown (the join time).
  const bridge = (window.bridge = { state: "connecting", pc: null, session: null, attempts: 0,
                                    firstFrameMs: null, timings: {} });
  const mark = (what) => { if (!(what in bridge.timings)) bridge.timings[what] = Math.round(performance.now()); };
  if (video.requestVideoFrameCallback)
    video.requestVideoFrameCallback(() => { bridge.firstFrameMs = Math.round(performance.now()); });

  function show(kind, text) {
    bridge.state = kind;
    state.textContent = text;
    state.className = kind;
  }

  async function play() {
    video.muted = false;
    try {
      await video.play();
      sound.style.display = "none";
    } catch (e) {
      // The browser wants a click before sound: play muted and offer the button.
      video.muted = true;
      sound.style.display = "block";
      try { await video.play(); } catch (e2) { /* shown once a frame arrives */ }
    }
  }
  sound.addEventListener("click", () => { video.muted = false; video.play(); sound.style.display = "none"; });

  function endSession(keepalive) {
    const s = bridge.session;
    bridge.session = null;
    if (s) fetch(s, { method: "DELETE", keepalive, headers: { Authorization: "Bearer " + token } }).catch(() => {});
    if (bridge.pc) { bridge.pc.close(); bridge.pc = null; }
  }

  let retryTimer = null;
  function retry() {
    if (retryTimer) return;
    endSession(false);
    show("trouble", "Mất kết nối, đang thử lại…");
    const wait = Math.min(10000, 1000 * Math.pow(1.5, bridge.attempts++));
    retryTimer = setTimeout(() => { retryTimer = null; connect(); }, wait);
  }

  function gathered(pc) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 1500);  // host candidates come at once; do not wait for STUN
    });
  }

  async function connect() {
    show(bridge.attempts ? "trouble" : "connecting", bridge.attempts ? "Mất kết nối, đang thử lại…" : "Đang kết nối…");
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    bridge.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      video.srcObject = stream;
      play();
    };
    pc.onconnectionstatechange = () => {
      if (bridge.pc !== pc) return;
      if (pc.connectionState === "connected") mark("connected");
      if (pc.connectionState === "failed" || pc.connectionState === "closed") retry();
      if (pc.connectionState === "disconnected")
        setTimeout(() => { if (bridge.pc === pc && pc.connectionState === "disconnected") retry(); }, 4000);
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      mark("offer");
      await gathered(pc);
      mark("gathered");
      const res = await fetch("/whep/" + encodeURIComponent(point), {
        method: "POST",
        headers: { "Content-Type": "application/sdp", Authorization: "Bearer " + token },
        body: pc.localDescription.sdp,
      });
      if (res.status === 401) {
        show("trouble", "Liên kết không đúng hoặc đã cũ. Xin liên hệ tổ kỹ thuật của tỉnh.");
        return;
      }
      if (res.status !== 201) throw new Error("HTTP " + res.status);
      mark("answered");
      bridge.session = res.headers.get("Location");
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    } catch (e) {
      if (bridge.pc === pc) retry();
    }
  }

  // Playing once frames are shown; back to "trouble" when they stop for 3 s.
  let lastFrames = 0, stillSince = 0;
  setInterval(async () => {
    const pc = bridge.pc;
    if (!pc) return;
    let frames = 0;
    (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded || 0; });
    const now = Date.now();
    if (frames > lastFrames) {
      stillSince = now;
      bridge.attempts = 0;
      if (bridge.state !== "playing") show("playing", "Đang phát");
    } else if (bridge.state === "playing" && now - stillSince > 3000) {
      show("trouble", "Mất tín hiệu, đang chờ…");
    }
    lastFrames = frames;
  }, 500);

  window.addEventListener("pagehide", () => endSession(true));
  connect();
})();
