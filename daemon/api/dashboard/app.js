// Bảng điều khiển ceremonyd: one page, plain JavaScript, no build step, nothing from outside.
//
// Data: the SSE stream /api/stream sends the whole state of a topic per message (status,
// timeline, events, sound), so every message simply re-renders its part; the points come
// whole once, then as "points-changed" (only the points that changed). Operator buttons
// show only when /api/whoami says the token may change things. Every text from the daemon
// (names come from configuration files) goes into the DOM through textContent or
// setAttribute, never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'ceremonyd.token';
  const TOPICS = ['status', 'timeline', 'points', 'points-changed', 'events', 'sound'];
  const STALE_MS = 10000; // status comes every second; silence this long means a dead stream

  const state = {
    token: readToken(),
    canChange: false,
    status: null,
    timeline: null,
    points: null,
    events: null,
    sound: null, // the programme's sound: the "sound" topic, or the status's copy before it
    soundTopicAt: 0, // Date.now() of the last "sound" message
    serverOffset: 0, // server clock minus ours, ms
    tzMinutes: 7 * 60,
    detailId: null,
    needToken: false,
  };

  // ---- small helpers ---------------------------------------------------------------

  function $(id) {
    return document.getElementById(id);
  }

  // el('div', {class: 'x', 'data-point': id, title: t}, child, 'text', …): text children
  // become text nodes, so nothing here is ever parsed as HTML.
  function el(tag, attrs) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      node.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
    }
    for (let i = 2; i < arguments.length; ++i) {
      const c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setText(id, text) {
    const node = $(id);
    const t = text === null || text === undefined ? '' : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  // The token lives in this tab only (sessionStorage: gone when the tab closes, never on
  // disk for good). Pages before this one kept it in localStorage: it is moved here once.
  function readToken() {
    try {
      const old = localStorage.getItem(TOKEN_KEY);
      if (old !== null) {
        localStorage.removeItem(TOKEN_KEY);
        if (!sessionStorage.getItem(TOKEN_KEY)) sessionStorage.setItem(TOKEN_KEY, old);
      }
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return '';
    }
  }

  function authHeaders() {
    return state.token ? { Authorization: 'Bearer ' + state.token } : {};
  }

  async function api(method, path, body) {
    const options = { method: method, headers: authHeaders(), cache: 'no-store' };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let json = null;
    try {
      json = await response.json();
    } catch (e) {
      json = null;
    }
    if (!response.ok) {
      const error = new Error((json && json.error) || 'HTTP ' + response.status);
      error.status = response.status;
      throw error;
    }
    return json;
  }

  function serverNow() {
    return Date.now() + state.serverOffset;
  }

  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // The wall clock in the event's time zone (Vietnam: +07:00 all year).
  function clockOf(ms) {
    const d = new Date(ms + state.tzMinutes * 60000);
    return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds());
  }

  function parseOffset(text) {
    const m = /^([+-])(\d\d):?(\d\d)$/.exec(text || '');
    if (!m) return 7 * 60;
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  }

  // "2025-07-28T14:21:03.120+07:00" → "14:21:03" (the daemon writes the event's offset), or
  // "14:21" when it falls on a whole minute, as in the printed programme.
  function timeOf(iso, alwaysSeconds) {
    if (!iso) return '';
    const m = /T(\d\d):(\d\d):(\d\d)/.exec(iso);
    if (!m) return '';
    if (!alwaysSeconds && m[3] === '00') return m[1] + ':' + m[2];
    return m[1] + ':' + m[2] + ':' + m[3];
  }

  // 83000 → "1:23", 3723000 → "1:02:03".
  function duration(ms) {
    if (ms === null || ms === undefined) return '—';
    const total = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? h + ':' + two(m) + ':' + two(s) : m + ':' + two(s);
  }

  function slip(ms) {
    if (!ms) return 'đúng giờ';
    const sign = ms > 0 ? 'trễ ' : 'sớm ';
    return sign + duration(Math.abs(ms));
  }

  function ago(iso) {
    const t = Date.parse(iso);
    if (!iso || isNaN(t)) return '';
    const s = Math.max(0, Math.floor((serverNow() - t) / 1000));
    if (s < 60) return s + ' giây';
    if (s < 3600) return Math.floor(s / 60) + ' phút';
    return Math.floor(s / 3600) + ' giờ ' + Math.floor((s % 3600) / 60) + ' phút';
  }

  const POINT_STATES = {
    up: 'Hoạt động',
    degraded: 'Chập chờn',
    down: 'Mất kết nối',
    maintenance: 'Bảo trì',
    unknown: 'Chưa rõ',
  };
  const ITEM_STATES = {
    pending: 'Chờ',
    running: 'Đang diễn ra',
    held: 'Tạm dừng',
    done: 'Đã xong',
    skipped: 'Bỏ qua',
  };
  const PHASES = {
    'pre-show': 'Trước giờ bắt đầu',
    running: 'Đang chạy',
    held: 'Đang tạm dừng',
    waiting: 'Chờ hiệu lệnh',
    finished: 'Đã kết thúc',
    starting: 'Đang khởi động',
  };
  const OUTPUT_STATES = {
    live: 'đang phát',
    connecting: 'đang kết nối',
    reconnecting: 'đang kết nối lại',
    stopped: 'đã dừng',
    failed: 'lỗi',
  };
  const CUES = { at: 'theo giờ', after: 'nối tiếp', manual: 'chờ hiệu lệnh' };
  const EVENT_KINDS = {
    timeline: 'Chương trình',
    point: 'Điểm cầu',
    uplink: 'Đường truyền',
    operator: 'Điều hành',
    output: 'Đầu ra',
    media: 'Hình/tiếng',
    input: 'Nguồn tín hiệu',
    sound: 'Âm thanh',
  };

  // ---- header and the current item -----------------------------------------------------

  function renderStatus(s) {
    state.status = s;
    if (s.now) {
      const t = Date.parse(s.now);
      if (!isNaN(t)) state.serverOffset = t - Date.now();
    }
    const event = s.event || {};
    state.tzMinutes = parseOffset(event.timezone);
    setText('event-title', event.title || 'ceremonyd');
    setText('event-venue', [event.venue, event.date].filter(Boolean).join(' · '));
    const title = (event.title || 'ceremonyd') + ' — Bảng điều khiển';
    if (document.title !== title) document.title = title;

    const live = $('live');
    live.dataset.live = s.live ? 'true' : 'false';
    setText('live', s.live ? 'ĐANG PHÁT TRỰC TIẾP' : 'CHƯA PHÁT');

    const rehearsal = $('rehearsal');
    rehearsal.hidden = !s.rehearsal;
    if (s.rehearsal) setText('rehearsal', 'Diễn tập, nhanh ×' + s.rehearsal.speed);

    renderOutputs(s.outputs || []);
    renderInputs(s.inputs || []);
    // The status carries the sound too: shown until the "sound" topic speaks (it comes four
    // times a second), and its null when nothing is measured ([watch] enabled = false).
    if (!state.soundTopicAt || s.sound === null) renderSound(s.sound === undefined ? null : s.sound, false);

    setText('phase', PHASES[s.phase] || s.phase || '');
    $('phase').dataset.phase = s.phase || '';
    const cur = s.current;
    if (cur) {
      setText('current-title', cur.number + '. ' + cur.title);
      const meta = [];
      meta.push('Cảnh: ' + sceneLabel(cur.scene));
      if (cur.lower_third) meta.push(cur.lower_third.name + ' — ' + cur.lower_third.role);
      meta.push(
        'Kế hoạch ' + timeOf(cur.planned_start) + '–' + timeOf(cur.planned_end) +
          ', bắt đầu ' + (timeOf(cur.actual_start, true) || timeOf(cur.start))
      );
      setText('current-meta', meta.join(' · '));
    } else {
      setText('current-title', s.phase === 'finished' ? 'Chương trình đã kết thúc' : 'Chưa bắt đầu');
      setText('current-meta', '');
    }
    setText('remaining', cur ? duration(s.remaining_ms) : '—');
    const next = s.next;
    $('next-line').hidden = !next;
    if (next) {
      setText('next-title', next.number + '. ' + next.title);
      const byItself = s.next_starts_by_itself !== false && s.countdown_ms !== null;
      $('countdown-box').hidden = !byItself;
      $('waits-cue').hidden = byItself;
      if (byItself) setText('countdown', duration(s.countdown_ms));
    }
    const held = s.phase === 'held';
    document.querySelector('[data-action="hold"]').hidden = held;
    document.querySelector('[data-action="resume"]').hidden = !held;
    highlightScene();
    tick();
  }

  let outputsShown = null;
  function renderOutputs(outputs) {
    // The status comes every second: the list is built again only when it changed.
    const key = JSON.stringify(outputs);
    if (key === outputsShown) return;
    outputsShown = key;
    const list = $('outputs');
    list.replaceChildren();
    if (!outputs.length) list.appendChild(el('li', { className: 'muted' }, 'Không có đầu ra'));
    for (const o of outputs) {
      const kbps = o.state === 'live' ? ' · ' + (o.bitrate_kbps || 0) + ' kbps' : '';
      list.appendChild(
        el(
          'li',
          {
            className: 'output out-' + o.state,
            'data-output': o.id,
            title: o.last_error ? 'Lỗi gần nhất: ' + o.last_error : o.destination || '',
          },
          el('span', { className: 'dot' }),
          el('strong', {}, o.label || o.id),
          ' ' + (OUTPUT_STATES[o.state] || o.state) + kbps
        )
      );
    }
  }

  // Live inputs only (cameras, feeds): generated sources cannot lose their signal. One
  // element per input, kept between messages: its level bar moves four times a second
  // (the "sound" topic) without the list being rebuilt.
  const INPUT_STATES = {
    running: 'có tín hiệu',
    stalled: 'mất tín hiệu',
    retrying: 'mất tín hiệu, đang kết nối lại',
    frozen: 'đang phát thẻ «Mất tín hiệu»',
  };
  const inputItems = new Map(); // input id → li

  function renderInputs(inputs) {
    const list = $('inputs');
    const seen = new Set();
    for (const i of inputs.filter((x) => x.watched)) {
      seen.add(i.id);
      let li = inputItems.get(i.id);
      if (!li) {
        li = el(
          'li',
          { 'data-input': i.id },
          el('span', { className: 'dot' }),
          el('strong', { className: 'input-name' }),
          el('span', { className: 'input-text' }),
          el('span', { className: 'badge input-frozen' }, 'Đứng hình'),
          el('span', { className: 'badge input-black' }, 'Hình đen'),
          el(
            'span',
            { className: 'level', 'aria-hidden': 'true' },
            el('span', { className: 'level-rms' }),
            el('span', { className: 'level-peak' })
          ),
          el('span', { className: 'level-db' })
        );
        inputItems.set(i.id, li);
      }
      const ok = i.state === 'running';
      const cls = 'output input ' + (ok ? (i.black ? 'out-warn' : 'out-live') : 'out-failed');
      if (li.className !== cls) li.className = cls;
      li.dataset.state = i.state || '';
      li.title = i.last_reason ? 'Lần mất gần nhất: ' + i.last_reason : '';
      li.querySelector('.input-name').textContent = i.label || i.id;
      const text =
        ' ' + (INPUT_STATES[i.state] || i.state || '') + (i.losses ? ' · mất ' + i.losses + ' lần' : '');
      const textNode = li.querySelector('.input-text');
      if (textNode.textContent !== text) textNode.textContent = text;
      li.querySelector('.input-frozen').hidden = i.state !== 'frozen';
      li.querySelector('.input-black').hidden = !i.black;
      // The status's own level until the "sound" topic has said something newer.
      const sound = state.sound && state.sound.inputs;
      renderInputLevel(li, sound && sound[i.id] ? sound[i.id] : i.level);
      list.appendChild(li); // keeps the daemon's order
    }
    for (const [id, li] of inputItems)
      if (!seen.has(id)) {
        li.remove();
        inputItems.delete(id);
      }
  }

  function renderInputLevel(li, level) {
    const peak = level ? level.peak_db : null;
    const rms = level ? level.rms_db : null;
    setScale(li.querySelector('.level-rms'), meterFraction(rms, DBFS_MIN, 0));
    // The marker spans the track; its right edge is moved to the peak.
    const marker = li.querySelector('.level-peak');
    setTransform(marker, 'translateX(' + ((meterFraction(peak, DBFS_MIN, 0) - 1) * 100).toFixed(1) + '%)');
    const noPeak = peak === null || peak === undefined;
    if (marker.hidden !== noPeak) marker.hidden = noPeak;
    const db = li.querySelector('.level-db');
    const text = number(peak) + ' dB';
    if (db.textContent !== text) db.textContent = text;
    const title = 'Tiếng: đỉnh ' + number(peak) + ' dBFS, RMS ' + number(rms) + ' dBFS';
    if (db.title !== title) db.title = title;
    const clip = peak !== null && peak !== undefined && peak > -1;
    li.querySelector('.level').classList.toggle('clip', clip);
  }

  // ---- the programme's sound (the "sound" topic, four times a second) --------------------
  // Only the meter's own elements change: nothing else on the page is drawn again.

  const LUFS_MIN = -60;
  const DBFS_MIN = -60;
  const PEAK_HOLD_MS = 2000;
  const SOUND_STALE_MS = 5000; // an unchanged reading is not sent again, but measured_s moves each second
  const SOUND_STATES = {
    ok: 'Bình thường',
    quiet: 'Im lặng',
    silent: 'Không có tiếng — cảnh báo!',
    off_target: 'Âm lượng lệch mục tiêu',
  };
  const peakHold = { value: null, at: 0 };

  // -18.2 → "-18.2"; null (digital silence, nothing measured) → "—".
  function number(v, signed) {
    if (v === null || v === undefined || !isFinite(v)) return '—';
    const t = Number(v).toFixed(1);
    return signed && v > 0 ? '+' + t : t;
  }

  // Where a level falls on a meter from `min` to `max`, from 0 to 1 (to a thousandth).
  function meterFraction(v, min, max) {
    if (v === null || v === undefined || !isFinite(v)) return 0;
    return Math.round(Math.min(1, Math.max(0, (v - min) / (max - min))) * 1000) / 1000;
  }

  // …as a CSS percentage.
  function meterPercent(v, min, max) {
    return (meterFraction(v, min, max) * 100).toFixed(1) + '%';
  }

  function setWidth(node, width) {
    if (node.style.width !== width) node.style.width = width;
  }

  // The moving bars (meters, progress) are drawn with a transform on a layer of their own:
  // a new value is composited, with no layout and no paint of the page around it.
  function setTransform(node, transform) {
    if (node.style.transform !== transform) node.style.transform = transform;
  }

  function setScale(node, fraction) {
    setTransform(node, 'scaleX(' + fraction + ')');
  }

  function setClass(node, cls) {
    if (node.className !== cls) node.className = cls;
  }

  function meterScale() {
    const scale = $('meter-scale');
    for (let v = LUFS_MIN; v <= 0; v += 10) {
      const tick = el('span', { className: 'tick' }, String(v));
      tick.style.left = meterPercent(v, LUFS_MIN, 0);
      scale.appendChild(tick);
    }
  }

  // A reading is drawn at the next frame, the latest only: readings that come faster than
  // the page is drawn (or while the tab is hidden) cost nothing.
  let soundFrame = 0;
  function renderSound(snd, fromTopic) {
    state.sound = snd;
    if (fromTopic) state.soundTopicAt = Date.now();
    if (!soundFrame) soundFrame = requestAnimationFrame(drawSound);
  }

  function drawSound() {
    soundFrame = 0;
    const snd = state.sound;
    const panel = $('sound');
    if (panel.dataset.stale !== 'false') panel.dataset.stale = 'false';
    if (!snd) {
      panel.dataset.state = 'none';
      setText('sound-state', 'Chưa có số đo');
      for (const id of ['sound-momentary', 'sound-short', 'sound-integrated', 'sound-peak']) setText(id, '—');
      setScale($('meter-momentary'), 0);
      setScale($('meter-short'), 0);
      setText('sound-target', '');
      $('sound-gain-box').hidden = true;
      $('sound-peak-box').classList.remove('over');
      peakHold.value = null;
      return;
    }
    const target = snd.target_lufs;
    const tolerance = snd.tolerance_lu;
    const low = target - tolerance;
    const high = target + tolerance;
    // The bars: green within the target band, blue under it, amber over it.
    const bar = (id, v) => {
      const node = $(id);
      setScale(node, meterFraction(v, LUFS_MIN, 0));
      const where = v === null || v === undefined ? '' : v < low ? ' low' : v > high ? ' high' : ' in';
      setClass(node, 'meter-bar' + where);
    };
    bar('meter-momentary', snd.momentary_lufs);
    bar('meter-short', snd.short_term_lufs);
    for (const id of ['meter-band-m', 'meter-band-s']) {
      const band = $(id);
      const left = meterPercent(low, LUFS_MIN, 0);
      if (band.style.left !== left) band.style.left = left;
      const width =
        (parseFloat(meterPercent(high, LUFS_MIN, 0)) - parseFloat(left)).toFixed(1) + '%';
      setWidth(band, width);
    }

    setText('sound-momentary', number(snd.momentary_lufs));
    setText('sound-short', number(snd.short_term_lufs));
    setText('sound-integrated', number(snd.integrated_lufs));
    // The true peak is held for 2 s: a quarter-second spike would otherwise flash by.
    const now = Date.now();
    const peak = snd.true_peak_dbtp;
    if (peak !== null && peak !== undefined && (peakHold.value === null || peak >= peakHold.value))
      Object.assign(peakHold, { value: peak, at: now });
    else if (now - peakHold.at > PEAK_HOLD_MS) Object.assign(peakHold, { value: peak, at: now });
    setText('sound-peak', number(peakHold.value));
    const over = peakHold.value !== null && peakHold.value !== undefined && peakHold.value > snd.true_peak_max_dbtp;
    $('sound-peak-box').classList.toggle('over', over);
    const peakTitle =
      'Đỉnh thật cao nhất từ đầu: ' + number(snd.max_true_peak_dbtp) + ' dBTP (trần ' +
      number(snd.true_peak_max_dbtp) + ' dBTP)';
    if ($('sound-peak-box').title !== peakTitle) $('sound-peak-box').title = peakTitle;

    const st = snd.state || 'ok';
    if (panel.dataset.state !== st) panel.dataset.state = st;
    const silentFor = snd.silent_s >= 1 ? ' (' + Math.round(snd.silent_s) + ' s)' : '';
    setText(
      'sound-state',
      (SOUND_STATES[st] || st) + (st === 'quiet' || st === 'silent' ? silentFor : '')
    );
    if ($('sound-gain-box').hidden !== !snd.auto_gain) $('sound-gain-box').hidden = !snd.auto_gain;
    if (snd.auto_gain) setText('sound-gain', number(snd.gain_db, true));
    setText(
      'sound-target',
      'Mục tiêu ' + target + ' ± ' + tolerance + ' LUFS (vùng xanh) · trần đỉnh ' +
        snd.true_peak_max_dbtp + ' dBTP · cao nhất từ đầu ' + number(snd.max_true_peak_dbtp) + ' dBTP'
    );

    for (const [id, li] of inputItems) {
      const level = snd.inputs && snd.inputs[id];
      if (level) renderInputLevel(li, level);
    }
  }

  function sceneLabel(id) {
    const scenes = (state.timeline && state.timeline.scenes) || [];
    for (const s of scenes) if (s.id === id) return s.label || s.id;
    return id || '—';
  }

  function highlightScene() {
    const onAir = state.status ? state.status.on_air_scene : '';
    for (const b of document.querySelectorAll('#scenes button')) {
      b.classList.toggle('on-air', b.dataset.scene === onAir);
    }
  }

  // ---- run-of-show ---------------------------------------------------------------------

  function renderTimeline(t) {
    state.timeline = t;
    const body = $('items');
    body.replaceChildren();
    for (const item of t.items || []) {
      // Actual times once known, else the projection (in italics).
      const projected = (iso) => el('span', { className: 'projected', title: 'dự kiến' }, timeOf(iso));
      const actual = el(
        'span',
        {},
        item.actual_start ? timeOf(item.actual_start, true) : projected(item.start),
        el('br'),
        item.actual_end ? timeOf(item.actual_end, true) : projected(item.end)
      );
      const title = el('td', { className: 'title' }, item.title);
      if (item.lower_third)
        title.appendChild(
          el('div', { className: 'muted small' }, item.lower_third.name + ' — ' + item.lower_third.role)
        );
      if (item.cue === 'manual')
        title.appendChild(el('span', { className: 'badge cue' }, CUES.manual));
      const stateCell = el('td', { className: 'state' }, ITEM_STATES[item.state] || item.state);
      if (item.state === 'pending')
        stateCell.appendChild(
          el(
            'button',
            { 'data-action': 'goto', 'data-id': item.id, 'data-confirm': '1', className: 'small op-only' },
            'Chuyển đến'
          )
        );
      body.appendChild(
        el(
          'tr',
          { className: 'item item-' + item.state, 'data-item': item.id },
          el('td', { className: 'num' }, item.number),
          title,
          el('td', { className: 'time' }, timeOf(item.planned_start), el('br'), timeOf(item.planned_end)),
          el(
            'td',
            { className: 'time' },
            actual,
            el('div', { className: 'slip' + (item.slip_ms > 60000 ? ' late' : '') }, slip(item.slip_ms))
          ),
          stateCell
        )
      );
    }

    const notes = $('notes');
    notes.replaceChildren();
    for (const n of t.notes || []) notes.appendChild(el('li', {}, n));

    const cues = $('cues');
    cues.replaceChildren();
    for (const c of t.cues || []) {
      const item = (t.items || []).find((i) => i.id === c.name);
      const given = item && item.state !== 'pending';
      cues.appendChild(
        el(
          'button',
          { 'data-action': 'cue', 'data-name': c.name, className: 'cue-button', disabled: given },
          (given ? '✓ ' : '▶ ') + c.title
        )
      );
    }

    const scenes = $('scenes');
    scenes.replaceChildren();
    for (const s of t.scenes || [])
      scenes.appendChild(el('button', { 'data-action': 'cut', 'data-scene': s.id }, s.label || s.id));
    highlightScene();
    if (state.status) renderStatus(state.status); // scene labels may have arrived
    eventsShown = null;
    if (state.events) renderEvents(state.events); // item titles too
  }

  // ---- connection points ---------------------------------------------------------------
  //
  // The topic "points" brings the whole list once; "points-changed" then brings only the
  // points that changed (with the counts, the uplink alarm and each group's counts). Only
  // the tiles on screen exist: at a national event (3,321 points in 34 provinces) the panel
  // shows a line per province with its counts, the provinces in trouble first, and in each
  // the points in trouble (with their contact) — the healthy bulk behind «còn N điểm». A
  // message touches only the changed points' tiles and re-lays only their provinces. Without
  // groups (one province's 96 points) it is the wall of tiles of before, in the daemon's order.

  const tiles = new Map(); // point id → its tile, for the tiles on screen only
  const pts = {
    byId: new Map(), // id → the point as last sent
    index: new Map(), // id → position in the daemon's list
    folded: new Map(), // id → name, id and group without diacritics, for the search
    groups: [], // group names in the daemon's order of their first point
    members: new Map(), // group → ids in the daemon's order
    counts: new Map(), // group → {up, degraded, down, maintenance, unknown, total}
    grouped: false, // some point has a group: the grouped view
    bridge: false, // the points carry "bridge" (the video bridge is on)
  };
  const view = {
    filter: 'all', // all | not-up | down | degraded | not-watching
    query: [], // the search's words, folded
    collapsed: new Set(), // groups the operator closed
    showAll: new Set(), // groups whose healthy points are shown too
    groups: new Map(), // group → {section, head, body, more, shown: ids on screen}
    order: '', // the groups' order on screen, joined
  };
  const FLAT_CAP = 1000; // tiles in the flat wall before «còn N điểm»
  const MATCH_CAP = 200; // tiles of one group for a search or a filter
  const SEVERITY = { down: 0, degraded: 1, unknown: 2, maintenance: 3, up: 4 };

  // "Nghĩa Hành" → "nghia hanh": the search matches with or without diacritics.
  function fold(text) {
    return String(text || '')
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'd')
      .toLowerCase();
  }

  // In trouble: a tile of its own in its province, first, with whom to call. (A point not
  // yet probed, or in maintenance, is no alarm: it stays in the bulk.)
  function troubled(p) {
    return p.state === 'down' || p.state === 'degraded';
  }

  function notWatching(p) {
    return 'bridge' in p && !(p.bridge && p.bridge.connected);
  }

  function passesFilter(p) {
    switch (view.filter) {
      case 'not-up':
        return p.state !== 'up';
      case 'down':
        return p.state === 'down';
      case 'degraded':
        return p.state === 'degraded';
      case 'not-watching':
        return notWatching(p);
      default:
        return true;
    }
  }

  function matchesQuery(id) {
    if (!view.query.length) return true;
    const hay = pts.folded.get(id) || '';
    for (const word of view.query) if (!hay.includes(word)) return false;
    return true;
  }

  function foldPoint(p) {
    pts.folded.set(p.id, fold(p.name + ' ' + p.id + ' ' + (p.group || '')));
  }

  function newTile(id) {
    return el(
      'div',
      { className: 'tile', 'data-point': id, role: 'button', tabindex: '0' },
      el('div', { className: 'name' }),
      el('div', { className: 'meta' }, el('span', { className: 'latency' }), el('span', { className: 'age' })),
      el('div', { className: 'watch' })
    );
  }

  function updateTile(tile, point) {
    const cls = 'tile state-' + point.state + (point.uplink ? ' uplink' : '');
    if (tile.className !== cls) tile.className = cls;
    tile.dataset.state = point.state;
    tile.dataset.since = point.since || '';
    const name = tile.querySelector('.name');
    if (name.textContent !== point.name) name.textContent = point.name;
    tile.querySelector('.latency').textContent =
      point.latency_ms === null || point.latency_ms === undefined ? '—' : point.latency_ms + ' ms';
    tile.querySelector('.age').textContent = ago(point.since);
    // The video bridge: is the commune watching the ceremony right now?
    const watch = tile.querySelector('.watch');
    const b = point.bridge;
    const r = point.return;
    const watchText =
      (!b ? '' : b.connected ? '▶ đang xem' + (b.loss_percent >= 1 ? ' · mất ' + b.loss_percent + '%' : '') : '… đang vào cầu') +
      (r && r.connected ? (b ? ' · ' : '') + (r.on_air ? '🔴 đang lên sóng' : '📷 gửi hình về') : '');
    if (watch.textContent !== watchText) watch.textContent = watchText;
    // A point in trouble shows whom to call.
    let contact = tile.querySelector('.contact');
    const who = troubled(point) && (point.contact_name || point.contact_phone);
    if (who && !contact) {
      contact = el('div', { className: 'contact' }, el('span', { className: 'who' }), el('span', { className: 'phone' }));
      tile.insertBefore(contact, watch);
    } else if (!who && contact) {
      contact.remove();
      contact = null;
    }
    if (contact) {
      contact.querySelector('.who').textContent = point.contact_name || '';
      contact.querySelector('.phone').textContent = point.contact_phone || '';
    }
    tile.title =
      point.name + ': ' + (point.state_label || POINT_STATES[point.state] || point.state) +
      (point.reason ? ' — ' + point.reason : '') +
      (troubled(point) && point.contact_phone ? ' — ' + (point.contact_name || '') + ' ' + point.contact_phone : '');
  }

  // The counts, the uplink banner: in every points message.
  function renderSummary(p) {
    const counts = p.counts || {};
    for (const node of document.querySelectorAll('[data-count]')) {
      const n = counts[node.dataset.count];
      const text = n === undefined ? '0' : String(n);
      if (node.textContent !== text) node.textContent = text;
    }
    const uplink = p.uplink || {};
    const banner = $('uplink-banner');
    banner.hidden = !uplink.active;
    if (uplink.active) {
      const n = (uplink.points || []).length;
      banner.textContent =
        'CẢNH BÁO ĐƯỜNG TRUYỀN: ' + n + ' điểm cầu mất kết nối cùng lúc' +
        (uplink.since ? ' từ ' + timeOf(uplink.since, true) : '') +
        ' — kiểm tra đường truyền chung trước khi gọi từng điểm.';
    }
    if (Array.isArray(p.groups)) for (const g of p.groups) pts.counts.set(g.group, g);
  }

  // The whole list (topic "points"): at connection, after a reload, or each time with
  // ?points=full.
  function renderPoints(p) {
    state.points = p;
    pts.byId.clear();
    pts.index.clear();
    pts.folded.clear();
    pts.members.clear();
    pts.groups = [];
    pts.counts.clear();
    pts.grouped = false;
    pts.bridge = false;
    (p.points || []).forEach((point, i) => {
      pts.byId.set(point.id, point);
      pts.index.set(point.id, i);
      foldPoint(point);
      const g = point.group || '';
      if (g) pts.grouped = true;
      if ('bridge' in point) pts.bridge = true;
      if (!pts.members.has(g)) {
        pts.members.set(g, []);
        pts.groups.push(g);
      }
      pts.members.get(g).push(point.id);
    });
    if (!Array.isArray(p.groups)) {
      // An older daemon: the groups' counts from the points.
      for (const g of pts.groups) {
        const c = { group: g, up: 0, degraded: 0, down: 0, maintenance: 0, unknown: 0, total: 0 };
        for (const id of pts.members.get(g)) {
          ++c.total;
          ++c[pts.byId.get(id).state];
        }
        pts.counts.set(g, c);
      }
    }
    renderSummary(p);
    $('filter-not-watching').hidden = !pts.bridge;
    for (const [id, tile] of tiles) {
      const point = pts.byId.get(id);
      if (point) updateTile(tile, point);
    }
    rebuildGroups();
    layoutAll();
    if (state.detailId) loadDetail(state.detailId);
    eventsShown = null;
    if (state.events) renderEvents(state.events);
  }

  // Only the points that changed (topic "points-changed").
  function renderPointsChanged(p) {
    if (!state.points) return; // the snapshot comes first; wait for it
    renderSummary(p);
    const dirty = new Set();
    let regroup = false;
    for (const point of p.points || []) {
      const old = pts.byId.get(point.id);
      if (!old) continue; // a new point comes with a new snapshot
      pts.byId.set(point.id, point);
      if (old.name !== point.name || old.group !== point.group) foldPoint(point);
      if ((old.group || '') !== (point.group || '')) regroup = true;
      dirty.add(point.group || '');
      const tile = tiles.get(point.id);
      if (tile) updateTile(tile, point);
      if (state.detailId === point.id) loadDetail(point.id);
    }
    if (regroup) {
      renderPoints(Object.assign({}, p, { points: [...pts.byId.values()] }));
      return;
    }
    for (const g of dirty) layoutGroup(g);
    updateGroupHeads();
    orderGroups();
    updateEmpty();
  }

  // The group sections (grouped view), or the flat wall in #tiles.
  function rebuildGroups() {
    const grid = $('tiles');
    if (grid.classList.contains('grouped') !== pts.grouped) {
      // From the wall to provinces or back (a reload): start afresh.
      grid.replaceChildren();
      tiles.clear();
      view.groups.clear();
    }
    grid.classList.toggle('grouped', pts.grouped);
    if (pts.grouped) $('tiles-more').hidden = true;
    const keep = new Map();
    if (!pts.grouped) {
      const old = view.groups.get('');
      keep.set('', old || { section: null, head: null, body: grid, more: null, shown: [] });
    } else {
      for (const g of pts.groups) {
        let v = view.groups.get(g);
        if (!v || !v.section) {
          // One line a province: its name, its counts, «còn N điểm» (the healthy bulk).
          const more = el('button', { type: 'button', className: 'more small', 'data-more': g });
          const head = el(
            'div',
            { className: 'group-head', role: 'button', tabindex: '0', 'data-group': g, 'aria-expanded': 'true' },
            el('span', { className: 'caret', 'aria-hidden': 'true' }, '▾'),
            el('span', { className: 'group-name' }, g || 'Chưa xếp nhóm'),
            el('span', { className: 'gc gc-uplink', hidden: true }, 'Mất đường truyền'),
            el('span', { className: 'gc gc-down' }),
            el('span', { className: 'gc gc-degraded' }),
            el('span', { className: 'gc gc-other' }),
            more,
            el('span', { className: 'gc gc-up' })
          );
          const body = el('div', { className: 'tiles group-tiles' });
          v = { section: el('section', { className: 'group', 'data-group': g }, head, body), head: head, body: body, more: more, shown: [] };
        }
        keep.set(g, v);
      }
    }
    for (const [g, v] of view.groups)
      if (!keep.has(g)) {
        for (const id of v.shown) tiles.delete(id);
        if (v.section) v.section.remove();
      }
    view.groups = keep;
    view.order = '';
  }

  function layoutAll() {
    for (const g of view.groups.keys()) layoutGroup(g);
    updateGroupHeads();
    orderGroups();
    updateEmpty();
  }

  // Which of a group's points are on screen, in which order, and how many are not.
  function groupList(g) {
    const ids = pts.members.get(g) || [];
    const searching = view.query.length > 0 || view.filter !== 'all';
    const byIndex = (a, b) => pts.index.get(a) - pts.index.get(b);
    const bySeverity = (a, b) =>
      SEVERITY[pts.byId.get(a).state] - SEVERITY[pts.byId.get(b).state] || byIndex(a, b);
    if (!pts.grouped) {
      // The wall of before: the daemon's order.
      const list = searching ? ids.filter((id) => passesFilter(pts.byId.get(id)) && matchesQuery(id)) : ids;
      const cap = view.showAll.has(g) ? Infinity : searching ? Math.max(MATCH_CAP, FLAT_CAP) : FLAT_CAP;
      return { shown: list.slice(0, cap), rest: Math.max(0, list.length - cap), restUp: false, matched: list.length };
    }
    if (searching) {
      const list = ids.filter((id) => passesFilter(pts.byId.get(id)) && matchesQuery(id)).sort(bySeverity);
      const cap = view.showAll.has(g) ? Infinity : MATCH_CAP;
      return { shown: list.slice(0, cap), rest: Math.max(0, list.length - cap), restUp: false, matched: list.length };
    }
    if (view.collapsed.has(g)) return { shown: [], rest: 0, restUp: false, matched: ids.length };
    const trouble = ids.filter((id) => troubled(pts.byId.get(id))).sort(bySeverity);
    const rest = ids.length - trouble.length;
    const allUp = (pts.counts.get(g) || {}).up === rest;
    if (view.showAll.has(g))
      return { shown: trouble.concat(ids.filter((id) => !troubled(pts.byId.get(id)))), rest: 0, restUp: rest > 0, allUp: allUp, matched: ids.length };
    return { shown: trouble, rest: rest, restUp: true, allUp: allUp, matched: ids.length };
  }

  function layoutGroup(g) {
    const v = view.groups.get(g);
    if (!v) return;
    const list = groupList(g);
    const wanted = list.shown;
    const wantedSet = new Set(wanted);
    for (const id of v.shown) if (!wantedSet.has(id)) tiles.delete(id);
    const nodes = wanted.map((id) => {
      let tile = tiles.get(id);
      if (!tile) {
        tile = newTile(id);
        updateTile(tile, pts.byId.get(id));
        tiles.set(id, tile);
      }
      return tile;
    });
    // Moved only when the order on screen changes.
    const children = v.body.children;
    let same = children.length === nodes.length;
    for (let i = 0; same && i < nodes.length; ++i) same = children[i] === nodes[i];
    if (!same) v.body.replaceChildren(...nodes);
    v.shown = wanted;
    v.matched = list.matched;
    if (v.section) {
      v.body.hidden = nodes.length === 0;
      v.section.hidden = (view.query.length > 0 || view.filter !== 'all') && list.matched === 0;
      const showingUp = view.showAll.has(g) && list.restUp;
      const text = list.rest > 0
        ? '+ còn ' + list.rest + (list.restUp && list.allUp ? ' điểm hoạt động' : ' điểm')
        : showingUp ? '− thu gọn' : '';
      if (v.more.textContent !== text) v.more.textContent = text;
      v.more.hidden = !text || view.collapsed.has(g);
    } else {
      updateFlatMore(list);
    }
  }

  function updateFlatMore(list) {
    const more = $('tiles-more');
    more.hidden = list.rest === 0;
    more.textContent = list.rest ? '+ còn ' + list.rest + ' điểm' : '';
  }

  function updateGroupHeads() {
    if (!pts.grouped) return;
    for (const [g, v] of view.groups) {
      const c = pts.counts.get(g) || {};
      const set = (cls, n, label) => {
        const node = v.head.querySelector(cls);
        const text = n ? n + ' ' + label : '';
        if (node.textContent !== text) node.textContent = text;
        node.hidden = !n;
      };
      // The province's own uplink alarm (its points dropped together): one cause, one badge.
      const uplink = v.head.querySelector('.gc-uplink');
      if (uplink.hidden === !!c.uplink) uplink.hidden = !c.uplink;
      set('.gc-down', c.down || 0, 'mất kết nối');
      set('.gc-degraded', c.degraded || 0, 'chập chờn');
      set('.gc-other', (c.unknown || 0) + (c.maintenance || 0), !c.maintenance ? 'chưa rõ' : !c.unknown ? 'bảo trì' : 'chưa rõ / bảo trì');
      const up = v.head.querySelector('.gc-up');
      const upText = (c.up || 0) + '/' + (c.total || 0) + ' hoạt động';
      if (up.textContent !== upText) up.textContent = upText;
      const open = !view.collapsed.has(g);
      const caret = open ? '▾' : '▸';
      if (v.head.firstChild.textContent !== caret) v.head.firstChild.textContent = caret;
      v.head.setAttribute('aria-expanded', String(open));
      const cls = 'group' + (c.down ? ' has-down' : c.degraded ? ' has-degraded' : '');
      if (v.section.className !== cls) v.section.className = cls;
    }
  }

  // The groups in trouble first: most points down, then degraded, then the daemon's order.
  function orderGroups() {
    if (!pts.grouped) return;
    const at = new Map(pts.groups.map((g, i) => [g, i]));
    const c = (g) => pts.counts.get(g) || {};
    const rank = (g) => (c(g).down ? 0 : c(g).degraded ? 1 : (c(g).unknown || 0) + (c(g).maintenance || 0) ? 2 : 3);
    const sorted = pts.groups.slice().sort(
      (a, b) => rank(a) - rank(b) || (c(b).down || 0) - (c(a).down || 0) || (c(b).degraded || 0) - (c(a).degraded || 0) || at.get(a) - at.get(b)
    );
    const key = sorted.join('\n');
    if (key === view.order) return;
    view.order = key;
    $('tiles').replaceChildren(...sorted.map((g) => view.groups.get(g).section));
  }

  function updateEmpty() {
    const empty = $('tiles-empty');
    let shown = 0;
    let matched = 0;
    for (const v of view.groups.values()) {
      shown += v.shown.length;
      matched += v.matched || 0;
    }
    const searching = view.query.length > 0 || view.filter !== 'all';
    empty.hidden = pts.grouped ? !searching || matched > 0 : shown > 0;
    empty.textContent =
      pts.byId.size === 0
        ? 'Chưa cấu hình điểm cầu nào.'
        : view.query.length || (view.filter !== 'all' && view.filter !== 'not-up')
          ? 'Không có điểm cầu nào khớp.'
          : 'Mọi điểm cầu đều hoạt động.';
    const label = $('points-found');
    const text = searching ? 'Tìm thấy ' + matched + ' điểm' : '';
    if (label.textContent !== text) label.textContent = text;
  }

  // The filter buttons: one at a time; the pressed one again shows all.
  function setFilter(filter) {
    view.filter = view.filter === filter ? 'all' : filter;
    for (const b of document.querySelectorAll('button[data-filter]')) {
      const on = b.dataset.filter === view.filter;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', String(on));
    }
    layoutAll();
  }

  let searchTimer = null;
  function onSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      view.query = fold($('points-search').value).split(/\s+/).filter(Boolean);
      layoutAll();
    }, 120);
  }

  function toggleGroup(g) {
    if (view.collapsed.has(g)) view.collapsed.delete(g);
    else view.collapsed.add(g);
    layoutGroup(g);
    updateGroupHeads();
  }

  function toggleShowAll(g) {
    if (view.showAll.has(g)) view.showAll.delete(g);
    else view.showAll.add(g);
    layoutGroup(g);
    updateEmpty();
  }

  // ---- one point's details -------------------------------------------------------------

  function openDetail(id) {
    state.detailId = id;
    $('detail').hidden = false;
    setText('detail-name', id);
    $('detail-body').replaceChildren(el('p', { className: 'muted' }, 'Đang tải…'));
    loadDetail(id);
  }

  function closeDetail() {
    state.detailId = null;
    $('detail').hidden = true;
  }

  let detailSeq = 0;
  async function loadDetail(id) {
    const seq = ++detailSeq;
    let p;
    try {
      p = await api('GET', '/api/points/' + encodeURIComponent(id));
    } catch (e) {
      if (seq === detailSeq && state.detailId === id)
        $('detail-body').replaceChildren(el('p', { className: 'error' }, 'Không tải được: ' + e.message));
      return;
    }
    if (seq !== detailSeq || state.detailId !== id) return;
    renderDetail(p);
  }

  function row(label, value) {
    return el('tr', {}, el('th', {}, label), el('td', {}, value));
  }

  function renderDetail(p) {
    setText('detail-name', p.name);
    const phone = p.contact_phone || '';
    const phoneLink = phone
      ? el('a', { href: 'tel:' + phone.replace(/[^\d+]/g, '') }, phone)
      : el('span', { className: 'muted' }, 'không có');
    const info = el(
      'table',
      { className: 'kv' },
      row('Trạng thái', el('span', { className: 'badge state-' + p.state }, p.state_label || POINT_STATES[p.state] || p.state)),
      row('Từ lúc', timeOf(p.since, true) + ' (' + ago(p.since) + ' trước)'),
      p.reason ? row('Lý do', p.reason) : null,
      row('Độ trễ', p.latency_ms === null || p.latency_ms === undefined ? '—' : p.latency_ms + ' ms'),
      row('Loại', p.kind || ''),
      row('Người liên hệ', p.contact_name || '—'),
      row('Điện thoại', phoneLink),
      p.uplink ? row('Đường truyền', 'nằm trong cảnh báo đường truyền chung') : null,
      p.bridge
        ? row(
            'Cầu truyền hình',
            (p.bridge.connected ? 'đang xem' : 'đang kết nối') +
              ' (' + p.bridge.transport + ', từ ' + (p.bridge.peer || '?') + ')' +
              (p.bridge.rtt_ms !== undefined ? ' · RTT ' + p.bridge.rtt_ms + ' ms' : '') +
              (p.bridge.loss_percent !== undefined ? ' · mất gói ' + p.bridge.loss_percent + '%' : '') +
              (p.bridge.kbps ? ' · ' + p.bridge.kbps + ' kb/s' : '')
          )
        : p.bridge === null
          ? row('Cầu truyền hình', el('span', { className: 'muted' }, 'chưa xem'))
          : null,
      // The picture the commune sends back (WHIP), and the cut to it.
      p.return
        ? row(
            'Hình gửi về',
            el(
              'span',
              {},
              (p.return.connected ? (p.return.on_air ? 'đang lên sóng' : 'đang gửi') : 'đang kết nối') +
                ' (từ ' + (p.return.peer || '?') + ')' +
                (p.return.packets_lost ? ' · mất ' + p.return.packets_lost + ' gói' : ''),
              p.return.connected && p.return.on_programme && !p.return.on_air
                ? el('button', { 'data-action': 'cut', 'data-scene': 'point:' + p.id, className: 'small op-only' }, 'Lên sóng')
                : null
            )
          )
        : 'return' in p
          ? row('Hình gửi về', el('span', { className: 'muted' }, 'không gửi'))
          : null
    );

    const probes = el(
      'table',
      { className: 'probes' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Phép đo'), el('th', {}, 'Địa chỉ'), el('th', {}, 'Trạng thái'), el('th', {}, 'Trễ')))
    );
    const probeBody = el('tbody');
    for (const pr of p.probes || [])
      probeBody.appendChild(
        el(
          'tr',
          { title: pr.last_error || pr.reason || '' },
          el('td', {}, pr.name),
          el('td', { className: 'target' }, pr.target || ''),
          el('td', {}, el('span', { className: 'badge state-' + pr.state }, POINT_STATES[pr.state] || pr.state)),
          el('td', {}, pr.latency_ms === undefined ? '—' : pr.latency_ms + ' ms')
        )
      );
    probes.appendChild(probeBody);

    const history = el('ol', { className: 'history' });
    const entries = (p.history || []).slice().sort((a, b) => (b.t || 0) - (a.t || 0));
    for (const h of entries) {
      const what =
        h.type === 'point'
          ? (POINT_STATES[h.from] || h.from) + ' → ' + (POINT_STATES[h.to] || h.to)
          : EVENT_KINDS[h.type] || h.type;
      history.appendChild(
        el(
          'li',
          { className: h.to ? 'to-' + h.to : '' },
          el('span', { className: 'time' }, timeOf(h.time, true)),
          ' ' + what,
          h.reason ? el('span', { className: 'muted' }, ' — ' + h.reason) : null
        )
      );
    }
    if (!entries.length) history.appendChild(el('li', { className: 'muted' }, 'Chưa có thay đổi nào.'));

    const parts = [info];
    if (state.canChange) {
      const on = p.state !== 'maintenance';
      parts.push(
        el(
          'div',
          { className: 'buttons' },
          el('button', { 'data-action': 'maintenance', 'data-id': p.id, 'data-on': on ? '1' : '0' }, on ? 'Đặt bảo trì' : 'Hết bảo trì')
        )
      );
    }
    parts.push(el('h3', {}, 'Phép đo'), probes, el('h3', {}, 'Lịch sử (mới nhất trước)'), history);
    $('detail-body').replaceChildren(...parts);
  }

  // ---- alerts --------------------------------------------------------------------------

  const TRANSITIONS = {
    started: 'bắt đầu',
    ended: 'kết thúc',
    skipped: 'bị bỏ qua',
    held: 'tạm dừng',
    resumed: 'tiếp tục',
    extended: 'được kéo dài',
  };

  function severity(e) {
    if (e.kind === 'uplink') return e.type === 'uplink_cleared' ? 'ok' : 'alarm';
    if (e.kind === 'point') {
      if (e.to === 'down') return 'alarm';
      if (e.to === 'degraded') return 'warn';
      if (e.to === 'up') return 'ok';
    }
    if (e.kind === 'output' && e.state === 'failed') return 'alarm';
    if (e.kind === 'media') return 'warn';
    if (e.kind === 'input') {
      if (e.picture) return e.picture === 'ok' ? 'ok' : 'alarm'; // black, and its end
      return e.state === 'running' ? 'ok' : 'alarm';
    }
    if (e.kind === 'sound') {
      if (e.alert === 'silence' || e.alert === 'clipping') return 'alarm';
      if (e.alert === 'off_target') return 'warn';
      return 'ok'; // silence_over, on_target
    }
    if (e.kind === 'clip') return 'alarm';
    return 'info';
  }

  function pointName(id) {
    const p = pts.byId.get(id);
    return p ? p.name : id;
  }

  function itemTitle(id) {
    const items = (state.timeline && state.timeline.items) || [];
    for (const i of items) if (i.id === id) return i.title;
    return id;
  }

  // One line of text per event, whatever part of the daemon it came from.
  function describe(e) {
    if (e.kind === 'point') {
      const change = (POINT_STATES[e.from] || e.from) + ' → ' + (POINT_STATES[e.to] || e.to);
      return pointName(e.point) + ': ' + change + (e.reason ? ' (' + e.reason + ')' : '');
    }
    if (e.kind === 'uplink') {
      const n = (e.points || []).length;
      return e.type === 'uplink_cleared'
        ? 'Hết cảnh báo đường truyền chung'
        : 'Cảnh báo đường truyền chung: ' + n + ' điểm cầu mất kết nối cùng lúc' +
            (e.reason ? ' (' + e.reason + ')' : '');
    }
    if (e.kind === 'timeline') {
      const what = TRANSITIONS[e.what] || e.what || '';
      return 'Mục ' + e.number + ' «' + itemTitle(e.item) + '» ' + what + (e.message ? ' — ' + e.message : '');
    }
    return e.message || e.reason || '';
  }

  let eventsShown = null;
  function renderEvents(data) {
    state.events = data;
    // Built again only when it changed (or when the points' names or the items' titles it
    // shows may have: renderPoints and renderTimeline forget the key).
    const key = JSON.stringify(data);
    if (key === eventsShown) return;
    eventsShown = key;
    const list = $('alerts');
    list.replaceChildren();
    // Point events carry "time", the others "at" (ISO with one offset: they sort as text).
    // A point settling at start-up (unknown → up) is no alert: its history keeps it.
    const events = ((data && data.events) || [])
      .filter((e) => !(e.kind === 'point' && e.from === 'unknown' && e.to === 'up'))
      .map((e, i) => ({ e: e, at: e.at || e.time || '', i: i }))
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.i - b.i));
    if (!events.length) list.appendChild(el('li', { className: 'muted' }, 'Chưa có sự kiện nào.'));
    for (const { e, at } of events) {
      list.appendChild(
        el(
          'li',
          { className: 'ev sev-' + severity(e), 'data-kind': e.kind },
          el('span', { className: 'time' }, timeOf(at, true)),
          el('span', { className: 'badge kind' }, EVENT_KINDS[e.kind] || e.kind),
          el('span', { className: 'msg' }, describe(e))
        )
      );
    }
  }

  // ---- operator actions ----------------------------------------------------------------

  const DONE = {
    next: 'Đã chuyển sang mục tiếp theo.',
    hold: 'Đã tạm dừng chương trình.',
    resume: 'Chương trình tiếp tục.',
    extend: 'Đã kéo dài mục hiện tại.',
    cut: 'Đã cắt cảnh.',
    cue: 'Đã phát hiệu lệnh.',
    goto: 'Đã chuyển mục.',
    maintenance: 'Đã cập nhật trạng thái bảo trì.',
  };

  function request(button) {
    const d = button.dataset;
    switch (d.action) {
      case 'next':
      case 'hold':
      case 'resume':
        return ['/api/timeline/' + d.action, undefined];
      case 'extend':
        return ['/api/timeline/extend', { seconds: Number(d.seconds) }];
      case 'goto':
        return ['/api/timeline/goto', { id: d.id }];
      case 'cut':
        return ['/api/program/cut', { scene: d.scene }];
      case 'cue':
        return ['/api/cue/' + encodeURIComponent(d.name), undefined];
      case 'maintenance':
        return [
          '/api/points/' + encodeURIComponent(d.id) + '/maintenance',
          { on: d.on === '1', reason: 'đặt từ bảng điều khiển' },
        ];
    }
    return null;
  }

  function showResult(text, isError) {
    const out = $('op-result');
    out.textContent = text;
    out.className = 'op-result ' + (isError ? 'error' : 'ok');
  }

  // A button with data-confirm needs a second press within 3 s: a stray click must not
  // skip an item in the middle of a live ceremony.
  function armed(button) {
    if (!button.dataset.confirm || button.classList.contains('armed')) return true;
    button.classList.add('armed');
    button.dataset.label = button.textContent;
    button.textContent = 'Bấm lần nữa để xác nhận';
    setTimeout(() => {
      button.classList.remove('armed');
      if (button.dataset.label) button.textContent = button.dataset.label;
    }, 3000);
    return false;
  }

  async function act(button) {
    const r = request(button);
    if (!r || !armed(button)) return;
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.classList.remove('armed');
    button.disabled = true;
    try {
      await api('POST', r[0], r[1]);
      showResult(DONE[button.dataset.action] || 'Đã thực hiện.', false);
      if (button.dataset.action === 'maintenance' && state.detailId) loadDetail(state.detailId);
    } catch (e) {
      showResult('Không thực hiện được: ' + e.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // ---- the points' links (operators: each commune is sent its own) ----------------------

  async function openLinks() {
    state.detailId = null;
    $('detail').hidden = false;
    setText('detail-name', 'Liên kết xem của các điểm cầu');
    const body = $('detail-body');
    body.replaceChildren(el('p', { className: 'muted' }, 'Đang tải…'));
    let links;
    try {
      links = await api('GET', '/api/bridge/links');
    } catch (e) {
      body.replaceChildren(
        el('p', { className: 'error' },
          e.status === 404 ? 'Cầu truyền hình chưa được bật (bảng [bridge] trong cấu hình).'
            : e.status === 403 ? 'Cần mã điều hành để xem các liên kết.' : 'Không tải được: ' + e.message));
      return;
    }
    const full = (l) => location.origin + l.path;
    const copy = async (text, button) => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Đã chép';
      } catch (e) {
        button.textContent = 'Hãy chọn và chép tay';
      }
    };
    const rows = links.map((l) => {
      const input = el('input', { type: 'text', readonly: true, className: 'link', size: 40,
        value: full(l), 'aria-label': 'Liên kết của ' + l.name });
      const button = el('button', { type: 'button' }, 'Chép');
      button.addEventListener('click', () => {
        input.select();
        copy(full(l), button);
      });
      return el('tr', { 'data-point': l.id }, el('td', {}, l.name), el('td', {}, input), el('td', {}, button));
    });
    const all = el('button', { type: 'button', id: 'links-copy-all' }, 'Chép tất cả');
    all.addEventListener('click', () => copy(links.map((l) => l.name + ': ' + full(l)).join('\n'), all));
    body.replaceChildren(
      el('p', { className: 'muted' },
        'Mỗi liên kết mang mã riêng của điểm cầu: gửi cho từng xã đúng liên kết của xã mình, qua kênh tin cậy. ' +
        'Mở liên kết trên máy tính của hội trường xã là xem được chương trình, không cần cài đặt gì.'),
      all,
      el('table', { className: 'links' }, el('tbody', {}, ...rows)));
  }

  // ---- token and role ------------------------------------------------------------------

  let whoamiSeq = 0;
  async function refreshRole() {
    const seq = ++whoamiSeq;
    let role = 'anonymous';
    let canChange = false;
    let text;
    let needToken = false;
    try {
      const w = await api('GET', '/api/whoami');
      needToken = w.reads_need_token && w.role === 'anonymous';
      role = w.role;
      canChange = !!w.can_change;
      text =
        role === 'operator' ? 'Điều hành' : role === 'viewer' ? 'Chỉ xem' : w.reads_need_token ? 'Cần mã để xem' : 'Chỉ xem (không mã)';
    } catch (e) {
      text = e.status === 401 ? (state.token ? 'Mã không đúng' : 'Cần mã để xem') : 'Không kiểm tra được mã';
      needToken = e.status === 401;
    }
    if (seq !== whoamiSeq) return;
    state.canChange = canChange;
    state.needToken = needToken;
    const r = $('role');
    r.textContent = text;
    r.dataset.role = role;
    $('operator-controls').hidden = !canChange;
    $('links-open').hidden = !canChange;
    document.body.classList.toggle('operator', canChange);
    if (state.detailId) loadDetail(state.detailId);
  }

  function setToken(token) {
    state.token = token;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      // private mode: keep it for this page only
    }
    $('token').value = '';
    $('token').placeholder = token ? 'đã lưu mã' : 'dán mã ở đây';
    refreshRole();
    connect();
  }

  // ---- the live stream -----------------------------------------------------------------

  let source = null;
  let lastMessage = 0;
  let retryTimer = null;

  function setConnected(ok) {
    // Called at every message: the page is touched only when something changes.
    const banner = $('connection');
    if (banner.hidden !== ok) banner.hidden = ok;
    setText(
      'connection',
      state.needToken
        ? 'Cần mã truy cập để xem: nhập mã ở góc trên bên phải.'
        : 'Mất kết nối tới máy chủ — đang thử kết nối lại…'
    );
    if (document.body.classList.contains('offline') === ok) document.body.classList.toggle('offline', !ok);
  }

  // The token never goes in the stream's URL: with a token, the page first trades it (in
  // a header) for a one-use ticket of 30 s, and the EventSource carries only that.
  let connectSeq = 0;
  async function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
    const seq = ++connectSeq;
    // /?points=full: the whole points list at every change, as before "points-changed" (to
    // compare the two; tests/bench/dashboard_bench.py).
    const full = new URLSearchParams(location.search).get('points') === 'full';
    let url = '/api/stream' + (full ? '?points=full' : '');
    if (state.token) {
      let status = 0;
      let retryAfter = 2;
      try {
        const r = await fetch('/api/stream/ticket', {
          method: 'POST',
          headers: authHeaders(),
          cache: 'no-store',
          signal: AbortSignal.timeout(10000),
        });
        status = r.status;
        if (r.ok) url += (full ? '&' : '?') + 'ticket=' + encodeURIComponent((await r.json()).ticket);
        else retryAfter = Number(r.headers.get('Retry-After')) || 2;
      } catch (e) {
        status = 0;
      }
      if (seq !== connectSeq) return;
      if (!url.includes('ticket=')) {
        setConnected(false);
        // A wrong token is not tried again and again (that would lock this address out):
        // the role line says "Mã không đúng" until another one is entered.
        if (status !== 401 && status !== 403) retryTimer = setTimeout(connect, retryAfter * 1000);
        return;
      }
    }
    const es = new EventSource(url);
    source = es;
    lastMessage = Date.now();
    es.onopen = () => {
      if (source === es) setConnected(true);
    };
    es.onerror = () => {
      if (source !== es) return;
      setConnected(false);
      if (state.token) {
        // A ticket serves once, so the browser's own retry would be refused: a new one.
        es.close();
        retryTimer = setTimeout(connect, 1000);
        return;
      }
      // The browser retries by itself unless the answer was not a stream (401, 404…).
      if (es.readyState === EventSource.CLOSED) retryTimer = setTimeout(connect, 2000);
    };
    const handlers = {
      status: renderStatus,
      timeline: renderTimeline,
      points: renderPoints,
      'points-changed': renderPointsChanged,
      events: renderEvents,
      sound: (data) => renderSound(data, true),
    };
    for (const topic of TOPICS) {
      es.addEventListener(topic, (ev) => {
        if (source !== es) return;
        lastMessage = Date.now();
        setConnected(true);
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        try {
          handlers[topic](data);
        } catch (e) {
          console.error('render ' + topic, e);
        }
      });
    }
  }

  // ---- programme preview ---------------------------------------------------------------

  // A picture a second while it can be seen: not while the tab is hidden or the panel is
  // scrolled out of sight (it is asked for again at once when it comes back). Each picture
  // is decoded before it is shown (img.decode(), off the page's main thread), so the swap
  // costs no decoding in the frame that shows it.
  let previewUrl = null;
  let previewTimer = null;
  let previewBusy = false;
  let previewInView = true;

  function previewVisible() {
    return !document.hidden && previewInView;
  }

  async function refreshPreview() {
    clearTimeout(previewTimer);
    previewTimer = null;
    if (!previewVisible() || previewBusy) return; // started again when it can be seen
    previewBusy = true;
    let delay = 1000;
    const img = $('preview');
    try {
      const r = await fetch('/api/preview.jpg', { headers: authHeaders(), cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const url = URL.createObjectURL(await r.blob());
      const next = new Image();
      next.src = url;
      try {
        await next.decode();
      } catch (e) {
        URL.revokeObjectURL(url);
        throw e;
      }
      const old = previewUrl;
      previewUrl = url;
      img.src = url;
      if (img.hidden) img.hidden = false;
      if (!$('preview-none').hidden) $('preview-none').hidden = true;
      if (old) setTimeout(() => URL.revokeObjectURL(old), 2000);
    } catch (e) {
      img.hidden = true;
      $('preview-none').hidden = false;
      delay = 5000; // no preview yet: ask now and then, not every second
    }
    previewBusy = false;
    if (previewVisible()) previewTimer = setTimeout(refreshPreview, delay);
  }

  function watchPreview() {
    document.addEventListener('visibilitychange', () => {
      if (previewVisible()) refreshPreview();
    });
    if (!('IntersectionObserver' in window)) return;
    new IntersectionObserver((entries) => {
      for (const entry of entries) previewInView = entry.isIntersecting;
      if (previewVisible() && !previewTimer) refreshPreview();
    }).observe($('preview').closest('section'));
  }

  // ---- what moves between messages: clock, progress, ages --------------------------------

  // Once a second, just after the server's clock turns a second (the clock then shows the
  // right second all along); a status message draws at once too.
  let tickTimer = null;
  function everySecond() {
    tick();
    clearTimeout(tickTimer);
    tickTimer = setTimeout(everySecond, 1000 - (((serverNow() % 1000) + 1000) % 1000) + 5);
  }

  function tick() {
    const now = serverNow();
    setText('clock', state.status ? clockOf(now) : '--:--:--');
    const s = state.status;
    const bar = $('progress-bar');
    let fraction = 0;
    if (s && s.current) {
      const start = Date.parse(s.current.actual_start || s.current.start);
      const end = Date.parse(s.current.end);
      if (!isNaN(start) && !isNaN(end) && end > start) fraction = (now - start) / (end - start);
      if (s.current.state === 'done') fraction = 1;
    }
    fraction = Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 1000;
    setScale(bar, fraction);
    const held = !!s && s.phase === 'held';
    if (bar.classList.contains('held') !== held) bar.classList.toggle('held', held);
    // The alarms blink (the live badge, a silent programme): a step a second, drawn with
    // the clock, rather than a CSS animation that would redraw the page at every frame.
    const odd = Math.floor(now / 1000) % 2 === 1;
    for (const node of [$('live'), $('sound-state')])
      if (node.classList.contains('blink') !== odd) node.classList.toggle('blink', odd);
    for (const tile of tiles.values()) {
      const age = tile.querySelector('.age');
      const text = ago(tile.dataset.since);
      if (age.textContent !== text) age.textContent = text;
    }
    // The meter stands still when its numbers stop coming: say so rather than show old ones.
    const stale = !!state.sound && state.soundTopicAt > 0 && Date.now() - state.soundTopicAt > SOUND_STALE_MS;
    const panel = $('sound');
    if (panel.dataset.stale !== String(stale)) {
      panel.dataset.stale = String(stale);
      if (stale) setText('sound-state', 'Không có số đo mới');
    }
    if (source && source.readyState === EventSource.OPEN && Date.now() - lastMessage > STALE_MS) {
      setConnected(false);
      connect();
    }
  }

  // ---- the results report: fetched with the page's token, saved as a file ---------------

  async function downloadReport(format) {
    const out = $('report-result');
    out.textContent = 'Đang lập báo cáo…';
    try {
      const response = await fetch('/api/report?format=' + encodeURIComponent(format), {
        headers: authHeaders(),
        cache: 'no-store',
      });
      if (!response.ok) {
        let message = 'HTTP ' + response.status;
        try {
          message = (await response.json()).error || message;
        } catch (e) {
          /* not JSON: keep the status */
        }
        throw new Error(message);
      }
      const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = named ? named[1] : 'bao-cao';
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      out.textContent = 'Đã tải ' + link.download + ' (' + Math.max(1, Math.round(blob.size / 1024)) + ' KB)';
    } catch (e) {
      out.textContent = 'Không lập được báo cáo: ' + e.message;
    }
  }

  // ---- wiring --------------------------------------------------------------------------

  document.addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-action]');
    if (button) {
      act(button);
      return;
    }
    const report = ev.target.closest('button[data-report]');
    if (report) {
      downloadReport(report.dataset.report);
      return;
    }
    const filter = ev.target.closest('button[data-filter]');
    if (filter) {
      setFilter(filter.dataset.filter);
      return;
    }
    const more = ev.target.closest('button[data-more]');
    if (more) {
      toggleShowAll(more.dataset.more);
      return;
    }
    if (ev.target.closest('#tiles-more')) {
      toggleShowAll('');
      return;
    }
    const head = ev.target.closest('.group-head[data-group]');
    if (head) {
      toggleGroup(head.dataset.group);
      return;
    }
    const tile = ev.target.closest('.tile[data-point]');
    if (tile) openDetail(tile.dataset.point);
  });
  $('tiles').addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    const tile = ev.target.closest('.tile[data-point]');
    const head = ev.target.closest('.group-head[data-group]');
    if (tile) {
      ev.preventDefault();
      openDetail(tile.dataset.point);
    } else if (head) {
      ev.preventDefault();
      toggleGroup(head.dataset.group);
    }
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') closeDetail();
  });
  $('detail-close').addEventListener('click', closeDetail);
  $('links-open').addEventListener('click', openLinks);
  $('points-search').addEventListener('input', onSearch);
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = $('token').value.trim();
    if (value) setToken(value);
  });
  $('token-clear').addEventListener('click', () => setToken(''));

  $('token').placeholder = state.token ? 'đã lưu mã' : 'dán mã ở đây';
  meterScale();
  refreshRole();
  connect();
  watchPreview();
  refreshPreview();
  everySecond();
})();
