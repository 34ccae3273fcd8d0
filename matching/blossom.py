"""Maximum-weight matching on a general graph that returns its dual values.

`max_weight_matching(n, u, v, w)` is Edmonds' blossom algorithm in the primal-dual
form of Galil (1986), following Joris van Rantwijk's `mwmatching.py` (the
reference that networkx and rustworkx port), compiled with numba. Unlike those,
it hands back the optimal dual solution, which makes the result checkable by
anyone: with integer weights every dual is an integer (vertex duals are kept
doubled), and

    2 w_ij <= y2_i + y2_j + 2 * sum(z_B for blossoms B containing i and j)

for every edge, with equality on matched edges, y2_i == 0 on unmatched vertices
and z_B > 0 only on blossoms holding (|B| - 1) / 2 matched edges. Then
`dual_objective / 2 = (sum y2 + 2 * sum z_B * (|B| - 1) / 2) / 2` equals the
matching's weight, so it is a maximum (linear-programming duality).

Why numba: rustworkx exposes no duals, and a compiled loop is needed to beat it
(pure Python/NumPy blossom is ~50x slower). numba installs as a wheel with pip on
every platform the project runs on (no compiler on the user's machine), and with
`cache=True` compiles once per machine (about a minute), then loads in ~0.4 s.
What makes it faster than rustworkx on the candidate graphs (9x at 2,000 members,
36x at 5,000, same totals; docs/matching.md): arrays instead of Python lists and
dicts, a greedy warm start that matches about two thirds of the vertices with
feasible duals, at most 64 trees grown per stage instead of every exposed
vertex's, and per-stage resets and dual updates that walk only the forest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

_I64 = np.int64
WARM_PASSES = 6  # greedy passes of the warm start
ROOTS_PER_STAGE = 64  # trees grown per stage (see _solve)


@numba.njit(cache=True)
def _leaves(b, nv, childs, out):
    """Vertices of blossom b, written into out; returns their count."""
    if b < nv:
        out[0] = b
        return 1
    count = 0
    stack = [b]
    while len(stack) > 0:
        t = stack.pop()
        if t < nv:
            out[count] = t
            count += 1
        else:
            for s in childs[t]:
                stack.append(s)
    return count


@numba.njit(cache=True)
def _solve(nv, eu, ev, ew, nbr_ptr, nbr_end, warm, start_mate, start_dual, batch):
    ne = len(eu)
    endpoint = np.empty(2 * ne, _I64)
    for k in range(ne):
        endpoint[2 * k] = eu[k]
        endpoint[2 * k + 1] = ev[k]
    n2 = 2 * nv
    mate = np.full(nv, -1, _I64)
    label = np.zeros(n2, _I64)
    labelend = np.full(n2, -1, _I64)
    inblossom = np.arange(nv).astype(_I64)
    blossomparent = np.full(n2, -1, _I64)
    empty = np.empty(0, _I64)
    childs = [empty for _ in range(n2)]
    endps = [empty for _ in range(n2)]
    blossombase = np.full(n2, -1, _I64)
    blossombase[:nv] = np.arange(nv)
    bestedge = np.full(n2, -1, _I64)
    bestlist = [empty for _ in range(n2)]
    hasbestlist = np.zeros(n2, np.bool_)
    unused = [b for b in range(n2 - 1, nv - 1, -1)]
    dualvar = np.zeros(n2, _I64)
    if warm < 0:
        # a given feasible start: matched edges tight, exposed duals even
        mate[:] = start_mate
        dualvar[:nv] = start_dual
    elif warm > 0:
        _greedy_start(nv, endpoint, ew, nbr_ptr, nbr_end, mate, dualvar, warm)
    else:
        # the reference's cold start: every y_i = half the heaviest weight
        dualvar[:nv] = ew.max()
    allowedge = np.zeros(ne, np.bool_)
    allowed_list = [0]
    allowed_list.pop()
    queue = [0]
    queue.pop()
    leafbuf = np.empty(nv, _I64)
    leafbuf2 = np.empty(nv, _I64)
    bestedgeto = np.full(n2, -1, _I64)
    stack_b = [0]
    stack_b.pop()
    stack_v = [0]
    stack_v.pop()
    # blossoms currently in use (top-level or not): recycled numbers leave it
    inuse = np.zeros(n2, np.bool_)
    # Vertices labelled or given a best edge this stage: the per-substage scans and
    # the per-stage reset walk only these (the forest), not all n vertices.
    touched = [0]
    touched.pop()
    istouched = np.zeros(nv, np.bool_)
    nextroot = 0
    peak = nv  # blossom numbers in use are below this (unused hands out low ones first)

    def slack(k):
        return dualvar[endpoint[2 * k]] + dualvar[endpoint[2 * k + 1]] - 2 * ew[k]

    for x in range(nv):
        touched.append(x)
        istouched[x] = True
    while True:
        for x in touched:
            label[x] = 0
            bestedge[x] = -1
            istouched[x] = False
        touched.clear()
        for b in range(nv, peak):
            label[b] = 0
            bestedge[b] = -1
            if hasbestlist[b]:
                hasbestlist[b] = False
                bestlist[b] = empty
        for k in allowed_list:
            allowedge[k] = False
        allowed_list.clear()
        queue.clear()

        # Roots: exposed vertices whose dual can still drop (a zero one is done). A
        # stage grows trees from at most `batch` roots of one parity (so S-S slacks
        # stay even); the other exposed vertices wait unlabelled, and reaching one
        # is an augmenting path too. Small forests make a stage cheap: rebuilding
        # every tree after each augmentation is what costs the reference O(n) per
        # stage. Each stage settles its first root (matched or dual zero), so the
        # scan for roots resumes where the last one began.
        while nextroot < nv and not (mate[nextroot] == -1 and dualvar[nextroot] > 0):
            nextroot += 1
        parity = dualvar[nextroot] & 1 if nextroot < nv else 0
        taken = 0
        for v0 in range(nextroot, nv):
            if taken >= batch:
                break
            if (
                mate[v0] == -1
                and dualvar[v0] > 0
                and (dualvar[v0] & 1) == parity
                and label[inblossom[v0]] == 0
            ):
                taken += 1
                # assign S to v0
                b = inblossom[v0]
                label[v0] = 1
                label[b] = 1
                labelend[v0] = -1
                labelend[b] = -1
                bestedge[v0] = -1
                bestedge[b] = -1
                cnt = _leaves(b, nv, childs, leafbuf)
                for q in range(cnt):
                    x = leafbuf[q]
                    queue.append(x)
                    if not istouched[x]:
                        istouched[x] = True
                        touched.append(x)

        augmented = False
        while True:
            while len(queue) > 0 and not augmented:
                v = queue.pop()
                for q in range(nbr_ptr[v], nbr_ptr[v + 1]):
                    p = nbr_end[q]
                    k = p >> 1
                    w = endpoint[p]
                    if inblossom[v] == inblossom[w]:
                        continue
                    kslack = 0
                    if not allowedge[k]:
                        kslack = slack(k)
                        if kslack <= 0:
                            allowedge[k] = True
                            allowed_list.append(k)
                    if allowedge[k]:
                        if label[inblossom[w]] == 0 and mate[blossombase[inblossom[w]]] == -1:
                            # w's blossom has an exposed base of zero dual: augment to it
                            _augment_matching(
                                k,
                                nv,
                                endpoint,
                                inblossom,
                                label,
                                labelend,
                                blossomparent,
                                childs,
                                endps,
                                blossombase,
                                mate,
                                stack_b,
                                stack_v,
                                w,
                            )
                            augmented = True
                            break
                        elif label[inblossom[w]] == 0:
                            # (C1) label w with T, its mate with S
                            _assign_t(
                                w,
                                p ^ 1,
                                nv,
                                inblossom,
                                label,
                                labelend,
                                bestedge,
                                blossombase,
                                mate,
                                endpoint,
                                childs,
                                leafbuf,
                                queue,
                                touched,
                                istouched,
                            )
                        elif label[inblossom[w]] == 1:
                            # (C2) scan for a new blossom or an augmenting path
                            base = _scan_blossom(
                                v, w, inblossom, label, labelend, blossombase, endpoint
                            )
                            if base >= 0:
                                _add_blossom(
                                    base,
                                    k,
                                    nv,
                                    endpoint,
                                    inblossom,
                                    label,
                                    labelend,
                                    blossomparent,
                                    childs,
                                    endps,
                                    blossombase,
                                    bestedge,
                                    bestlist,
                                    hasbestlist,
                                    unused,
                                    dualvar,
                                    ew,
                                    queue,
                                    nbr_ptr,
                                    nbr_end,
                                    leafbuf,
                                    leafbuf2,
                                    bestedgeto,
                                    mate,
                                    inuse,
                                )
                                peak = max(peak, inblossom[base] + 1)
                            else:
                                _augment_matching(
                                    k,
                                    nv,
                                    endpoint,
                                    inblossom,
                                    label,
                                    labelend,
                                    blossomparent,
                                    childs,
                                    endps,
                                    blossombase,
                                    mate,
                                    stack_b,
                                    stack_v,
                                    -1,
                                )
                                augmented = True
                                break
                        elif label[w] == 0:
                            label[w] = 2
                            labelend[w] = p ^ 1
                    elif label[inblossom[w]] == 1:
                        b = inblossom[v]
                        if bestedge[b] == -1 or kslack < slack(bestedge[b]):
                            bestedge[b] = k
                    elif label[w] == 0 and (bestedge[w] == -1 or kslack < slack(bestedge[w])):
                        bestedge[w] = k
                        if not istouched[w]:
                            istouched[w] = True
                            touched.append(w)
            if augmented:
                break

            # delta1: the least dual of an S-vertex (only S-vertices' duals drop; roots
            # need not share one value, as a warm start leaves them)
            deltatype = -1
            delta = 0
            deltavertex = -1
            deltaedge = -1
            deltablossom = -1
            for x in touched:
                lb = label[inblossom[x]]
                if lb == 1:
                    if deltatype == -1 or dualvar[x] < delta:
                        delta = dualvar[x]
                        deltatype = 1
                        deltavertex = x
                elif lb == 0 and bestedge[x] != -1:
                    # delta2: least slack between an S-vertex and a free vertex
                    d = slack(bestedge[x])
                    if deltatype == -1 or d < delta:
                        delta = d
                        deltatype = 2
                        deltaedge = bestedge[x]
            # delta3: half the least slack between two S-blossoms (trivial ones first)
            for x in touched:
                if inblossom[x] == x and label[x] == 1 and bestedge[x] != -1:
                    d = slack(bestedge[x]) // 2
                    if deltatype == -1 or d < delta:
                        delta = d
                        deltatype = 3
                        deltaedge = bestedge[x]
            for b in range(nv, peak):
                if inuse[b] and blossomparent[b] == -1 and label[b] == 1 and bestedge[b] != -1:
                    d = slack(bestedge[b]) // 2
                    if deltatype == -1 or d < delta:
                        delta = d
                        deltatype = 3
                        deltaedge = bestedge[b]
            # delta4: least z of a T-blossom
            for b in range(nv, peak):
                if (
                    inuse[b]
                    and blossomparent[b] == -1
                    and label[b] == 2
                    and (deltatype == -1 or dualvar[b] < delta)
                ):
                    delta = dualvar[b]
                    deltatype = 4
                    deltablossom = b

            if deltatype == -1:
                break  # no labelled vertex left: nothing can improve
            for x in touched:
                lb = label[inblossom[x]]
                if lb == 1:
                    dualvar[x] -= delta
                elif lb == 2:
                    dualvar[x] += delta
            for b in range(nv, peak):
                if inuse[b] and blossomparent[b] == -1:
                    if label[b] == 1:
                        dualvar[b] += delta
                    elif label[b] == 2:
                        dualvar[b] -= delta

            if deltatype == 1:
                # An S-vertex's dual reached zero: make it exposed by flipping the
                # alternating path to its root (the root gets matched), or retire the
                # root itself; complementary slackness holds, the stage ends.
                _flip_to_root(
                    deltavertex,
                    nv,
                    endpoint,
                    inblossom,
                    label,
                    labelend,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    mate,
                    stack_b,
                    stack_v,
                )
                augmented = True
                break
            elif deltatype == 2:
                allowedge[deltaedge] = True
                allowed_list.append(deltaedge)
                i = endpoint[2 * deltaedge]
                if label[inblossom[i]] == 0:
                    i = endpoint[2 * deltaedge + 1]
                queue.append(i)
            elif deltatype == 3:
                allowedge[deltaedge] = True
                allowed_list.append(deltaedge)
                queue.append(endpoint[2 * deltaedge])
            else:
                _expand_blossom(
                    deltablossom,
                    False,
                    nv,
                    endpoint,
                    inblossom,
                    label,
                    labelend,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    bestedge,
                    bestlist,
                    hasbestlist,
                    unused,
                    dualvar,
                    allowedge,
                    allowed_list,
                    mate,
                    leafbuf,
                    queue,
                    inuse,
                    touched,
                    istouched,
                )

        if not augmented:
            break
        # end of stage: expand S-blossoms whose dual reached zero
        for b in range(nv, peak):
            if inuse[b] and blossomparent[b] == -1 and label[b] == 1 and dualvar[b] == 0:
                _expand_blossom(
                    b,
                    True,
                    nv,
                    endpoint,
                    inblossom,
                    label,
                    labelend,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    bestedge,
                    bestlist,
                    hasbestlist,
                    unused,
                    dualvar,
                    allowedge,
                    allowed_list,
                    mate,
                    leafbuf,
                    queue,
                    inuse,
                    touched,
                    istouched,
                )

    mate_vertex = np.full(nv, -1, _I64)
    for x in range(nv):
        if mate[x] >= 0:
            mate_vertex[x] = endpoint[mate[x]]
    # blossoms in use: parent links and duals
    return mate_vertex, dualvar, blossomparent, inuse


@numba.njit(cache=True)
def _greedy_start(nv, endpoint, ew, nbr_ptr, nbr_end, mate, dualvar, passes):
    """A feasible warm start: y_i = half i's heaviest edge, then each vertex in turn
    lowers its dual to the least that keeps its edges covered and takes the exposed
    neighbour that makes tight, if any. Matched edges are tight; exposed vertices get
    even doubled duals, so every root has the same parity and the blossom steps stay
    in integers (tree edges are tight, hence S-S slacks are even)."""
    for x in range(nv):
        best = 0
        for q in range(nbr_ptr[x], nbr_ptr[x + 1]):
            we = ew[nbr_end[q] >> 1]
            if we > best:
                best = we
        dualvar[x] = best + (best & 1)
    # Later passes: exposed vertices lowered meanwhile make new tight pairs.
    for _ in range(passes):
        changed = False
        for x in range(nv):
            if mate[x] != -1:
                continue
            need = 0
            pick = -1
            for q in range(nbr_ptr[x], nbr_ptr[x + 1]):
                pe = nbr_end[q]
                y = endpoint[pe]
                d = 2 * ew[pe >> 1] - dualvar[y]
                if d > need:
                    need = d
                    pick = pe if mate[y] == -1 else -1
                elif d == need and d > 0 and pick == -1 and mate[y] == -1:
                    pick = pe
            if pick >= 0 and need > 0:
                dualvar[x] = need
                y = endpoint[pick]
                mate[x] = pick
                mate[y] = pick ^ 1
                changed = True
            else:
                lowered = need + (need & 1)
                if lowered != dualvar[x]:
                    dualvar[x] = lowered
                    changed = True
        if not changed:
            break


@numba.njit(cache=True)
def _assign_t(
    w,
    p,
    nv,
    inblossom,
    label,
    labelend,
    bestedge,
    blossombase,
    mate,
    endpoint,
    childs,
    leafbuf,
    queue,
    touched,
    istouched,
):
    """assignLabel(w, 2, p): w's blossom becomes T, the mate of its base becomes S."""
    b = inblossom[w]
    cnt = _leaves(b, nv, childs, leafbuf)
    for q in range(cnt):
        x = leafbuf[q]
        if not istouched[x]:
            istouched[x] = True
            touched.append(x)
    label[w] = 2
    label[b] = 2
    labelend[w] = p
    labelend[b] = p
    bestedge[w] = -1
    bestedge[b] = -1
    base = blossombase[b]
    mp = mate[base]
    _assign_s(
        endpoint[mp],
        mp ^ 1,
        nv,
        inblossom,
        label,
        labelend,
        bestedge,
        childs,
        leafbuf,
        queue,
        touched,
        istouched,
    )


@numba.njit(cache=True)
def _assign_s(
    w, p, nv, inblossom, label, labelend, bestedge, childs, leafbuf, queue, touched, istouched
):
    b = inblossom[w]
    label[w] = 1
    label[b] = 1
    labelend[w] = p
    labelend[b] = p
    bestedge[w] = -1
    bestedge[b] = -1
    cnt = _leaves(b, nv, childs, leafbuf)
    for q in range(cnt):
        queue.append(leafbuf[q])
        x = leafbuf[q]
        if not istouched[x]:
            istouched[x] = True
            touched.append(x)


@numba.njit(cache=True)
def _scan_blossom(v, w, inblossom, label, labelend, blossombase, endpoint):
    path = [0]
    path.pop()
    base = -1
    while v != -1 or w != -1:
        b = inblossom[v]
        if label[b] & 4:
            base = blossombase[b]
            break
        path.append(b)
        label[b] = 5
        if labelend[b] == -1:
            v = -1
        else:
            v = endpoint[labelend[b]]
            b = inblossom[v]
            v = endpoint[labelend[b]]
        if w != -1:
            v, w = w, v
    for b in path:
        label[b] = 1
    return base


@numba.njit(cache=True)
def _add_blossom(
    base,
    k,
    nv,
    endpoint,
    inblossom,
    label,
    labelend,
    blossomparent,
    childs,
    endps,
    blossombase,
    bestedge,
    bestlist,
    hasbestlist,
    unused,
    dualvar,
    ew,
    queue,
    nbr_ptr,
    nbr_end,
    leafbuf,
    leafbuf2,
    bestedgeto,
    mate,
    inuse,
):
    v = endpoint[2 * k]
    w = endpoint[2 * k + 1]
    bb = inblossom[base]
    bv = inblossom[v]
    bw = inblossom[w]
    b = unused.pop()
    inuse[b] = True
    blossombase[b] = base
    blossomparent[b] = -1
    blossomparent[bb] = b
    path = [0]
    path.pop()
    eps = [0]
    eps.pop()
    while bv != bb:
        blossomparent[bv] = b
        path.append(bv)
        eps.append(labelend[bv])
        v = endpoint[labelend[bv]]
        bv = inblossom[v]
    path.append(bb)
    path.reverse()
    eps.reverse()
    eps.append(2 * k)
    while bw != bb:
        blossomparent[bw] = b
        path.append(bw)
        eps.append(labelend[bw] ^ 1)
        w = endpoint[labelend[bw]]
        bw = inblossom[w]
    label[b] = 1
    labelend[b] = labelend[bb]
    dualvar[b] = 0
    ch = np.empty(len(path), np.int64)
    for q in range(len(path)):
        ch[q] = path[q]
    ep = np.empty(len(eps), np.int64)
    for q in range(len(eps)):
        ep[q] = eps[q]
    childs[b] = ch
    endps[b] = ep
    cnt = _leaves(b, nv, childs, leafbuf)
    for q in range(cnt):
        x = leafbuf[q]
        if label[inblossom[x]] == 2:
            queue.append(x)
        inblossom[x] = b
    # least-slack edges from the new blossom to each other S-blossom
    touched = [0]
    touched.pop()
    for bsub in ch:
        if hasbestlist[bsub]:
            lst = bestlist[bsub]
            for q in range(len(lst)):
                kk = lst[q]
                i = endpoint[2 * kk]
                j = endpoint[2 * kk + 1]
                if inblossom[j] == b:
                    i, j = j, i
                bj = inblossom[j]
                if bj != b and label[bj] == 1:
                    cur = bestedgeto[bj]
                    if cur == -1:
                        touched.append(bj)
                        bestedgeto[bj] = kk
                    elif (dualvar[i] + dualvar[j] - 2 * ew[kk]) < (
                        dualvar[endpoint[2 * cur]] + dualvar[endpoint[2 * cur + 1]] - 2 * ew[cur]
                    ):
                        bestedgeto[bj] = kk
        else:
            c2 = _leaves(bsub, nv, childs, leafbuf2)
            for r in range(c2):
                x = leafbuf2[r]
                for q in range(nbr_ptr[x], nbr_ptr[x + 1]):
                    kk = nbr_end[q] >> 1
                    i = endpoint[2 * kk]
                    j = endpoint[2 * kk + 1]
                    if inblossom[j] == b:
                        i, j = j, i
                    bj = inblossom[j]
                    if bj != b and label[bj] == 1:
                        cur = bestedgeto[bj]
                        if cur == -1:
                            touched.append(bj)
                            bestedgeto[bj] = kk
                        elif (dualvar[i] + dualvar[j] - 2 * ew[kk]) < (
                            dualvar[endpoint[2 * cur]]
                            + dualvar[endpoint[2 * cur + 1]]
                            - 2 * ew[cur]
                        ):
                            bestedgeto[bj] = kk
        hasbestlist[bsub] = False
        bestlist[bsub] = np.empty(0, np.int64)
        bestedge[bsub] = -1
    # keep bestedgeto's order deterministic: by blossom number, as the reference does
    touched.sort()
    lst = np.empty(len(touched), np.int64)
    for q in range(len(touched)):
        lst[q] = bestedgeto[touched[q]]
        bestedgeto[touched[q]] = -1
    bestlist[b] = lst
    hasbestlist[b] = True
    best = -1
    bestslack = 0
    for q in range(len(lst)):
        kk = lst[q]
        s = dualvar[endpoint[2 * kk]] + dualvar[endpoint[2 * kk + 1]] - 2 * ew[kk]
        if best == -1 or s < bestslack:
            best = kk
            bestslack = s
    bestedge[b] = best


@numba.njit(cache=True)
def _expand_blossom(
    b0,
    endstage,
    nv,
    endpoint,
    inblossom,
    label,
    labelend,
    blossomparent,
    childs,
    endps,
    blossombase,
    bestedge,
    bestlist,
    hasbestlist,
    unused,
    dualvar,
    allowedge,
    allowed_list,
    mate,
    leafbuf,
    queue,
    inuse,
    touched,
    istouched,
):
    todo = [b0]
    while len(todo) > 0:
        b = todo.pop()
        ch = childs[b]
        for s in ch:
            blossomparent[s] = -1
            if s < nv:
                inblossom[s] = s
            elif endstage and dualvar[s] == 0:
                todo.append(s)
            else:
                cnt = _leaves(s, nv, childs, leafbuf)
                for q in range(cnt):
                    inblossom[leafbuf[q]] = s
        if (not endstage) and label[b] == 2:
            ep = endps[b]
            nc = len(ch)
            entrychild = inblossom[endpoint[labelend[b] ^ 1]]
            j = 0
            for q in range(nc):
                if ch[q] == entrychild:
                    j = q
                    break
            if j & 1:
                j -= nc
                jstep = 1
                endptrick = 0
            else:
                jstep = -1
                endptrick = 1
            p = labelend[b]
            while j != 0:
                label[endpoint[p ^ 1]] = 0
                label[endpoint[ep[(j - endptrick) % nc] ^ endptrick ^ 1]] = 0
                _assign_t(
                    endpoint[p ^ 1],
                    p,
                    nv,
                    inblossom,
                    label,
                    labelend,
                    bestedge,
                    blossombase,
                    mate,
                    endpoint,
                    childs,
                    leafbuf,
                    queue,
                    touched,
                    istouched,
                )
                e2 = ep[(j - endptrick) % nc] >> 1
                if not allowedge[e2]:
                    allowedge[e2] = True
                    allowed_list.append(e2)
                j += jstep
                p = ep[(j - endptrick) % nc] ^ endptrick
                if not allowedge[p >> 1]:
                    allowedge[p >> 1] = True
                    allowed_list.append(p >> 1)
                j += jstep
            bv = ch[j % nc]
            label[endpoint[p ^ 1]] = 2
            label[bv] = 2
            labelend[endpoint[p ^ 1]] = p
            labelend[bv] = p
            bestedge[bv] = -1
            j += jstep
            while ch[j % nc] != entrychild:
                bv = ch[j % nc]
                if label[bv] == 1:
                    j += jstep
                    continue
                cnt = _leaves(bv, nv, childs, leafbuf)
                found = -1
                for q in range(cnt):
                    if label[leafbuf[q]] != 0:
                        found = leafbuf[q]
                        break
                if found >= 0:
                    label[found] = 0
                    label[endpoint[mate[blossombase[bv]]]] = 0
                    _assign_t(
                        found,
                        labelend[found],
                        nv,
                        inblossom,
                        label,
                        labelend,
                        bestedge,
                        blossombase,
                        mate,
                        endpoint,
                        childs,
                        leafbuf,
                        queue,
                        touched,
                        istouched,
                    )
                j += jstep
        label[b] = -1
        labelend[b] = -1
        childs[b] = np.empty(0, np.int64)
        endps[b] = np.empty(0, np.int64)
        blossombase[b] = -1
        bestlist[b] = np.empty(0, np.int64)
        hasbestlist[b] = False
        bestedge[b] = -1
        inuse[b] = False
        dualvar[b] = 0
        unused.append(b)


@numba.njit(cache=True)
def _augment_blossom(
    b0, v0, nv, endpoint, blossomparent, childs, endps, blossombase, mate, stack_b, stack_v
):
    """augmentBlossom with an explicit stack: the sub-calls touch disjoint sub-blossoms."""
    stack_b.append(b0)
    stack_v.append(v0)
    while len(stack_b) > 0:
        b = stack_b.pop()
        v = stack_v.pop()
        t = v
        while blossomparent[t] != b:
            t = blossomparent[t]
        if t >= nv:
            stack_b.append(t)
            stack_v.append(v)
        ch = childs[b]
        ep = endps[b]
        nc = len(ch)
        i = 0
        for q in range(nc):
            if ch[q] == t:
                i = q
                break
        j = i
        if i & 1:
            j -= nc
            jstep = 1
            endptrick = 0
        else:
            jstep = -1
            endptrick = 1
        while j != 0:
            j += jstep
            t = ch[j % nc]
            p = ep[(j - endptrick) % nc] ^ endptrick
            if t >= nv:
                stack_b.append(t)
                stack_v.append(endpoint[p])
            j += jstep
            t = ch[j % nc]
            if t >= nv:
                stack_b.append(t)
                stack_v.append(endpoint[p ^ 1])
            mate[endpoint[p]] = p ^ 1
            mate[endpoint[p ^ 1]] = p
        childs[b] = np.concatenate((ch[i:], ch[:i]))
        endps[b] = np.concatenate((ep[i:], ep[:i]))
        # the new base is v (the sub-blossom tasks above may not have run yet)
        blossombase[b] = v


@numba.njit(cache=True)
def _augment_matching(
    k,
    nv,
    endpoint,
    inblossom,
    label,
    labelend,
    blossomparent,
    childs,
    endps,
    blossombase,
    mate,
    stack_b,
    stack_v,
    free,
):
    """Augment along edge k; `free` (or -1) is an endpoint in an unlabelled blossom with
    an exposed base: it is matched through its blossom without tracing further."""
    for side in range(2):
        if side == 0:
            s = endpoint[2 * k]
            p = 2 * k + 1
        else:
            s = endpoint[2 * k + 1]
            p = 2 * k
        if s == free:
            bs = inblossom[s]
            if bs >= nv:
                _augment_blossom(
                    bs,
                    s,
                    nv,
                    endpoint,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    mate,
                    stack_b,
                    stack_v,
                )
            mate[s] = p
            continue
        _trace_back(
            s,
            p,
            nv,
            endpoint,
            inblossom,
            labelend,
            blossomparent,
            childs,
            endps,
            blossombase,
            mate,
            stack_b,
            stack_v,
        )


@numba.njit(cache=True)
def _flip_to_root(
    x,
    nv,
    endpoint,
    inblossom,
    label,
    labelend,
    blossomparent,
    childs,
    endps,
    blossombase,
    mate,
    stack_b,
    stack_v,
):
    _trace_back(
        x,
        -1,
        nv,
        endpoint,
        inblossom,
        labelend,
        blossomparent,
        childs,
        endps,
        blossombase,
        mate,
        stack_b,
        stack_v,
    )


@numba.njit(cache=True)
def _trace_back(
    s,
    p,
    nv,
    endpoint,
    inblossom,
    labelend,
    blossomparent,
    childs,
    endps,
    blossombase,
    mate,
    stack_b,
    stack_v,
):
    """Match S-vertex s to remote endpoint p (-1: leave it exposed), then swap matched
    and unmatched edges back to the root of its tree."""
    if True:
        while True:
            bs = inblossom[s]
            if bs >= nv:
                _augment_blossom(
                    bs,
                    s,
                    nv,
                    endpoint,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    mate,
                    stack_b,
                    stack_v,
                )
            mate[s] = p
            if labelend[bs] == -1:
                break
            t = endpoint[labelend[bs]]
            bt = inblossom[t]
            s = endpoint[labelend[bt]]
            j = endpoint[labelend[bt] ^ 1]
            if bt >= nv:
                _augment_blossom(
                    bt,
                    j,
                    nv,
                    endpoint,
                    blossomparent,
                    childs,
                    endps,
                    blossombase,
                    mate,
                    stack_b,
                    stack_v,
                )
            mate[j] = labelend[bt]
            p = labelend[bt] ^ 1


@dataclass(frozen=True)
class Matching:
    """A maximum-weight matching and its optimal dual solution (all exact integers).

    * `mate[i]`: the vertex matched to i, or -1.
    * `y2[i]`: twice vertex i's dual value y_i.
    * `blossoms`: the odd sets with a dual, each a sorted array of its vertices.
    * `z[b]`: the dual value of `blossoms[b]` (z_B, same units as the weights).

    Every edge satisfies 2 w_ij <= y2_i + y2_j + 2 Σ_{B ∋ i, j} z_B.
    """

    mate: np.ndarray
    y2: np.ndarray
    blossoms: list[np.ndarray]
    z: np.ndarray

    @property
    def weight_bound2(self) -> int:
        """Twice the dual objective: 2·(Σ y_i + Σ z_B ⌊|B|/2⌋), an upper bound on twice
        the weight of any matching of a graph whose every edge the duals cover."""
        odd = sum(
            int(z) * (len(b) // 2) for z, b in zip(self.z.tolist(), self.blossoms, strict=True)
        )
        return int(self.y2.sum()) + 2 * odd

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Matched pairs (a, b) with a < b."""
        a = np.flatnonzero(self.mate > np.arange(len(self.mate)))
        return a, self.mate[a]


def _restart(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, start: Matching
) -> tuple[np.ndarray, np.ndarray]:
    """A feasible start for a graph that grew since `start` was solved.

    Each blossom's z is folded into its vertices' duals (y2 += z for each vertex
    inside: every edge keeps or gains slack, internal ones keep it exactly), and the
    base's outside partner, whose edge gains slack, is unmatched. Then each edge left
    short raises one endpoint's dual and unmatches it. Exposed duals are rounded up to
    even (the roots' common parity). Returns (mate as remote endpoints, doubled duals).
    """
    y2 = start.y2.astype(np.int64).copy()
    mate = start.mate.astype(np.int64).copy()
    for members, z in zip(start.blossoms, start.z.tolist(), strict=True):
        if z:
            y2[members] += z
            inside = np.zeros(n, dtype=bool)
            inside[members] = True
            mates = mate[members]
            out = members[(mates >= 0) & ~inside[np.maximum(mates, 0)]]
            for x in out.tolist():
                partner = int(mate[x])
                mate[x] = -1
                mate[partner] = -1
    slack = y2[u] + y2[v] - 2 * w
    for k in np.flatnonzero(slack < 0).tolist():
        a, b = int(u[k]), int(v[k])
        short = 2 * int(w[k]) - int(y2[a]) - int(y2[b])
        if short > 0:
            y2[a] += short
            if mate[a] >= 0:
                mate[int(mate[a])] = -1
                mate[a] = -1
    exposed = mate < 0
    y2[exposed] += y2[exposed] & 1
    # matched pairs as remote endpoints of their (tight) edge
    mate_end = np.full(n, -1, dtype=np.int64)
    code = np.minimum(u, v) * n + np.maximum(u, v)
    order = np.argsort(code, kind="stable")
    a = np.flatnonzero(mate > np.arange(n))
    b = mate[a]
    if len(a):
        slot = order[np.searchsorted(code[order], a * n + b)]
        # the heaviest parallel edge is the tight one; parallel edges are rare
        for x, y, k in zip(a.tolist(), b.tolist(), slot.tolist(), strict=True):
            kk = k
            if y2[x] + y2[y] != 2 * w[kk]:
                cands = np.flatnonzero(code == x * n + y)
                kk = int(cands[np.argmax(w[cands])])
                if y2[x] + y2[y] != 2 * w[kk]:
                    mate_end[x] = mate_end[y] = -1
                    y2[x] += y2[x] & 1
                    y2[y] += y2[y] & 1
                    continue
            mate_end[x] = 2 * kk + 1 if u[kk] == x else 2 * kk
            mate_end[y] = 2 * kk + 1 if u[kk] == y else 2 * kk
    return mate_end, y2


def max_weight_matching(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    *,
    warm_start: bool = True,
    start: Matching | None = None,
) -> Matching:
    """Maximum-weight (not maximum-cardinality) matching of the graph with n vertices and
    edges (u[k], v[k]) of integer weight w[k]; returns the mate of every vertex and the
    optimal duals. Parallel edges are allowed (the heaviest matters); self-loops and
    non-integer weights are rejected. `warm_start=False` starts from the reference's
    equal duals instead of the greedy start (same optimum; for tests of the blossom
    steps, which a warm start may skip). `start`: the solution of a graph these edges
    extend (same vertices, a superset of its edges): re-solving starts from it, which
    is far faster than from scratch when few edges were added."""
    u = np.ascontiguousarray(u, dtype=np.int64)
    v = np.ascontiguousarray(v, dtype=np.int64)
    w_in = np.asarray(w)
    if w_in.dtype.kind not in "iub" and not np.all(np.equal(np.mod(w_in, 1), 0)):
        raise ValueError("max_weight_matching: weights must be integers")
    w = np.ascontiguousarray(w_in, dtype=np.int64)
    if not (len(u) == len(v) == len(w)):
        raise ValueError("max_weight_matching: u, v and w must have the same length")
    if n < 0:
        raise ValueError("max_weight_matching: n must be >= 0")
    if len(u) and (u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n):
        raise ValueError("max_weight_matching: endpoint out of range")
    if np.any(u == v):
        raise ValueError("max_weight_matching: self-loop")
    if len(w) and np.abs(w).max() >= 2**60:
        raise ValueError("max_weight_matching: weights too large")
    # Non-positive edges never help a maximum-weight matching: drop them (their slack
    # is y2_i + y2_j - 2w >= 0 for any non-negative duals).
    keep = w > 0
    u, v, w = u[keep], v[keep], w[keep]
    if n == 0 or len(w) == 0:
        return Matching(
            mate=np.full(n, -1, dtype=np.int64),
            y2=np.zeros(n, dtype=np.int64),
            blossoms=[],
            z=np.zeros(0, dtype=np.int64),
        )
    ne = len(u)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, u + 1, 1)
    np.add.at(ptr, v + 1, 1)
    np.cumsum(ptr, out=ptr)
    # neighbour endpoint lists in edge order (as the reference builds them)
    ends_vertex = np.concatenate([u, v])
    remote = np.concatenate([2 * np.arange(ne) + 1, 2 * np.arange(ne)])
    order = np.argsort(ends_vertex, kind="stable")
    nbr_end = remote[order].astype(np.int64)
    if start is not None:
        start_mate, start_dual = _restart(n, u, v, w, start)
        warm = -1
    else:
        start_mate = start_dual = np.zeros(0, dtype=np.int64)
        warm = WARM_PASSES if warm_start else 0
    mate, dual, parent, inuse = _solve(
        n, u, v, w, ptr, nbr_end, warm, start_mate, start_dual, ROOTS_PER_STAGE
    )
    blossom_ids = np.flatnonzero(inuse)
    # Members of each blossom in use: walk every vertex up its parent chain.
    members: dict[int, list[int]] = {int(b): [] for b in blossom_ids.tolist()}
    for x in np.flatnonzero(parent[:n] >= 0).tolist():
        b = int(parent[x])
        while b != -1:
            members[b].append(x)
            b = int(parent[b])
    blossoms = [np.array(sorted(members[int(b)]), dtype=np.int64) for b in blossom_ids.tolist()]
    return Matching(
        mate=mate,
        y2=dual[:n].copy(),
        blossoms=blossoms,
        z=dual[blossom_ids].copy(),
    )
