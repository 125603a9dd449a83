#!/usr/bin/env python3
"""Media benchmark (issue 2): CPU seconds per second of live 720p30 programme.

A 1080p30 H.264+AAC file stands in for the hall camera. Three contenders turn it into the
same 720p30 programme (decode, scale, lower third, x264 veryfast CBR 3500 kbps with a
keyframe every 2 s, AAC-LC 128 kbps, FLV) and push it to a local nginx-rtmp:

  ceremonyd   the daemon, `--rehearsal=1` on tests/bench/data/bench.toml
  gst-launch  a plain gst-launch-1.0 pipeline of the elements ceremonyd builds
  ffmpeg      the equivalent ffmpeg command (-re, scale, drawtext, libx264, aac, flv)

Each run is measured after a warm-up: CPU from /proc/<pid>/stat (utime+stime of the
process tree), divided by the seconds of programme delivered meanwhile (the timestamps of
the FLV that nginx records, read as it grows), and peak RSS from /proc/<pid>/status
(VmHWM). Rounds are interleaved (the order rotates); medians and ratios are printed. A run
counts only if nginx recorded 1280x720 H.264 + AAC at 30 fps from it and it kept within
0.75-1.25x real time. Standard library only.

  tests/bench/media_bench.py --build build                           # 3 rounds x 60 s
  tests/bench/media_bench.py --build build --seconds 15 --rounds 1   # quick look
  tests/bench/media_bench.py --build build --also-build build-x --threads   # a change
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "data" / "bench.toml"
HALL_NAME = "hall-1080p.mp4"  # the name bench.toml's file:// URI refers to
NGINX = "/usr/sbin/nginx"
# The same module paths as tests/integration/support/NginxRtmp.h.
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# The programme format of bench.toml, as ceremonyd's ProgramMixer applies it.
WIDTH, HEIGHT, FPS = 1280, 720, 30
VIDEO_KBPS, KEYINT_S, PRESET, PROFILE = 3500, 2, "veryfast", "main"
AUDIO_BPS, AUDIO_RATE, AUDIO_CHANNELS = 128000, 48000, 2
KEYINT = KEYINT_S * FPS
FONT = "Noto Sans"
LT_NAME = "Nguyễn Văn A"
LT_ROLE = "Phó Chủ tịch UBND tỉnh Quảng Ngãi"

CONTENDERS = ("ceremonyd", "gst-launch", "ffmpeg")

# ---------------------------------------------------------------- processes we started

_started = []  # every Popen this script started; all are killed on the way out


def _child_setup():
    # Own process group (start_new_session) and die with this script, as the C++ harness does.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def start(argv, log, cwd=None, env=None):
    out = open(log, "wb")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         cwd=cwd, env=env, start_new_session=True, preexec_fn=_child_setup)
    out.close()
    _started.append(p)
    return p


def stop(p, sig=signal.SIGTERM, grace=10.0):
    """Signal the process group, wait (bounded), then SIGKILL it; always reaps."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # whatever is left of the group
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if p in _started:
        _started.remove(p)


def stop_all():
    for p in list(_started):
        stop(p, signal.SIGKILL, 1.0)


def run(argv, timeout, log=None, cwd=None):
    """Runs to the end (bounded); returns CompletedProcess, output in it (and in log)."""
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                       cwd=cwd, preexec_fn=_child_setup)
    if log:
        Path(log).write_bytes(r.stdout + b"\n--- stderr\n" + r.stderr)
    return r


def tail(path, lines=25):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


# ---------------------------------------------------------------- /proc measurements


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def tree_of(root):
    """root and every descendant alive now."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo and len(out) < 10000:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root):
    """utime+stime (+ reaped children's) of root's process tree, in seconds."""
    ticks = 0
    for pid in tree_of(root):
        try:
            f = _stat_fields(pid)
        except (OSError, ValueError):
            continue
        ticks += sum(int(x) for x in f[11:15])  # utime stime cutime cstime (fields 14..17)
    return ticks / CLK_TCK


def thread_seconds(pid):
    """{(tid, thread name): CPU seconds} of one process's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
            name = text[text.index("(") + 1:text.rindex(")")]
            f = text[text.rindex(")") + 2:].split()
            out[(tid, name)] = (int(f[11]) + int(f[12])) / CLK_TCK
        except (OSError, ValueError, IndexError):
            continue
    return out


def thread_profile(before, after, wall):
    """CPU-s/s per thread name over the interval, busiest first."""
    by_name = {}
    for key, t in after.items():
        by_name[key[1]] = by_name.get(key[1], 0.0) + (t - before.get(key, 0.0)) / wall
    return sorted(by_name.items(), key=lambda kv: -kv[1])


def machine_busy_seconds():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle = cpu[3] + cpu[4]  # idle + iowait
    return (sum(cpu[:8]) - idle) / CLK_TCK


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------- peers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Nginx:
    """nginx-rtmp on loopback, a plain foreground process with its own config and dir,
    recording every published stream to <dir>/rtmp/<name>.flv (as NginxRtmp.h does)."""

    def __init__(self, dir):
        self.dir = Path(dir) / "nginx"
        (self.dir / "rtmp").mkdir(parents=True)
        self.port = free_port()
        d = str(self.dir)
        (self.dir / "nginx.conf").write_text(f"""load_module {RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 128; }}
rtmp {{
  server {{
    listen 127.0.0.1:{self.port};
    chunk_size 4096;
    application live {{
      live on;
      record all;
      record_path {d}/rtmp;
      record_unique off;
      allow publish 127.0.0.1;
      deny publish all;
      allow play 127.0.0.1;
    }}
  }}
}}
""")
        self.proc = start([NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                          self.dir / "nginx.out", cwd=d)
        deadline = time.monotonic() + 10
        while not accepts(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start:\n" + tail(self.dir / "error.log") +
                                   "\n" + tail(self.dir / "nginx.out"))
            time.sleep(0.05)

    def url(self, stream):
        return f"rtmp://127.0.0.1:{self.port}/live/{stream}"

    def recording(self, stream):
        return self.dir / "rtmp" / f"{stream}.flv"

    def _publisher(self, stream):
        try:
            log = (self.dir / "error.log").read_text(errors="replace")
        except OSError:
            return None, ""
        at = log.rfind(f" publish: name='{stream}'")
        if at < 0:
            return None, log
        star = log.rfind("*", 0, at)
        return (log[star:at] if star >= 0 else None), log

    def published(self, stream):
        return self._publisher(stream)[0] is not None

    def ended(self, stream):
        conn, log = self._publisher(stream)
        return conn is not None and f"{conn} disconnect" in log


class FlvProgress:
    """How far a stream has got: reads the FLV that nginx records, as it grows, tag by tag
    (11-byte header: type, size, timestamp; payload; 4-byte previous size). `update()` →
    (timestamp of the last video tag in s, video tags so far), or None before the first."""

    def __init__(self, path):
        self.path, self.offset = path, None
        self.last_ts, self.frames = None, 0

    def update(self):
        try:
            with open(self.path, "rb") as f:
                if self.offset is None:
                    head = f.read(9)
                    if len(head) < 9 or head[:3] != b"FLV":
                        return None
                    self.offset = int.from_bytes(head[5:9], "big") + 4
                f.seek(self.offset)
                data = f.read(64 * 1024 * 1024)
        except OSError:
            return None
        pos = 0
        while pos + 11 <= len(data):
            size = int.from_bytes(data[pos + 1:pos + 4], "big")
            end = pos + 11 + size + 4
            if end > len(data):
                break
            if data[pos] & 0x1F == 9:  # video
                self.last_ts = (int.from_bytes(data[pos + 4:pos + 7], "big") |
                                data[pos + 7] << 24) / 1000
                self.frames += 1
            pos = end
        self.offset += pos
        return None if self.last_ts is None else (self.last_ts, self.frames)


def wait_until(predicate, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


# ---------------------------------------------------------------- the hall feed


def hall_file(cache, seconds, log_dir):
    """The 1080p30 H.264 (High) + AAC hall feed, made once per length and kept in `cache`:
    moving test pattern with temporal noise (so it costs what a camera costs), 8 Mbps."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"hall-1080p30-{seconds}s.mp4"
    if path.exists() and path.stat().st_size > 0:
        return path
    print(f"   making the {seconds} s 1080p hall feed once in {cache} "
          f"(about {seconds * 1.5:.0f} s)", flush=True)
    part = path.with_suffix(".part.mp4")
    r = run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30,noise=alls=6:allf=t+u",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
             "-pix_fmt", "yuv420p", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M", "-g", "60",
             "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", str(part)],
            timeout=seconds * 10 + 120, log=log_dir / "make-hall.log")
    if r.returncode != 0:
        raise RuntimeError("making the hall feed failed:\n" + r.stderr.decode(errors="replace"))
    part.rename(path)
    return path


# ---------------------------------------------------------------- the contenders


def lower_third_markup():
    # SceneLayout.cpp lowerThirdMarkup(): name bold height/24 px, role height/34 px.
    return (f"<span font_desc='{FONT} Bold {HEIGHT // 24}px'>{LT_NAME}</span>\n"
            f"<span font_desc='{FONT} {HEIGHT // 34}px'>{LT_ROLE}</span>")


def ceremonyd_cmd(args, work, hall, url, run_dir, build=None):
    build = build or args.build
    # bench.toml copied next to (a link to) the hall feed; the item lasts the whole run.
    cfg_dir = work / "ceremony"
    if not cfg_dir.exists():
        cfg_dir.mkdir()
        os.symlink(hall, cfg_dir / HALL_NAME)
        item = max(90, args.warmup + args.seconds + 20)
        text = re.sub(r'(?m)^duration = "\d+s"', f'duration = "{item}s"', CONFIG.read_text())
        (cfg_dir / "bench.toml").write_text(text)
    return [str(build / "ceremonyd"), "--config", str(cfg_dir / "bench.toml"),
            "--rehearsal=1", "--exit-when-done", "--rtmp", url,
            "--state-dir", str(run_dir / "state")]


def gst_cmd(args, work, hall, url, run_dir):
    # ProgramMixer.cpp / EncodedOutput.cpp element for element: uridecodebin; videoconvert,
    # videoscale add-borders, 1280x720 caps; compositor (force-live, black); I420 720p30
    # caps; textoverlay lower third; queue(3); x264enc as ceremonyd sets it; profile caps;
    # h264parse; audioconvert/resample, audiomixer (force-live), avenc_aac, aacparse;
    # flvmux streamable; rtmp2sink. Not here: ceremonyd's pre-show slate, its silent audio
    # bed and the appsink→appsrc hop to the per-destination pipeline. Those live inputs are
    # what paces ceremonyd's mixers (an aggregator forced live still runs as fast as its
    # inputs come when none is live): here the sink syncs on the clock instead (`-re`).
    raw = f"video/x-raw,width={WIDTH},height={HEIGHT},pixel-aspect-ratio=1/1"
    audio = (f"audio/x-raw,format=F32LE,layout=interleaved,rate={AUDIO_RATE},"
             f"channels={AUDIO_CHANNELS}")
    x264opts = f"scenecut=0:min-keyint={KEYINT}:nal-hrd=cbr:force-cfr=1"
    desc = (
        f"uridecodebin uri={hall.as_uri()} name=dec "
        f"! videoconvert ! videoscale add-borders=true ! {raw} "
        f"! compositor name=vmix background=black force-live=true "
        f"! {raw},format=I420,framerate={FPS}/1 "
        f"! textoverlay LOWER_THIRD shaded-background=true shading-value=160 "
        f"xpad={WIDTH // 16} ypad={HEIGHT // 12} wrap-mode=-1 valignment=bottom "
        f"halignment=left line-alignment=left "
        f"! queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 "
        f"! x264enc bitrate={VIDEO_KBPS} key-int-max={KEYINT} vbv-buf-capacity=1000 "
        f"option-string={x264opts} speed-preset={PRESET} tune=zerolatency pass=cbr "
        f"! video/x-h264,profile={PROFILE} ! h264parse config-interval=-1 "
        f"! video/x-h264,stream-format=avc,alignment=au ! queue "
        f"! flvmux name=mux streamable=true "
        f"! rtmp2sink location={url} sync=true stop-commands=none "
        f"dec. ! audioconvert ! audioresample ! {audio} "
        f"! audiomixer force-live=true ! {audio} ! audioconvert "
        f"! avenc_aac bitrate={AUDIO_BPS} ! aacparse ! queue ! mux. ")
    # gst-launch escapes the spaces inside each argument but not a newline: one argument per
    # token, the markup as one `text=…` argument with its line break as a character reference.
    text = "text=" + lower_third_markup().replace("\n", "&#10;")
    return ["gst-launch-1.0", "-q"] + [text if t == "LOWER_THIRD" else t for t in desc.split()]


def _font_file(pattern):
    try:
        r = run(["fc-match", "--format=%{file}", pattern], timeout=10)
        path = r.stdout.decode().strip()
        if path and Path(path).exists():
            return path
    except (OSError, subprocess.TimeoutExpired):
        pass
    return None


def ffmpeg_cmd(args, work, hall, url, run_dir):
    # -re paces the file like a live feed; the same x264 settings (veryfast, zerolatency,
    # CBR 3500k with a 1 s VBV, GOP 60 without scene cuts, main profile) and the same
    # native AAC encoder that avenc_aac wraps; drawtext draws the two lines of the lower
    # third on shaded boxes where textoverlay puts them.
    def text(line, size, pattern, y):
        font = _font_file(pattern)
        fontopt = f"fontfile={font}" if font else f"font={FONT}"
        return (f"drawtext={fontopt}:text={line}:fontsize={size}:fontcolor=white"
                f":x={WIDTH // 16}:y={y}:box=1:boxcolor=black@0.63:boxborderw=4")
    name_size, role_size = HEIGHT // 24, HEIGHT // 34
    bottom = HEIGHT - HEIGHT // 12
    vf = ",".join([
        f"scale={WIDTH}:{HEIGHT}", f"fps={FPS}", "format=yuv420p",
        text(LT_NAME, name_size, f"{FONT}:bold", bottom - role_size - 10 - name_size - 8),
        text(LT_ROLE, role_size, f"{FONT}", bottom - role_size - 6),
    ])
    return ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re", "-i", str(hall),
            "-vf", vf, "-c:v", "libx264", "-preset", PRESET, "-tune", "zerolatency",
            "-profile:v", PROFILE, "-b:v", f"{VIDEO_KBPS}k", "-minrate", f"{VIDEO_KBPS}k",
            "-maxrate", f"{VIDEO_KBPS}k", "-bufsize", f"{VIDEO_KBPS}k", "-g", str(KEYINT),
            "-keyint_min", str(KEYINT), "-sc_threshold", "0",
            "-x264-params", "nal-hrd=cbr:force-cfr=1",
            "-c:a", "aac", "-b:a", str(AUDIO_BPS), "-ar", str(AUDIO_RATE),
            "-ac", str(AUDIO_CHANNELS), "-f", "flv", url]


COMMANDS = {"ceremonyd": ceremonyd_cmd, "gst-launch": gst_cmd, "ffmpeg": ffmpeg_cmd}


# ---------------------------------------------------------------- one run


def probe(path, log_dir, name, publishing_s):
    """What nginx recorded: (ok, description); `publishing_s`, how long it was published."""
    if not path.exists() or path.stat().st_size == 0:
        return False, "nothing recorded"
    r = run(["ffprobe", "-v", "error", "-count_packets", "-show_entries",
             "stream=codec_type,codec_name,profile,width,height,nb_read_packets,sample_rate",
             "-show_entries", "format=duration", "-of", "json", str(path)],
            timeout=120, log=log_dir / f"{name}.ffprobe.log")
    try:
        info = json.loads(r.stdout)
    except ValueError:
        return False, "ffprobe failed: " + r.stderr.decode(errors="replace")[-300:]
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    duration = float(info.get("format", {}).get("duration", 0) or 0)
    if not video or not audio:
        return False, "no video or no audio stream"
    v, a = video[0], audio[0]
    frames = int(v.get("nb_read_packets", 0) or 0)
    desc = (f"{v.get('codec_name')} {v.get('profile')} {v.get('width')}x{v.get('height')}, "
            f"{frames} frames in {duration:.1f} s, {a.get('codec_name')} {a.get('sample_rate')} Hz")
    ok = (v.get("codec_name") == "h264" and v.get("width") == WIDTH and
          v.get("height") == HEIGHT and a.get("codec_name") == "aac" and duration > 0 and
          abs(frames / duration - FPS) < 0.1 * FPS)
    return ok, desc + f" (published for {publishing_s:.1f} s)"


def measure(args, nginx, work, hall, contender, round_no):
    name = f"{contender.replace(':', '-')}-r{round_no}"
    run_dir = work / name
    run_dir.mkdir()
    url = nginx.url(name.replace("-", "_"))
    stream = name.replace("-", "_")
    if contender in COMMANDS:
        argv = COMMANDS[contender](args, work, hall, url, run_dir)
    else:  # ceremonyd:<dir> of --also-build
        argv = ceremonyd_cmd(args, work, hall, url, run_dir, args.also_build)
    (run_dir / "command.txt").write_text("\n".join(argv) + "\n")
    log = run_dir / "output.log"
    result = {"contender": contender, "round": round_no, "valid": False}
    p = start(argv, log, cwd=run_dir)
    try:
        if not wait_until(lambda: nginx.published(stream) or p.poll() is not None, 30):
            result["why"] = "did not publish within 30 s"
            return result
        if p.poll() is not None:
            result["why"] = f"exited with {p.returncode} before publishing"
            return result
        published_at = time.monotonic()
        # Warm-up from the first publish, then the measured interval.
        time.sleep(args.warmup)
        if p.poll() is not None:
            result["why"] = f"exited with {p.returncode} during the warm-up"
            return result
        progress = FlvProgress(nginx.recording(stream))
        threads0 = thread_seconds(p.pid)
        cpu0, busy0, t0 = cpu_seconds(p.pid), machine_busy_seconds(), time.monotonic()
        at0 = progress.update()
        deadline = t0 + args.seconds
        while time.monotonic() < deadline and p.poll() is None:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        if p.poll() is not None:
            result["why"] = f"exited with {p.returncode} during the measurement"
            return result
        cpu1, busy1, t1 = cpu_seconds(p.pid), machine_busy_seconds(), time.monotonic()
        at1 = progress.update()
        wall = t1 - t0
        if at0 is None or at1 is None or at1[0] <= at0[0]:
            result["why"] = "nginx recorded no progress during the measurement"
            return result
        # Per second of programme delivered (stream time), not of wall time: a contender
        # that falls behind real time on a busy machine must not look cheaper for it.
        programme = at1[0] - at0[0]
        result.update(cpu_per_s=(cpu1 - cpu0) / programme, cpu_per_wall_s=(cpu1 - cpu0) / wall,
                      speed=programme / wall, fps=(at1[1] - at0[1]) / wall)
        result["threads"] = thread_profile(threads0, thread_seconds(p.pid), wall)
        result.update(wall=wall,
                      others_per_s=max(0.0, (busy1 - busy0 - (cpu1 - cpu0)) / wall),
                      hwm_mib=status_kb(p.pid, "VmHWM") / 1024,
                      rss_mib=status_kb(p.pid, "VmRSS") / 1024)
    finally:
        stopped_at = time.monotonic()
        stop(p)
    wait_until(lambda: nginx.ended(stream), 10)
    ok, desc = probe(nginx.recording(stream), run_dir, name, stopped_at - published_at)
    result["received"] = desc
    # A busy machine may slow a contender down a little (ffmpeg's -re only caps its pace);
    # much slower, or faster than real time, is not a live programme.
    if ok and 0.75 <= result["speed"] <= 1.25:
        result["valid"] = True
    elif ok:
        result["why"] = (f"not live: {result['speed']:.2f}x real time during the measurement "
                         f"({result['fps']:.1f} fps)")
    else:
        result["why"] = "nginx did not get 1280x720 H.264 + AAC at 30 fps: " + desc
    if not args.keep:
        try:
            nginx.recording(stream).unlink()
        except OSError:
            pass
    return result


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, default=HERE.parents[1] / "build",
                    help="build directory with ceremonyd (default: build)")
    ap.add_argument("--seconds", type=int, default=60, help="measured seconds per run (60)")
    ap.add_argument("--warmup", type=int, default=10, help="seconds skipped after publish (10)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    ap.add_argument("--only", default=",".join(CONTENDERS),
                    help="comma-separated contenders (default: all three)")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) /
                    "ceremonyd-bench", help="where the generated hall feed is kept")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir and recordings")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--also-build", type=Path, metavar="DIR",
                    help="also measure DIR/ceremonyd, as contender ceremonyd:DIR (a change "
                    "against the build it changes)")
    ap.add_argument("--threads", action="store_true",
                    help="also print where each contender spends its CPU, thread by thread")
    args = ap.parse_args()
    args.build = args.build.resolve()
    contenders = [c for c in args.only.split(",") if c]
    if any(c not in CONTENDERS for c in contenders) or not contenders:
        ap.error(f"--only takes some of {','.join(CONTENDERS)}")
    if not (1 <= args.rounds <= 20 and 1 <= args.seconds <= 3600 and 0 <= args.warmup <= 300):
        ap.error("--rounds 1..20, --seconds 1..3600, --warmup 0..300")
    if args.also_build:
        args.also_build = args.also_build.resolve()
        contenders.insert(1, f"ceremonyd:{args.also_build.name}")
    missing = [t for t in (NGINX, RTMP_MODULE, args.build / "ceremonyd",
                           (args.also_build or args.build) / "ceremonyd")
               if not Path(t).exists()]
    missing += [t for t in ("ffmpeg", "ffprobe", "gst-launch-1.0") if not shutil.which(t)]
    if missing:
        print("media bench: missing " + ", ".join(map(str, missing)), file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    work = Path(tempfile.mkdtemp(prefix="ceremonyd-media-bench-"))
    failed = False
    try:
        # The feed must outlast start-up + warm-up + measurement: none of them loops it.
        length = -(-(args.warmup + args.seconds + 30) // 30) * 30
        hall = hall_file(args.cache, max(120, length), work)  # one file for quick and full runs
        nginx = Nginx(work)
        print(f"   {os.cpu_count()} CPUs; {args.rounds} round(s) of {args.seconds} s after "
              f"{args.warmup} s warm-up; hall feed {hall.name}; work dir {work}", flush=True)
        results = []
        for r in range(1, args.rounds + 1):
            shift = (r - 1) % len(contenders)
            for c in contenders[shift:] + contenders[:shift]:
                res = measure(args, nginx, work, hall, c, r)
                results.append(res)
                if res["valid"]:
                    print(f"   round {r} {c:<10} {res['cpu_per_s']:.3f} CPU-s/s  "
                          f"({res['speed']:.3f}x real time, {res['fps']:.1f} fps)  "
                          f"peak RSS {res['hwm_mib']:.0f} MiB  (others on the machine "
                          f"{res['others_per_s']:.2f} CPU-s/s; received {res['received']})",
                          flush=True)
                    if args.threads:
                        print("      threads (CPU-s/s): " + ", ".join(
                            f"{n} {v:.3f}" for n, v in res["threads"] if v >= 0.005))
                else:
                    print(f"   round {r} {c:<10} INVALID: {res.get('why')}\n"
                          f"{tail(work / (c.replace(':', '-') + f'-r{r}') / 'output.log')}",
                          flush=True)
        stop(nginx.proc)

        med = {}
        print(f"\n   median over valid rounds ({args.seconds} s each; CPU seconds per second "
              f"of programme delivered, 1.0 = one core):")
        for c in contenders:
            ok = [x for x in results if x["contender"] == c and x["valid"]]
            if not ok:
                print(f"   {c:<10} no valid round")
                failed = True  # an invalid round alone does not fail the bench: no round does
                continue
            med[c] = statistics.median(x["cpu_per_s"] for x in ok)
            hwm = statistics.median(x["hwm_mib"] for x in ok)
            spread = ", ".join(f"{x['cpu_per_s']:.3f}" for x in ok)
            print(f"   {c:<10} {med[c]:.3f} CPU-s/s  (rounds: {spread})  peak RSS {hwm:.0f} MiB")
        for ours in [c for c in contenders if c.startswith("ceremonyd") and c in med]:
            for peer, target in (("gst-launch", 1.05), ("ffmpeg", 1.0)):
                if peer in med:
                    ratio = med[ours] / med[peer]
                    verdict = "meets" if ratio <= target else "MISSES"
                    print(f"   {ours} / {peer:<10} {ratio:.3f}  ({verdict} the target "
                          f"<= {target:.2f})")
        if args.json:
            args.json.write_text(json.dumps({"seconds": args.seconds, "warmup": args.warmup,
                                             "rounds": results, "medians": med}, indent=2))
    except Exception as e:  # report, clean up, fail
        print(f"media bench: {e}", file=sys.stderr)
        failed = True
    finally:
        stop_all()
        if args.keep or failed:
            print(f"   kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
