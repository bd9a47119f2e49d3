#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every function of the public header has a man page.

Each KTLS_API function in lib/include/ktls/ktls.h must be named in the NAME
section of a page in docs/man/*.3, and every page has OpenSSL's sections
(NAME, SYNOPSIS, DESCRIPTION, RETURN VALUES, SEE ALSO, HISTORY). With
--links DIR, prints "function page" lines for the installer's links.

  check_man.py SRCDIR            check
  check_man.py --self-test SRC   a function left out is caught
  check_man.py --links SRCDIR    the links to install
"""
import glob
import os
import re
import shutil
import sys
import tempfile

SECTIONS = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'RETURN VALUES', 'SEE ALSO', 'HISTORY']


def functions(src):
    text = open(os.path.join(src, 'lib/include/ktls/ktls.h')).read()
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return sorted(set(re.findall(r'KTLS_API[^;{(]*?\b(ktls_\w+)\s*\(', text)))


def pages(src):
    out = {}
    for path in sorted(glob.glob(os.path.join(src, 'docs/man/*.3'))):
        text = open(path).read()
        m = re.search(r'^\.SH NAME\n(.*?)\\-', text, re.S | re.M)
        names = re.findall(r'ktls_\w+', m.group(1)) if m else []
        sections = re.findall(r'^\.SH (.+)$', text, re.M)
        out[os.path.basename(path)] = (names, [s.strip('"') for s in sections])
    return out


def check(src):
    errors = []
    named = {}
    for page, (names, sections) in pages(src).items():
        for s in SECTIONS:
            if s not in sections:
                errors.append(f'docs/man/{page}: no {s} section')
        for n in names:
            named.setdefault(n, page)
    for f in functions(src):
        if f not in named:
            errors.append(f'{f}: named in no man page (docs/man/*.3, NAME)')
    return errors, named


def main():
    args = sys.argv[1:]
    if args[0] == '--links':
        _, named = check(args[1])
        for f, page in sorted(named.items()):
            if f + '.3' != page:
                print(f, page)
        return 0
    if args[0] == '--self-test':
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(os.path.join(args[1], 'lib/include'), os.path.join(tmp, 'lib/include'))
            shutil.copytree(os.path.join(args[1], 'docs/man'), os.path.join(tmp, 'docs/man'))
            with open(os.path.join(tmp, 'lib/include/ktls/ktls.h'), 'a') as f:
                f.write('KTLS_API int ktls_undocumented_call(void);\n')
            errors, _ = check(tmp)
            caught = any('ktls_undocumented_call' in e for e in errors)
            print('self-test: an undocumented function is', 'caught' if caught else 'MISSED')
            return 0 if caught else 1
    errors, named = check(args[0])
    for e in errors:
        print('FAIL:', e)
    if not errors:
        print(f'man pages: {len(functions(args[0]))} functions, each named in a page')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
