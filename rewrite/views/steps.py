"""Layouts that follow the picture before: the steps of a rewrite drawn with
the surviving nodes where they were (see `draw.Strip`).

`layout` lays a diagram out afresh; `follow` takes that fresh layout and the
previous picture's, keeps every node that survived the step (same id, same
tensor) in its old place, puts new nodes where what they replace was, and
turns open legs a step opened (a derivative's hole) into the removed node's
place.
"""
from __future__ import annotations

import math

from ..core.diagram import BOUNDARY, Diagram
from .layout import (LEG, NODE_HALF, SPACING, Extents, Layout, Point, free_ports, gap_dirs, simple_graph,
                     Part, set_leg)

HOLE = 0.55  # radius of the gap a derivative's open legs leave where the tensor was


def follow(d: Diagram, fresh: Layout, previous: Layout, ext: Extents) -> Layout:
    """The layout of the next step of a rewrite: every node that survives it
    (same id, same tensor) stays where it was; a new node takes the place of
    what it replaces (the middle of its surviving neighbours, else of the
    removed nodes); open legs keep their directions where their node and name
    survive, else leave in the widest free gap.  A reader then sees what
    disappeared instead of a picture laid out afresh."""
    kept = {v for v in d.nodes if previous.titles.get(v) == fresh.titles[v] and v in previous.nodes}
    if not kept:
        return fresh
    nodes = {v: previous.nodes[v] for v in kept}
    gone = [p for v, p in previous.nodes.items() if v not in kept]
    g = simple_graph(d)
    for v in sorted(set(d.nodes) - kept):
        near = [nodes[w] for w in g[v] if isinstance(w, int) and w in nodes]
        spot = near or gone or [fresh.nodes[v]]
        x, y = sum(p[0] for p in spot) / len(spot), sum(p[1] for p in spot) / len(spot)
        while any(math.dist((x, y), p) < 2 * NODE_HALF for p in nodes.values()):
            x += SPACING / 2
        nodes[v] = (x, y)
    rows = _renumbered({v: previous.rows[v] for v in kept if v in previous.rows}, nodes)
    part = Part(nodes=nodes)
    old_dirs = {name: previous.free_dirs[k] for k, name in enumerate(previous.leg_names)
                if k in previous.free_dirs}
    for v in sorted(d.nodes):
        frees = [k for _, k in free_ports(d, v)]
        if not frees:
            continue
        x, y = nodes[v]
        wires = [math.atan2(nodes[w][1] - y, nodes[w][0] - x) for w in g[v] if isinstance(w, int) and w != v]
        gaps = iter(gap_dirs(wires, len(frees), math.pi / 2))
        for k in frees:
            u = old_dirs.get(d.free[k]) if v in kept else None
            hole = min(gone, key=lambda p: (math.dist(p, (x, y)), p)) if gone and v in kept and not u else None
            if hole is not None and math.dist(hole, (x, y)) > 1e-9:
                # A leg the step opened (a derivative's hole): it runs into the
                # removed node's place and ends there.
                far = math.dist(hole, (x, y))
                part.dirs[k] = ((hole[0] - x) / far, (hole[1] - y) / far)
                stop = max(far - HOLE, LEG / 2)
                part.ends[k] = (x + part.dirs[k][0] * stop, y + part.dirs[k][1] * stop)
                continue
            a = math.atan2(u[1], u[0]) if u else next(gaps)
            set_leg(part, k, v, a, ext)
    for (u, i), (w, j) in d.wires():  # bare lines keep the fresh layout's ends
        if u == BOUNDARY and w == BOUNDARY:
            for k in (i, j):
                part.ends[k], part.dirs[k] = fresh.free_ends[k], fresh.free_dirs[k]
    return Layout(part.nodes, part.ends, part.dirs, rows,
                  {v: previous.arc_side[v] for v in rows if v in previous.arc_side},
                  dict(fresh.extents), dict(fresh.titles), fresh.leg_names)


def _renumbered(rows: dict[int, tuple[int, int]], nodes: dict[int, Point]) -> dict[int, tuple[int, int]]:
    """Rows of the surviving nodes, their places counted again from the left,
    so that only a node still between two others makes their wire an arc."""
    out: dict[int, tuple[int, int]] = {}
    for rid in sorted({r for r, _ in rows.values()}):
        members = sorted((v for v, (r, _) in rows.items() if r == rid), key=lambda v: (nodes[v][0], v))
        out.update({v: (rid, pos) for pos, v in enumerate(members)})
    return out
