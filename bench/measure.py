"""Timing of external commands and the table the bench prints (Python 3 standard library only).

Wall time is taken with a monotonic clock around the command (sub-millisecond resolution);
CPU time (user + sys) and peak RSS come from GNU time (`/usr/bin/time -f`), which counts
every process the command waited for. Peak RSS of a pipeline is that of its largest process.
"""

import os
import statistics
import subprocess
import tempfile
import time

GNU_TIME = "/usr/bin/time"


class Failed(Exception):
    """A measured command exited non-zero; carries its last stderr lines."""


class Sample:
    """One run: wall seconds, CPU seconds (user + sys), peak RSS in MiB."""

    def __init__(self, wall, cpu, rss_mb):
        self.wall = wall
        self.cpu = cpu
        self.rss_mb = rss_mb

    def __add__(self, other):
        # Steps run one after the other: times add, memory peaks do not.
        return Sample(self.wall + other.wall, self.cpu + other.cpu, max(self.rss_mb, other.rss_mb))


def run_timed(cmd, cwd=None, env=None):
    """Run `cmd` (a list) under GNU time; return a Sample or raise Failed."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [GNU_TIME, "-f", "%U %S %M", "-o", tf.name, "--"] + list(cmd)
        start = time.perf_counter()
        p = subprocess.run(full, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            err = p.stderr.decode("utf-8", "replace").strip().splitlines()
            raise Failed("exit %d: %s" % (p.returncode, " | ".join(err[-4:]) or "(no stderr)"))
        fields = tf.read().strip().splitlines()[-1].split()
    user, sys_, rss_kb = float(fields[0]), float(fields[1]), int(fields[2])
    return Sample(wall, user + sys_, rss_kb / 1024.0)


def median(samples):
    """Median of each figure separately over several runs."""
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mb for s in samples),
    )


class Row:
    """One line of the table: a task, the tool that did it, its median figures, its peer."""

    def __init__(self, section, task, tool, stats=None, peer=None, note="", error=None):
        self.section = section
        self.task = task
        self.tool = tool
        self.stats = stats
        self.peer = peer  # another Row
        self.note = note
        self.error = error

    def as_dict(self):
        d = {"section": self.section, "task": self.task, "tool": self.tool, "note": self.note}
        if self.stats:
            d.update(wall_s=round(self.stats.wall, 4), cpu_s=round(self.stats.cpu, 3), rss_mb=round(self.stats.rss_mb, 1))
        if self.error:
            d["error"] = self.error
        if self.peer is not None:
            d["peer"] = self.peer.tool
            r = ratios(self, self.peer)
            if r:
                d["ratio_wall"], d["ratio_cpu"], d["ratio_rss"] = r
        return d


def ratios(row, peer):
    if not row.stats or not peer.stats:
        return None
    a, b = row.stats, peer.stats

    def q(x, y):
        return round(x / y, 2) if y > 0 else None

    return q(a.wall, b.wall), q(a.cpu, b.cpu), q(a.rss_mb, b.rss_mb)


def fmt_s(x):
    return "%.3f" % x if x < 1 else "%.2f" % x


def table(rows):
    """A Markdown table; ratios are this row / its peer (below 1 is better)."""
    head = ["payload", "task", "tool", "wall s", "CPU s", "peak RSS MB", "vs peer: wall / CPU / RSS", "peer"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        if r.stats:
            cells = [fmt_s(r.stats.wall), fmt_s(r.stats.cpu), "%.0f" % r.stats.rss_mb]
        else:
            cells = ["n/a", "n/a", "n/a"]
        rr = ratios(r, r.peer) if r.peer is not None else None
        ratio = " / ".join("%.2f" % x if x is not None else "-" for x in rr) if rr else ""
        note = r.note
        if r.error:
            note = (note + " " if note else "") + "FAILED: " + r.error[:160]
        tool = r.tool + ((" (" + note + ")") if note else "")
        lines.append(
            "| " + " | ".join([r.section, r.task, tool] + cells + [ratio, r.peer.tool if r.peer is not None else ""]) + " |"
        )
    return "\n".join(lines)


def scaling_table(points):
    """points: list of (label, MiB, files, aero Row, peer Row) in increasing size."""
    head = ["payload", "MiB", "files", "aero-recipe wall s", "s per 100 MiB", "pipeline wall s", "s per 100 MiB", "aero time growth / size growth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    prev = None
    for label, mib, files, aero, peer in points:
        aw = aero.stats.wall if aero.stats else None
        pw = peer.stats.wall if peer.stats else None
        growth = ""
        if prev and aw and prev[1]:
            growth = "%.2f" % ((aw / prev[1]) / (mib / prev[0]))
        lines.append(
            "| %s | %.0f | %d | %s | %s | %s | %s | %s |"
            % (
                label,
                mib,
                files,
                fmt_s(aw) if aw else "n/a",
                ("%.3f" % (aw / mib * 100)) if aw else "n/a",
                fmt_s(pw) if pw else "n/a",
                ("%.3f" % (pw / mib * 100)) if pw else "n/a",
                growth,
            )
        )
        prev = (mib, aw)
    return "\n".join(lines)


def drop_tree(path):
    """Remove a directory tree or file if present (outputs between runs; never timed)."""
    if os.path.isdir(path):
        import shutil

        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
