"""Encoders ("sinks") that take RGBA frames one at a time: PNG, GIF (Pillow), MP4 (ffmpeg).

Each has ``add(rgba)`` (an ``(H, W, 4)`` uint8 array, only valid during the
call), ``close()`` (finish the file) and ``abort()`` (stop, release
resources; the caller deletes the file).
"""

from __future__ import annotations

import subprocess
import tempfile

import numpy as np


# --------------------------------------------------------------------------
class PngSink:
    def __init__(self, path: str):
        self.path = path

    def add(self, rgba: np.ndarray) -> None:

        _image_rgb(rgba).save(self.path, format="PNG")

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class GifSink:
    """Streams palette frames to disk: one global palette, delta rectangles.

    The palette is fixed (median cut, 255 colours, of a reference image:
    normally the first and the last frame stacked), so every frame maps to
    the same colours without dithering.  Each frame after the first stores
    only the rectangle that changed, with unchanged pixels set to the
    transparent index 255 (GIF disposal 1 keeps the previous frame under
    them), which LZW compresses to almost nothing.  Identical frames are
    kept as 1-pixel frames, so the frame count is exact.
    """

    TRANSPARENT = 255

    def __init__(self, path: str, fps: float):
        self.fp = open(path, "wb")  # noqa: SIM115 - closed in close()/abort()
        self.duration = max(10, int(round(1000.0 / fps)))  # GIF keeps centiseconds
        self.palette = None
        self.prev = None

    def set_palette(self, rgba_images, key_colours=()) -> None:
        """Median cut of the reference images, plus ``key_colours`` kept exactly."""
        from PIL import Image

        keys = [tuple(int(v) for v in c[:3]) for c in key_colours][:64]
        ref = np.concatenate([np.asarray(_image_rgb(im)) for im in rgba_images], axis=0)
        q = Image.fromarray(ref).quantize(
            colors=self.TRANSPARENT - len(keys), method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE,
        )  # fmt: skip
        entries = (q.getpalette() or [0, 0, 0])[: 3 * (self.TRANSPARENT - len(keys))]
        for c in keys:
            entries += list(c)
        self.palette = Image.new("P", (1, 1))
        self.palette.putpalette(entries)

    def add(self, rgba: np.ndarray) -> None:
        from PIL import GifImagePlugin, Image

        if self.palette is None:
            self.set_palette([rgba])
        frame = _image_rgb(rgba).quantize(palette=self.palette, dither=Image.Dither.NONE)
        idx = np.asarray(frame)
        h, w = idx.shape
        info = {"duration": self.duration, "disposal": 1}
        if self.prev is None:
            # global header: the palette padded to 256 entries (255 = transparent)
            head = frame.copy()
            pal = head.getpalette() or []
            head.putpalette(
                pal[: 3 * self.TRANSPARENT] + [0] * (768 - len(pal[: 3 * self.TRANSPARENT]))
            )
            header, _ = GifImagePlugin.getheader(head, info={"loop": 0, **info})
            self.fp.write(b"".join(header))
            part, offset = Image.fromarray(np.ascontiguousarray(idx)), (0, 0)
        else:
            changed = idx != self.prev
            rows = np.flatnonzero(changed.any(axis=1))
            if rows.size:
                cols = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
                y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
            else:
                y0, y1, x0, x1 = 0, 1, 0, 1  # identical frame: one transparent pixel
            sub = idx[y0:y1, x0:x1].copy()
            sub[~changed[y0:y1, x0:x1]] = self.TRANSPARENT
            part, offset = Image.fromarray(sub), (x0, y0)
            info["transparency"] = self.TRANSPARENT
        self.prev = idx
        # an "L" image holds the palette indices as they are (no palette needed)
        for chunk in GifImagePlugin.getdata(part, offset=offset, **info):
            self.fp.write(chunk)

    def close(self) -> None:
        self.fp.write(b";")
        self.fp.close()

    def abort(self) -> None:
        self.fp.close()


class Mp4Sink:
    """Pipes raw RGBA frames to ffmpeg (libx264, yuv420p; odd sizes padded by 1 px)."""

    def __init__(self, path: str, fps: float, exe: str, size: tuple[int, int]):
        self.err = tempfile.TemporaryFile()
        w, h = size
        cmd = [
            exe, "-y", "-loglevel", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-",
            "-an", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-vcodec", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", path,
        ]  # fmt: skip
        self.size = size
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.err
        )

    def _fail(self, what: str) -> RuntimeError:
        self.err.seek(0)
        tail = self.err.read().decode(errors="replace").strip()[-2000:]
        return RuntimeError(f"ffmpeg {what}: {tail or '(no message)'}")

    def add(self, rgba: np.ndarray) -> None:
        if (rgba.shape[1], rgba.shape[0]) != self.size:
            raise RuntimeError(f"frame size changed from {self.size} to {rgba.shape[1::-1]}")
        try:
            self.proc.stdin.write(memoryview(np.ascontiguousarray(rgba)).cast("B"))
        except (BrokenPipeError, OSError):
            self.proc.wait()
            raise self._fail(f"stopped with status {self.proc.returncode}") from None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        rc = self.proc.wait()
        try:
            if rc != 0:
                raise self._fail(f"failed with status {rc}")
        finally:
            self.err.close()

    def abort(self) -> None:
        self.proc.kill()
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait()
        self.err.close()


def _image_rgb(rgba: np.ndarray):
    from PIL import Image

    h, w = rgba.shape[:2]
    return Image.frombuffer(
        "RGBA", (w, h), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1
    ).convert("RGB")
