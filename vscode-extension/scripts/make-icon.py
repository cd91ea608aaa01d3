"""Draws images/icon.png (128x128): three connected nodes on a rounded square.

Pure standard library (zlib + struct), so it runs anywhere: python3 scripts/make-icon.py
"""

import math
import struct
import zlib
from pathlib import Path

SIZE = 128
BG = (30, 58, 95)
EDGE = (200, 215, 230)
NODES = [((34, 40), (255, 159, 28)), ((94, 64), (46, 196, 182)), ((38, 94), (255, 255, 255))]
LINKS = [(0, 1), (2, 1)]


def inside_rounded(x: float, y: float, r: float = 22) -> bool:
    cx = min(max(x, r), SIZE - r)
    cy = min(max(y, r), SIZE - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def seg_dist(px: float, py: float, a: tuple[int, int], b: tuple[int, int]) -> float:
    ax, ay = a
    bx, by = b
    t = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)
    t = min(1.0, max(0.0, t))
    return math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay)))


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    # 4x4 supersampling for smooth edges.
    acc = [0.0, 0.0, 0.0, 0.0]
    for sx in range(4):
        for sy in range(4):
            px, py = x + (sx + 0.5) / 4, y + (sy + 0.5) / 4
            color: tuple[int, int, int] | None = None
            if inside_rounded(px, py):
                color = BG
                if any(seg_dist(px, py, NODES[a][0], NODES[b][0]) <= 4 for a, b in LINKS):
                    color = EDGE
                for (cx, cy), c in NODES:
                    if math.hypot(px - cx, py - cy) <= 15:
                        color = c
            if color is not None:
                acc[0] += color[0]
                acc[1] += color[1]
                acc[2] += color[2]
                acc[3] += 255
    n = 16
    alpha = acc[3] / n
    if alpha == 0:
        return (0, 0, 0, 0)
    scale = 255 / alpha
    return (
        round(acc[0] / n * scale),
        round(acc[1] / n * scale),
        round(acc[2] / n * scale),
        round(alpha),
    )


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\0" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


rows = [bytes(c for x in range(SIZE) for c in pixel(x, y)) for y in range(SIZE)]
out = Path(__file__).resolve().parent.parent / "images" / "icon.png"
out.write_bytes(png(SIZE, SIZE, rows))
print(f"{out}: {out.stat().st_size} bytes")
