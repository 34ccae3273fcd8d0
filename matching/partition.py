"""Split a very large pool into blocks that keep likely partners together.

Recursive split on the top principal component of each member's features: the
rarity-weighted topic vector (what the topic term rewards) plus a time-of-day
feature from their availability (sync partners need overlap). Stances are left
out on purpose: the score rewards *different* stances. Members joined by mutual
wants are projected by their group's mean and never cut apart.
"""

from __future__ import annotations

import math

import numpy as np

from matching.scoring import SLOTS_PER_WEEK, Features

SLOTS_PER_DAY = SLOTS_PER_WEEK // 7


def _mutual_groups(f: Features, nodes: np.ndarray) -> np.ndarray:
    """Group id per node: mutual-want pairs (transitively) share one."""
    parent = np.arange(len(nodes))
    pos = np.full(f.n, -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    r, c, v = f.wants.gather(nodes, pos)
    for a, b in zip(r[v == 3].tolist(), c[v == 3].tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out = parent.astype(np.int64)
    for x in np.flatnonzero(parent != np.arange(len(nodes))).tolist():
        out[x] = root(x)
    return out


def _features(f: Features, nodes: np.ndarray) -> np.ndarray:
    topics = f.topics_weighted[nodes].astype(np.float64)
    scale = float(np.sqrt((topics**2).sum(axis=1)).mean()) or 1.0
    slots = f.slots[nodes].astype(np.float64)
    angle = 2 * math.pi * (np.arange(SLOTS_PER_WEEK) % SLOTS_PER_DAY) / SLOTS_PER_DAY
    clock = np.stack([slots @ np.cos(angle), slots @ np.sin(angle)], axis=1)
    norm = np.sqrt((clock**2).sum(axis=1, keepdims=True))
    clock = np.where(norm > 0, clock / np.maximum(norm, 1e-12), 0.0) * scale
    x = np.concatenate([topics, clock], axis=1)
    # Direction, not size: members with many topics are not a cluster of their own.
    return x / np.maximum(np.sqrt((x**2).sum(axis=1, keepdims=True)), 1e-12)


def partition(f: Features, nodes: np.ndarray, max_size: int) -> list[np.ndarray]:
    """Blocks of at most about `max_size` nodes (global indices), deterministic."""
    if len(nodes) <= max_size:
        return [nodes]
    x = _features(f, nodes)
    groups = _mutual_groups(f, nodes)
    # Project each mutual-want group by its mean so its members stay adjacent.
    # (np.add.at is slow on 100,000 x 100: sum each group's sorted run instead)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sums = np.zeros_like(x)
    sums[sorted_groups[starts]] = np.add.reduceat(x[order], starts, axis=0)
    sizes = np.bincount(groups, minlength=len(nodes)).astype(np.float64)
    x = sums[groups] / sizes[groups][:, None]

    blocks: list[np.ndarray] = []

    def split(local: np.ndarray) -> None:
        parts = math.ceil(len(local) / max_size)
        if parts <= 1:
            blocks.append(nodes[np.sort(local)])
            return
        sub = x[local] - x[local].mean(axis=0)
        _, vectors = np.linalg.eigh(sub.T @ sub)
        direction = vectors[:, -1]
        # fix the eigenvector's sign so the split is deterministic
        if direction[np.argmax(np.abs(direction))] < 0:
            direction = -direction
        projection = sub @ direction
        order = local[np.lexsort((local, groups[local], projection))]
        cut = round(len(order) * (parts // 2) / parts)
        g = groups[order]
        while 0 < cut < len(order) and g[cut - 1] == g[cut]:
            cut += 1
        if cut in (0, len(order)):
            blocks.append(nodes[np.sort(local)])
            return
        split(order[:cut])
        split(order[cut:])

    split(np.arange(len(nodes)))
    return blocks
