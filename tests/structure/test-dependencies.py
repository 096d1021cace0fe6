#!/usr/bin/env python3
# test-dependencies.py: no two of Keyturn's source files call or include each other in a circle
#
# Usage: test-dependencies.py SOURCE_ROOT BUILD_ROOT
#
# Calls: every object file built from src/ is read with nm; a file that uses a symbol another
# file defines depends on it. Includes: every header under src/ and the headers it includes
# by name. Neither graph may hold a cycle (Tarjan's strongly connected components): a split
# type's files (kt-name-*.c over kt-name-private.h) too call one way only.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re
import subprocess
import sys
from collections import defaultdict

DEFINED = set('TDBRVWGSiu')


def object_files(build_root):
    for top, _dirs, files in os.walk(os.path.join(build_root, 'src')):
        for name in files:
            # Meson names an object after its source; generated sources say so in their name.
            if name.endswith('.c.o') and 'meson-generated' not in name:
                yield os.path.join(top, name), name[:-2]


def call_graph(build_root):
    defined_in = defaultdict(set)
    used_by = defaultdict(set)
    for path, source in object_files(build_root):
        out = subprocess.run(['nm', '-P', path], check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 2:
                continue
            symbol, kind = fields[0], fields[1]
            if kind == 'U':
                used_by[source].add(symbol)
            elif kind in DEFINED:
                defined_in[symbol].add(source)
    graph = defaultdict(dict)
    for source in used_by:
        graph[source]
    for source, symbols in used_by.items():
        for symbol in symbols:
            for owner in defined_in.get(symbol, ()):
                if owner != source:
                    graph[source].setdefault(owner, symbol)
    return graph


def include_graph(source_root):
    graph = defaultdict(dict)
    headers = {}
    for top, _dirs, files in os.walk(os.path.join(source_root, 'src')):
        for name in files:
            if name.endswith('.h'):
                headers[name] = os.path.join(top, name)
    for name, path in headers.items():
        graph[name]
        with open(path, encoding='utf-8') as f:
            for included in re.findall(r'^#include "([^"]+)"', f.read(), re.M):
                included = os.path.basename(included)
                if included in headers and included != name:
                    graph[name][included] = '#include'
    return graph


def cycles(graph):
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def report(what, graph, found):
    for component in found:
        print(f'not ok: these files {what} each other in a circle:')
        members = set(component)
        for node in component:
            for nxt, symbol in sorted(graph[node].items()):
                if nxt in members:
                    print(f'#   {node} -> {nxt} ({symbol})')


def main():
    source_root, build_root = sys.argv[1], sys.argv[2]
    calls = call_graph(build_root)
    includes = include_graph(source_root)
    if not calls:
        print('not ok: no object files under', os.path.join(build_root, 'src'))
        return 1
    call_cycles = cycles(calls)
    include_cycles = cycles(includes)
    report('call', calls, call_cycles)
    report('include', includes, include_cycles)
    if call_cycles or include_cycles:
        return 1
    print(f'ok: {len(calls)} object files and {len(includes)} headers, no cycle')
    return 0


if __name__ == '__main__':
    sys.exit(main())
