#!/usr/bin/env python3
"""A national event's connection points: every commune-level unit of the 34 provinces, for
the tests and benchmarks at national scale.

    tests/tools/national_points.py OUT_DIR [--points 3321] [--port PORT]
        [--api 127.0.0.1:8080] [--hang-share 0] [--seed 1]

writes into OUT_DIR (0700; every file 0600):

  points.csv      the points CSV as a province's staff keep it (daemon/health/PointsCsv.h),
                  with a `group` column: the province. Kinds xã / phường / đặc khu; probes
                  http (half), tcp (a quarter) and heartbeat (a quarter); every point on its
                  own loopback address 127.64.0.1 onwards (127.64.0.0/10: no test or demo
                  uses it), all on one port.
  tokens/ID       a random token for each heartbeat point
  simulator.spec  tests/tools/point_simulator's spec for the same points: an endpoint per
                  http/tcp point (healthy, or `hang` for about --hang-share of them:
                  http points, picked evenly), a heartbeat sender per heartbeat point to --api every 5 s

The 34 provinces and cities are the real ones since 1 July 2025, and the 3,321 communes are
shared among them in about their real proportions; the commune names are made up («Xã Hòa
Bình 12») but Vietnamese with diacritics, so search without diacritics has something to do.
--points other than 3321 scales every province's share (10,000 for the benchmarks).
"""
import argparse
import os
import random
import secrets
import socket
from pathlib import Path

# (province, communes at a national event): the real 34 units, 3,321 communes in all.
PROVINCES = [
    ("Hà Nội", 126), ("Thành phố Hồ Chí Minh", 168), ("Hải Phòng", 114), ("Đà Nẵng", 94),
    ("Huế", 40), ("Cần Thơ", 103), ("Tuyên Quang", 124), ("Cao Bằng", 56), ("Lai Châu", 38),
    ("Lào Cai", 99), ("Thái Nguyên", 92), ("Điện Biên", 45), ("Lạng Sơn", 65),
    ("Sơn La", 75), ("Phú Thọ", 148), ("Bắc Ninh", 99), ("Quảng Ninh", 54),
    ("Hưng Yên", 104), ("Ninh Bình", 129), ("Thanh Hóa", 166), ("Nghệ An", 130),
    ("Hà Tĩnh", 69), ("Quảng Trị", 78), ("Quảng Ngãi", 96), ("Gia Lai", 135),
    ("Khánh Hòa", 65), ("Lâm Đồng", 124), ("Đắk Lắk", 102), ("Đồng Nai", 95),
    ("Tây Ninh", 96), ("Vĩnh Long", 124), ("Đồng Tháp", 102), ("An Giang", 102),
    ("Cà Mau", 64),
]
NAMES = ["Hòa Bình", "Tân Phú", "Phước Sơn", "Nghĩa Hành", "Đức Thắng", "Quang Trung",
         "Thạch Thất", "Long Điền", "An Nhơn", "Hưng Đạo", "Trường Xuân", "Ea Kar",
         "Sơn Tịnh", "Bình Minh", "Đông Hải", "Vĩnh Thạnh", "Lộc Ninh", "Cẩm Thủy",
         "Ia Grai", "Mường Tè", "Hải Châu", "Tiên Lữ", "Yên Định", "Kỳ Anh"]
BLOCK = 64 << 16  # 127.64.0.0
HEARTBEAT_EVERY_MS = 5000


def slug(text):
    table = str.maketrans("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữự"
                          "ỳýỷỹỵđ", "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuu"
                          "uuuuuuyyyyyd")
    return "-".join(text.lower().translate(table).split())


def address(index):
    n = BLOCK + index + 1 + index // 254 * 2  # skip .0 and .255 of each /24
    return f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--points", type=int, default=3321)
    parser.add_argument("--port", type=int, default=0, help="the points' port (0: a free one)")
    parser.add_argument("--api", default="127.0.0.1:8080", help="the daemon's API, for heartbeats")
    parser.add_argument("--hang-share", type=float, default=0.0,
                        help="share of the http/tcp points that accept and never answer")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.umask(0o077)
    rng = random.Random(args.seed)
    out = args.out
    (out / "tokens").mkdir(parents=True, exist_ok=True)
    port = args.port or free_port(address(0))

    total = sum(n for _, n in PROVINCES)
    shares = [max(1, round(n * args.points / total)) for _, n in PROVINCES]
    shares[0] += args.points - sum(shares)  # rounding: the capital takes the difference

    rows = ["id,name,kind,group,contact_name,contact_phone,probe_kind,url_or_host,token_file"]
    spec = [f"# {args.points} points of a national event, from national_points.py"]
    index = 0
    # Only http points hang (a tcp probe only connects, so a point that accepts and never
    # answers is up to it): every k-th http point, so that about --hang-share of the
    # probed (http and tcp) points hang.
    http_points = 0
    hang_every = max(1, round(2 / 3 / args.hang_share)) if args.hang_share > 0 else 0
    for (province, _), count in zip(PROVINCES, shares):
        for i in range(count):
            kind = "phường" if i % 3 == 0 else "xã"
            if province in ("Quảng Ngãi", "Khánh Hòa", "Quảng Ninh") and i == count - 1:
                kind = "đặc khu"
            label = {"xã": "Xã", "phường": "Phường", "đặc khu": "Đặc khu"}[kind]
            name = f"{label} {NAMES[(index * 7) % len(NAMES)]} {i // len(NAMES) + 1}"
            pid = f"{slug(province)}-{i + 1:03d}"
            host = address(index)
            phone = f"09{rng.randrange(10**8):08d}"
            contact = f"Cán bộ kỹ thuật {name}"
            which = index % 4
            if which == 3:
                probe, target = "heartbeat", ""
                token = secrets.token_hex(16)
                write_private(out / "tokens" / pid, token + "\n")
                token_file = f"tokens/{pid}"
                spec.append(f"heartbeat {pid} http://{args.api}/api/points/{pid}/heartbeat "
                            f"{HEARTBEAT_EVERY_MS} 0 {token}")
            else:
                probe = "tcp" if which == 2 else "http"
                target = f"{host}:{port}" if probe == "tcp" else f"http://{host}:{port}/health"
                token_file = ""
                hang = probe == "http" and hang_every and http_points % hang_every == hang_every - 1
                http_points += probe == "http"
                spec.append(f"endpoint {pid} {host}:{port} {'hang' if hang else 'healthy'}")
            rows.append(f'{pid},{name},{kind},{province},"{contact}",{phone},{probe},{target},'
                        f"{token_file}")
            index += 1
    write_private(out / "points.csv", "\n".join(rows) + "\n")
    write_private(out / "simulator.spec", "\n".join(spec) + "\n")
    os.chmod(out, 0o700)
    print(f"{index} points, port {port}: {out / 'points.csv'}")


if __name__ == "__main__":
    main()
