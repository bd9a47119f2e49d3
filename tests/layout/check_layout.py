#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The tree's shape, held as a test.

- Layering: a file under lib/src/<layer>/ includes only headers of its own
  layer, of the layers lib/src/LAYERS lets it call, and ktls/ktls.h.
- Tools are users: no include under tools/ reaches lib/src, tools/ link the
  public dependency only, and ktls-ctl needs libktls.so.
- Size: no file in lib/ or tools/ over 800 lines; serve's pieces under 500.

  check_layout.py SRCDIR [KTLS_CTL]   check the tree (and the binary)
  check_layout.py --self-test SRCDIR  each rule fails on a tree that breaks it
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MAX_LINES, MAX_SERVE = 800, 500


def read_layers(src):
    layers = {}
    for line in open(os.path.join(src, 'lib/src/LAYERS')):
        line = line.split('#', 1)[0].strip()
        if line:
            name, _, deps = line.partition(':')
            layers[name.strip()] = set(deps.split())
    return layers


def sources(root, exts=('.c', '.h')):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(exts):
                yield os.path.join(d, f)


def check_layers(src, errors):
    layers = read_layers(src)
    base = os.path.join(src, 'lib/src')
    for path in sources(base):
        layer = os.path.relpath(path, base).split(os.sep)[0]
        rel = os.path.relpath(path, src)
        if layer not in layers:
            errors.append(f'{rel}: folder {layer!r} is not a layer of lib/src/LAYERS')
            continue
        for inc in INCLUDE.findall(open(path).read()):
            if inc == 'ktls/ktls.h':
                continue
            target = inc.split('/')[0] if '/' in inc else None
            if target is None:
                errors.append(f'{rel}: #include "{inc}" does not name its layer')
            elif target not in layers:
                errors.append(f'{rel}: #include "{inc}": {target!r} is not a layer')
            elif target != layer and target not in layers[layer]:
                errors.append(f'{rel}: layer {layer} may not include {inc} '
                              f'(it may call: {" ".join(sorted(layers[layer])) or "nothing"})')


def check_tools(src, errors):
    tools = os.path.join(src, 'tools')
    internal = os.path.realpath(os.path.join(src, 'lib/src'))
    for path in sources(tools):
        rel = os.path.relpath(path, src)
        for inc in INCLUDE.findall(open(path).read()):
            if inc == 'ktls/ktls.h':
                continue
            here = [os.path.join(os.path.dirname(path), inc), os.path.join(tools, inc)]
            found = [p for p in here if os.path.exists(p)]
            real = [os.path.realpath(p) for p in found]
            if not found or any(r.startswith(internal + os.sep) for r in real):
                errors.append(f'{rel}: #include "{inc}" is not a header of tools/ '
                              '(tools use the public ktls/ktls.h only)')
    for path in sources(tools, ('meson.build',)):
        text = open(path).read()
        for word in ('ktls_core', 'ktls_src_inc', 'lib/src'):
            if word in text:
                errors.append(f'{os.path.relpath(path, src)}: names {word}: tools build '
                              'against ktls_dep (the public header, libktls.so) only')


def check_binary(ctl, errors):
    out = subprocess.run(['readelf', '-d', ctl], capture_output=True, text=True).stdout
    if 'libktls.so' not in out:
        errors.append(f'{ctl}: does not link libktls.so (readelf -d: no NEEDED entry)')


def check_sizes(src, errors):
    for top in ('lib', 'tools'):
        for path in sources(os.path.join(src, top)):
            rel = os.path.relpath(path, src)
            n = sum(1 for _ in open(path))
            limit = MAX_SERVE if re.match(r'tools/ktls-ctl/serve', rel) else MAX_LINES
            if n > limit:
                errors.append(f'{rel}: {n} lines, over {limit}: split it by concern')


def check(src, ctl=None):
    errors = []
    check_layers(src, errors)
    check_tools(src, errors)
    check_sizes(src, errors)
    if ctl:
        check_binary(ctl, errors)
    return errors


def self_test(src):
    """Each rule must catch the fault it exists for, or it checks nothing."""
    faults = [
        ('layering', 'lib/src/crypto/suite.c', '#include "handshake/msg.h"\n'),
        ('unnamed layer', 'lib/src/record/record.c', '#include "suite.h"\n'),
        ('tool includes internal', 'tools/ktls-ctl/main.c', '#include "../../lib/src/conn/conn.h"\n'),
        ('tool includes by name', 'tools/ktls-ctl/main.c', '#include "kernel/socket.h"\n'),
        ('size', 'tools/ktls-ctl/serve_file.c', '\n' * MAX_SERVE),
    ]
    failed = 0
    for what, rel, text in faults:
        with tempfile.TemporaryDirectory() as tmp:
            for top in ('lib', 'tools'):
                shutil.copytree(os.path.join(src, top), os.path.join(tmp, top))
            with open(os.path.join(tmp, rel), 'a') as f:
                f.write(text)
            errs = check(tmp)
            ok = any(rel in e for e in errs)
            print(f'self-test {what}: {"caught" if ok else "MISSED"}')
            failed += not ok
    return failed


def main():
    args = sys.argv[1:]
    if args and args[0] == '--self-test':
        clean = check(args[1])
        for e in clean:
            print('FAIL (clean tree):', e)
        sys.exit(1 if self_test(args[1]) or clean else 0)
    errors = check(args[0], args[1] if len(args) > 1 else None)
    for e in errors:
        print('FAIL:', e)
    if not errors:
        print('layout: layers, tool includes, libktls.so and file sizes hold')
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
