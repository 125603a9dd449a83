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

  // ---- Sending the commune's picture back ("Gửi hình về tỉnh"): camera and microphone over
  // WHIP, at most 1280×720; the province's answer sets the bitrate (b=AS). What a test or a
  // technician can read: window.returnFeed.state ("off", "starting", "sending", "trouble"),
  // .pc, .session, .framesSent.
  const toggle = document.getElementById("send-toggle");
  const sendState = document.getElementById("send-state");
  const selfView = document.getElementById("self");
  const back = (window.returnFeed = { state: "off", pc: null, session: null, framesSent: 0, stream: null });

  function showSend(kind, text) {
    back.state = kind;
    sendState.textContent = text;
    sendState.className = kind;
    toggle.setAttribute("aria-pressed", kind === "off" ? "false" : "true");
    toggle.textContent = kind === "off" ? "📷 Gửi hình về tỉnh" : "⏹ Dừng gửi hình";
  }

  function stopSending(keepalive) {
    const s = back.session;
    back.session = null;
    if (s) fetch(s, { method: "DELETE", keepalive, headers: { Authorization: "Bearer " + token } }).catch(() => {});
    if (back.pc) { back.pc.close(); back.pc = null; }
    if (back.stream) { back.stream.getTracks().forEach((t) => t.stop()); back.stream = null; }
    selfView.srcObject = null;
    selfView.className = "";
  }

  async function startSending() {
    showSend("starting", "Đang mở máy quay…");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 1280, max: 1280 }, height: { ideal: 720, max: 720 }, frameRate: { max: 30 } },
        audio: true,
      });
    } catch (e) {
      showSend("off", "Không mở được máy quay hoặc micrô: hãy cho phép trình duyệt dùng chúng");
      return;
    }
    back.stream = stream;
    selfView.srcObject = stream;
    selfView.className = "on";
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    back.pc = pc;
    for (const track of stream.getTracks()) {
      const t = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      // The province decodes H.264: offer it first.
      if (track.kind === "video" && t.setCodecPreferences && RTCRtpSender.getCapabilities) {
        const codecs = RTCRtpSender.getCapabilities("video").codecs;
        const h264 = codecs.filter((c) => /h264/i.test(c.mimeType));
        if (h264.length) t.setCodecPreferences(h264.concat(codecs.filter((c) => !/h264/i.test(c.mimeType))));
      }
    }
    pc.onconnectionstatechange = () => {
      if (back.pc !== pc) return;
      if (pc.connectionState === "connected") showSend("sending", "Tỉnh đang nhận hình của xã");
      if (pc.connectionState === "failed" || pc.connectionState === "closed")
        showSend("trouble", "Mất kết nối gửi hình; bấm lại để gửi");
    };
    try {
      showSend("starting", "Đang kết nối để gửi hình…");
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const res = await fetch("/whip/" + encodeURIComponent(point), {
        method: "POST",
        headers: { "Content-Type": "application/sdp", Authorization: "Bearer " + token },
        body: pc.localDescription.sdp,
      });
      if (res.status !== 201) {
        const why = res.status === 401 ? "Liên kết không đúng hoặc đã cũ" : "Tỉnh không nhận được hình (HTTP " + res.status + ")";
        stopSending(false);
        showSend("trouble", why);
        return;
      }
      back.session = res.headers.get("Location");
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    } catch (e) {
      stopSending(false);
      showSend("trouble", "Không gửi được hình; bấm lại để thử");
    }
  }

  toggle.addEventListener("click", () => {
    if (back.state === "off" || back.state === "trouble") {
      stopSending(false);
      startSending();
    } else {
      stopSending(false);
      showSend("off", "Chưa gửi hình");
    }
  });
  setInterval(async () => {
    if (!back.pc) return;
    (await back.pc.getStats()).forEach((r) => {
      if (r.type === "outbound-rtp" && r.kind === "video") back.framesSent = r.framesEncoded || r.framesSent || 0;
    });
  }, 1000);

  window.addEventListener("pagehide", () => { endSession(true); stopSending(true); });
  connect();
})();
