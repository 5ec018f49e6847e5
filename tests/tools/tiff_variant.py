#!/usr/bin/env python3
"""Write a variant of a classic little-endian striped TIFF whose meaning is
ambiguous or odd in one way, for the tests that feed both band decoders
(ben-prep's direct one and GDAL) the same file.

    tiff_variant.py VARIANT SOURCE DEST [--trailer BYTE]

The source's bytes stay where they are; a new IFD (and any new value
array) is appended and the header points at it. VARIANT is one of:

  dup-offsets-first   StripOffsets twice: the first entry the real strips,
                      the second the strips one sample later
  dup-offsets-last    the same, the shifted entry first
  dup-width           ImageWidth twice: the real width, then 1
  unsorted            StripOffsets after StripByteCounts
  overlap             the second strip starts where the first does
  strip-over-ifd      the first strip starts at the IFD
  strip-outside       the last strip starts past the end of the file
  count-mismatch      StripByteCounts has one value fewer than StripOffsets
  bytes-mismatch      the first strip's byte count one sample too large
  next-ifd            a second image (a copy of the IFD) after the first
  truncated-ifd       the file ends before the next-IFD offset
  photometric-white   PhotometricInterpretation 0 (min-is-white)
  reduced-resolution  NewSubfileType 1 (a reduced-resolution image)
  plain               the same image, IFD moved: nothing odd (a control)

--trailer BYTE appends one byte (hex) after everything, e.g. to choose the
fuzz target's band size.
"""
import struct
import sys

SHORT, LONG = 3, 4


def main():
    args = sys.argv[1:]
    trailer = None
    if "--trailer" in args:
        i = args.index("--trailer")
        trailer = bytes([int(args[i + 1], 16)])
        del args[i:i + 2]
    variant, src, dst = args
    b = bytearray(open(src, "rb").read())
    assert b[:4] == b"II*\0", "a classic little-endian TIFF"
    ifd = struct.unpack_from("<I", b, 4)[0]
    n = struct.unpack_from("<H", b, ifd)[0]
    entries = [list(struct.unpack_from("<HHI4s", b, ifd + 2 + 12 * i))
               for i in range(n)]

    def find(tag):
        return next(e for e in entries if e[0] == tag)

    def values(e):
        tag, typ, cnt, raw = e
        size, fmt = (2, "<H") if typ == SHORT else (4, "<I")
        data = raw if cnt * size <= 4 else b[struct.unpack("<I", raw)[0]:]
        return [struct.unpack_from(fmt, data, k * size)[0] for k in range(cnt)]

    def array_entry(tag, vals):
        """An entry of LONG values, appended out of line when they need to."""
        data = b"".join(struct.pack("<I", v) for v in vals)
        if len(data) <= 4:
            return [tag, LONG, len(vals), data.ljust(4, b"\0")]
        while len(b) % 2:
            b.append(0)
        at = len(b)
        b.extend(data)
        return [tag, LONG, len(vals), struct.pack("<I", at)]

    def single(tag, v):
        return [tag, SHORT, 1, struct.pack("<HH", v, 0)]

    offsets, counts = find(273), find(279)
    sample = values(find(258))[0] // 8
    next_ifd = 0
    if variant in ("dup-offsets-first", "dup-offsets-last"):
        shifted = array_entry(273, [o + sample for o in values(offsets)])
        k = entries.index(offsets)
        pair = [offsets, shifted] if variant == "dup-offsets-first" else [shifted, offsets]
        entries[k:k + 1] = pair
    elif variant == "dup-width":
        k = entries.index(find(256))
        entries.insert(k + 1, single(256, 1))
    elif variant == "unsorted":
        i, j = entries.index(offsets), entries.index(counts)
        entries[i], entries[j] = entries[j], entries[i]
    elif variant == "overlap":
        v = values(offsets)
        assert len(v) > 1, "needs two strips"
        v[1] = v[0]
        entries[entries.index(offsets)] = array_entry(273, v)
    elif variant == "strip-over-ifd":
        v = values(offsets)
        v[0] = ifd
        entries[entries.index(offsets)] = array_entry(273, v)
    elif variant == "strip-outside":
        v = values(offsets)
        v[-1] = len(b) + 1000000
        entries[entries.index(offsets)] = array_entry(273, v)
    elif variant == "count-mismatch":
        entries[entries.index(counts)] = array_entry(279, values(counts)[:-1])
    elif variant == "bytes-mismatch":
        v = values(counts)
        v[0] += sample
        entries[entries.index(counts)] = array_entry(279, v)
    elif variant == "next-ifd":
        next_ifd = ifd  # the original IFD: a second image like the first
    elif variant == "photometric-white":
        entries[entries.index(find(262))] = single(262, 0)
    elif variant == "reduced-resolution":
        entries.insert(0, [254, LONG, 1, struct.pack("<I", 1)])
    elif variant not in ("plain", "truncated-ifd"):
        sys.exit("unknown variant " + variant)

    while len(b) % 2:
        b.append(0)
    new_ifd = len(b)
    b.extend(struct.pack("<H", len(entries)))
    for e in entries:
        b.extend(struct.pack("<HHI4s", *e))
    b.extend(struct.pack("<I", next_ifd))
    if variant == "truncated-ifd":
        del b[-4:]
    struct.pack_into("<I", b, 4, new_ifd)
    if trailer:
        b.extend(trailer)
    open(dst, "wb").write(b)


main()
