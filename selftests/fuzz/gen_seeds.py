#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the named seeds of the fuzz targets (selftests/fuzz/corpus/<target>).

consume: the input format LLVMFuzzerTestOneInput() in consume_fuzz.c
reads: a header byte, the ring's starting sequence and position, the
clock, then operations. text and archive: see text_fuzz.c and
archive_fuzz.c. Run from anywhere; it rewrites these seeds and leaves
the others (those make fuzz-corpus adds) alone.
"""
import os
import struct

HDR_MPSC, HDR_HOSTILE, HDR_16K, HDR_BADTAIL = 1, 2, 0x20, 0x40
NDESC = {16: 0, 2: 3, 4: 4, 8: 5, 32: 6, 64: 7}
U64_MAX_BOTH = 2 | 2 << 2       # consume: abandon and reclaim never


def header(mpsc=False, hostile=False, ndesc=16, big=False, seq=0, pos=0,
           badtail=None, now=0):
    h = (HDR_MPSC if mpsc else 0) | (HDR_HOSTILE if hostile else 0)
    h |= NDESC[ndesc] << 2 | (HDR_16K if big else 0)
    if badtail is not None:
        h |= HDR_BADTAIL
    b = bytes([h]) + struct.pack('<II', seq, pos)
    if badtail is not None:
        b += struct.pack('<Q', badtail)
    return b + bytes([now])


def reserve(n):
    return bytes([0, n]) if n < 192 else bytes([0, 0xff]) + struct.pack('<H', n)


def commit(idx=0, shorter=None, pri=14, fields=False):
    b = (1 if shorter is not None else 0) | (2 if fields else 0)
    out = bytes([2, idx, b])
    if shorter is not None:
        out += struct.pack('<H', shorter)
    return out + bytes([pri])


def discard(idx=0):
    return bytes([4, idx])


def consume(sel=U64_MAX_BOTH, extra=b''):
    return bytes([5, sel]) + extra


def time(b):
    return bytes([7, b])


def forge_desc(delta, state_b=0, pos_delta=0, length=16):
    # b: bit0 seq jitter, bit1 raw state, bit2 DISCARDED, bit3 reserved
    # bits, bit4 raw pos, bit5 raw len, bit6 raw pri, bit7 raw flags
    return (bytes([11, state_b, delta]) + struct.pack('<H', 0) +
            struct.pack('<h', pos_delta) + struct.pack('<H', length) +
            struct.pack('<QII', 7, 1, 2) + bytes([14, 0]))


def forge_head(delta, pos=0):
    return bytes([12, 0, delta & 0xff]) + struct.pack('<H', pos)


def raw(op, off, payload):
    # op 8: prod page, 9: descriptors, 10: data
    if op == 8:
        a = bytes([8, off])
    elif op == 9:
        a = bytes([9]) + struct.pack('<H', off)
    else:
        a = bytes([10]) + struct.pack('<I', off)
    return a + bytes([len(payload)]) + payload


def seeds():
    s = {}
    # Honest SPSC: small records, then 4000-byte ones that lap the ring.
    b = header()
    for i in range(10):
        b += reserve(10 * i + 1) + commit(fields=bool(i & 1))
    b += consume()
    for i in range(12):
        b += reserve(4000) + commit(shorter=3000 if i & 1 else None)
        b += consume()
    s['spsc_honest'] = b
    # Honest MPSC: several outstanding, committed out of order, discards.
    b = header(mpsc=True)
    for i in range(6):
        b += reserve(100 + i) + reserve(50) + reserve(7)
        b += commit(2) + discard(1) + consume() + commit(0, shorter=3)
        b += consume()
    s['mpsc_honest'] = b
    # Counters about to wrap 2^32: sequence and position.
    b = header(ndesc=4, seq=0xfffffffc, pos=0xffffe000)
    for i in range(20):
        b += reserve(1000 + 37 * i) + commit() + consume()
    s['wrap32'] = b
    # Abandon (abandon_ns 0) and a late commit, pins, reclaim.
    b = header(mpsc=True)
    for i in range(6):
        b += reserve(64) + reserve(32) + commit(1)
        b += consume(sel=0 | 1 << 2, extra=bytes([5]))  # abandon 0, reclaim 5us
        b += time(40) + commit(0) + consume()
    s['abandon_late'] = b
    # Hostile: descriptors forged at and after the cursor, a forged head.
    b = header(mpsc=True, hostile=True)
    b += reserve(20) + commit() + reserve(20) + commit()
    b += forge_head(5, 256)
    b += forge_desc(2, 0, 0, 4000)
    b += forge_desc(3, 0, 64, 5000)
    b += forge_desc(4, 0x20, -8, 0xffff)
    b += forge_desc(5, 0x04, 0, 0)
    b += consume(sel=0) + reserve(30) + commit() + consume(sel=0)
    s['hostile_forged'] = b
    # Hostile: raw bytes over prod page, descriptors and text.
    b = header(hostile=True)
    b += reserve(40) + commit() + reserve(40) + commit()
    b += raw(8, 0, bytes(range(24)))
    b += raw(9, 0, bytes([0x02, 0, 0, 0, 0x03, 0, 0, 0] * 8))
    b += raw(10, 7900, b'\xff' * 200)
    b += consume(sel=0) + reserve(40) + commit() + consume(sel=0)
    s['hostile_raw'] = b
    # Hostile: the cursor starts from a garbage tail near the real one.
    b = header(hostile=True, mpsc=True, seq=5, pos=4096,
               badtail=0x00000003fffffff8)
    for i in range(4):
        b += reserve(40) + commit() + consume(sel=0)
    s['hostile_tail'] = b
    return s


def text_record(fields=False, owner=None, seq=0, ts=0, ring=0, cpu=0,
                pid=0, tid=0, pri=14, off=0, split=0, text=b''):
    b = bytes([(1 if fields else 0) | (2 if owner is not None else 0)])
    b += struct.pack('<QQIIIIBBH', seq, ts, ring, cpu, pid, tid, pri, off,
                     split)
    if owner is not None:
        b += struct.pack('<iI', *owner)
    return b + text


def text_seeds():
    return {
        'plain': text_record(seq=7, ts=123456789, cpu=1, pid=42, tid=43,
                             text=b'hello'),
        'fields_owner': text_record(fields=True, owner=(50, 1000),
                                    ring=2, cpu=1, pid=50, tid=51,
                                    pri=16 << 3 | 4, off=9, split=3,
                                    text=b'a\nb\\c\x01\xff\0K=v\tw'),
        'every_byte': text_record(fields=True, pri=0xff,
                                  owner=(-1, 0xffffffff),
                                  text=bytes(range(256)) * 16),
        'widest': text_record(seq=2**64 - 1, ts=2**64 - 1, ring=2**32 - 1,
                              cpu=2**32 - 1, pid=2**32 - 1, tid=2**32 - 1,
                              pri=23 << 3 | 7, owner=(2**31 - 1, 2**32 - 1),
                              off=255, split=4095, text=b'\xff' * 4096),
    }


# archive: a flags byte (bits 0-1 piece sizes, bit 2 a long run), a
# 16-bit seed, [run length, byte, place], then the stream.
def archive_stream(stream, pieces=0, seed=1, run=None):
    b = bytes([pieces | (4 if run else 0)]) + struct.pack('<H', seed)
    if run:
        b += bytes([run[0], run[1]]) + struct.pack('<H', run[2])
    return b + stream


def archive_seeds():
    lines = (b'7,123456789,0,1,42,43,3,6,-;hello\n'
             b'# mcrring: 785 records lost\n'
             b'785,1,0,0,1,1,1,6,-;x\n'
             b'8,1,2,1,50,51,16,4,50/1000;'
             b'a\\x0ab\\x5cc\\x01\\xff\tK=v\\x09w\n'
             b'garbage\n1,2,3,4,5,6,24,0,-;facility out of range\n')
    longest = (b'18446744073709551615,18446744073709551615,4294967295,'
               b'4294967295,4294967295,4294967295,23,7,'
               b'2147483647/4294967295;' + b'\\xff' * 4096 + b'\n')
    return {
        'lines': archive_stream(lines),
        'lines_small_pieces': archive_stream(lines, pieces=1, seed=77),
        'edges': archive_stream(b'0,0,0,0,0,0,0,0,1/0;\n'
                                b'# mcrring: 0 records lost\n'
                                b'9,9,9,9,9,9,9,7,9/9;\\x00\n'
                                b'10,10,10,10,10,10,10,7,10/10;\\x7f\t\n'),
        'longest_line': archive_stream(longest, pieces=3, seed=5),
        'too_long': archive_stream(b'1,1,0,0,1,1,1,6,-;' + b'z' * 4097 +
                                   b'\n' + lines, pieces=2),
        'overflow_buffer': archive_stream(b'1,1,0,0,1,1,1,6,-;\n' + lines,
                                          pieces=2, run=(16, ord('z'), 18)),
        # mcr_archive_next() accepted these; the module never prints them.
        'regress-leading-zero':
            archive_stream(b'007,1,0,0,1,1,1,6,-;leading zero\n'),
        'regress-sign': archive_stream(b'+7,1,0,0,1,1,1,6,-;sign\n'),
        'regress-space': archive_stream(b'7, 1,0,0,1,1,1,6,-;space\n'),
        'regress-u32-overflow':
            archive_stream(b'7,1,4294967296,0,1,1,1,6,-;ring wraps to 0\n'),
        'regress-owner-overflow':
            archive_stream(b'7,1,0,0,1,1,1,6,4294967297/0;owner 1\n'),
        'regress-u64-overflow':
            archive_stream(b'18446744073709551617,1,0,0,1,1,1,6,-;x\n'),
        'regress-owner-no-semicolon':
            archive_stream(b'1,2,3,4,5,6,7,0,5/6xhello\n'),
        'regress-needless-escape':
            archive_stream(b'1,2,3,4,5,6,7,0,-;\\x41 needs none\n'),
        'regress-raw-control':
            archive_stream(b'1,2,3,4,5,6,7,0,-;raw \x01 \x00 \x80\n'),
        'regress-nul-escape-with-fields':
            archive_stream(b'1,2,3,4,5,6,7,0,-;nul \\x00 and\tfield\n'),
        'regress-lost-sign':
            archive_stream(b'# mcrring: +5 records lost\n1,2,3,4,5,6,7,0,-;x\n'),
        'regress-lost-space':
            archive_stream(b'# mcrring: 5records\tlost\n1,2,3,4,5,6,7,0,-;x\n'),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for target, make in (('consume', seeds), ('text', text_seeds),
                         ('archive', archive_seeds)):
        out = os.path.join(here, 'corpus', target)
        os.makedirs(out, exist_ok=True)
        for name, data in make().items():
            with open(os.path.join(out, name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
