#!/usr/bin/env python3
"""shuffle_patches.py LIST OUT [SEED]: the members of LIST (one relative path
a line) in a random patch order, each patch's files together in name order,
as a conversion in random order reads them."""
import random
import sys

groups = {}
for line in open(sys.argv[1]):
    groups.setdefault(line.split('/')[0], []).append(line)
keys = sorted(groups)
random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7).shuffle(keys)
open(sys.argv[2], 'w').write(''.join(m for k in keys for m in sorted(groups[k])))
