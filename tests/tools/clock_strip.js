// The reader of the clock a test source with `clock = true` burns into its frames
// (pipelines/programme/ClockStrip.h: the layout is defined there), for a point's page in a
// browser: on every frame the page presents, the strip is drawn to a canvas, its cells'
// centres read, and Date.now() minus the time it carries is the glass-to-glass delay.
// A plain script (no module): evaluated in the page, it sets globalThis.clockStrip. Read by
// tests/integration/BridgeTest.cpp and tests/bench/bridge_bench.py.
(() => {
  const BITS = 24;
  const CELLS = BITS + 4;
  const MOD = 2 ** BITS;

  // Where the strip is in a picture of that size (the same arithmetic as ClockStrip.cpp).
  function geometry(width, height) {
    const block = Math.min(Math.floor(height / 30), Math.floor(width / (CELLS + 1)));
    if (block < 2) return null;
    const x0 = Math.floor(block / 2);
    const y0 = Math.floor(block / 2);
    return { block, x0, y0, bandWidth: 2 * x0 + CELLS * block, bandHeight: 2 * y0 + block };
  }

  // The value carried by RGBA pixels `data` (an ImageData's) of a canvas `stride` pixels wide
  // that holds the picture's top-left corner, or null (a guard or the parity is wrong).
  function decodePixels(data, stride, g) {
    const half = Math.max(1, Math.floor(g.block / 4));
    const cells = [];
    for (let c = 0; c < CELLS; ++c) {
      const cx = g.x0 + c * g.block + Math.floor(g.block / 2);
      const cy = g.y0 + Math.floor(g.block / 2);
      let sum = 0;
      let n = 0;
      for (let y = cy - half; y < cy + half; ++y)
        for (let x = cx - half; x < cx + half; ++x) {
          const i = (y * stride + x) * 4;
          sum += (data[i] + 2 * data[i + 1] + data[i + 2]) / 4;
          ++n;
        }
      cells.push(sum > 128 * n);
    }
    if (!cells[0] || cells[1] || cells[CELLS - 2] === cells[CELLS - 1]) return null;
    let value = 0;
    let parity = false;
    for (let i = 0; i < BITS; ++i) {
      value = value * 2 + (cells[2 + i] ? 1 : 0);
      parity = parity !== cells[2 + i];
    }
    return parity === cells[CELLS - 2] ? value : null;
  }

  // How long ago (ms) the strip carrying `value` was made, at Unix time `nowMs`: mod 2^24,
  // negative when it is ahead (the two clocks apart).
  function ageMs(value, nowMs) {
    let d = (((nowMs % MOD) - value) % MOD + MOD) % MOD;
    return d >= MOD / 2 ? d - MOD : d;
  }

  // Reads the strip of every frame `video` presents; the returned record fills as they come:
  // ages (ms, one per frame read), unread (frames without a strip that reads), frames.
  function start(video) {
    const rec = { ages: [], unread: 0, frames: 0, width: 0, height: 0, stopped: false };
    const canvas = document.createElement('canvas');
    const g2d = canvas.getContext('2d', { willReadFrequently: true });
    const look = () => {
      // Date.now() when the frame is handed to the compositor: the glass side.
      const now = Date.now();
      const w = video.videoWidth;
      const h = video.videoHeight;
      const g = w && h ? geometry(w, h) : null;
      if (!g) return;
      rec.frames++;
      rec.width = w;
      rec.height = h;
      if (canvas.width !== g.bandWidth || canvas.height !== g.bandHeight) {
        canvas.width = g.bandWidth;
        canvas.height = g.bandHeight;
      }
      // Only the band, at the picture's own pixels (no scaling on the way to the canvas).
      g2d.drawImage(video, 0, 0, g.bandWidth, g.bandHeight, 0, 0, g.bandWidth, g.bandHeight);
      const value = decodePixels(g2d.getImageData(0, 0, g.bandWidth, g.bandHeight).data,
                                 g.bandWidth, g);
      if (value === null) rec.unread++;
      else rec.ages.push(ageMs(value, now));
    };
    if (video.requestVideoFrameCallback) {
      const each = () => {
        if (rec.stopped) return;
        look();
        video.requestVideoFrameCallback(each);
      };
      video.requestVideoFrameCallback(each);
    } else {
      const timer = setInterval(() => (rec.stopped ? clearInterval(timer) : look()), 10);
    }
    return rec;
  }

  // p50/p95/min/max of a record's ages so far.
  function summary(rec) {
    const a = rec.ages.slice().sort((x, y) => x - y);
    const at = (q) => (a.length ? a[Math.min(a.length - 1, Math.floor(q * a.length))] : null);
    return { frames: rec.frames, read: a.length, unread: rec.unread, width: rec.width,
             height: rec.height, p50: at(0.5), p95: at(0.95), min: a.length ? a[0] : null,
             max: a.length ? a[a.length - 1] : null };
  }

  globalThis.clockStrip = { geometry, decodePixels, ageMs, start, summary };
})();
