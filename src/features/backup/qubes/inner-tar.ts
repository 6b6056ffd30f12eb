// The inner archive of one backed-up file, parsed as it streams in: plain members and pax GNU sparse 1.0 (Qubes' tarwriter), bounded (pure).
import { fail } from './errors.js';
import { BLOCK, checkMemberName, isZeroBlock, paddedSize, parsePax, parseTarHeader, MAX_PAX_BYTES } from './tar-header.js';

export interface InnerSink {
  /** A member begins: its name (a checked relative path) and its real (unsparsed) size. */
  begin(name: string, realSize: number): void;
  /** Bytes of the current member at `offset` (increasing; holes between them read as zeros). */
  data(offset: number, bytes: Buffer): void;
  end(): void;
}

export interface InnerTarOptions {
  /** Largest real size of a member. */
  maxRealSize: number;
  /** Most members (Qubes puts exactly one file in each inner archive). */
  maxMembers?: number;
}

/** Largest sparse map text (each entry is two decimal numbers). */
const MAX_SPARSE_MAP_BYTES = 32 * 1024 * 1024;

interface Segment {
  offset: number;
  length: number;
}
type State =
  | { kind: 'header' }
  | { kind: 'meta'; type: string; size: number; parts: Buffer[]; got: number }
  | { kind: 'map'; entrySize: number; parts: Buffer[]; got: number; name: string; realSize: number }
  | { kind: 'data'; segs: Segment[]; seg: number; segLeft: number; padLeft: number }
  | { kind: 'end' };

export class InnerTarParser {
  private state: State = { kind: 'header' };
  private head: Buffer[] = [];
  private headGot = 0;
  private pax: Map<string, string> | null = null;
  private longName: string | null = null;
  private members = 0;

  constructor(
    private readonly where: string,
    private readonly sink: InnerSink,
    private readonly opts: InnerTarOptions,
  ) {}

  push(chunk: Buffer): void {
    let c = chunk;
    while (c.length > 0) c = this.step(c);
  }

  /** The stream ended: it must have ended its archive (two zero blocks) after whole members. */
  finish(): void {
    if (this.state.kind !== 'end') fail(this.where, 'the inner archive ends early (a chunk is missing at the end, or the data is truncated)');
    if (this.members === 0) fail(this.where, 'the inner archive holds no file');
  }

  private step(c: Buffer): Buffer {
    const s = this.state;
    switch (s.kind) {
      case 'header': {
        const take = Math.min(BLOCK - this.headGot, c.length);
        this.head.push(c.subarray(0, take));
        this.headGot += take;
        if (this.headGot === BLOCK) {
          const block = Buffer.concat(this.head);
          this.head = [];
          this.headGot = 0;
          this.onHeader(block);
        }
        return c.subarray(take);
      }
      case 'meta': {
        const want = paddedSize(s.size);
        const take = Math.min(want - s.got, c.length);
        s.parts.push(c.subarray(0, take));
        s.got += take;
        if (s.got === want) this.onMeta(s.type, Buffer.concat(s.parts).subarray(0, s.size));
        return c.subarray(take);
      }
      case 'map': {
        const take = Math.min(BLOCK - (s.got % BLOCK), c.length);
        s.parts.push(c.subarray(0, take));
        s.got += take;
        if (s.got % BLOCK === 0) this.onMapBlock(s);
        return c.subarray(take);
      }
      case 'data': {
        if (s.seg < s.segs.length) {
          const seg = s.segs[s.seg]!;
          const take = Math.min(s.segLeft, c.length);
          if (take > 0) this.sink.data(seg.offset + seg.length - s.segLeft, c.subarray(0, take));
          s.segLeft -= take;
          while (s.segLeft === 0 && s.seg < s.segs.length) {
            s.seg += 1;
            s.segLeft = s.segs[s.seg]?.length ?? 0;
          }
          if (s.seg === s.segs.length && s.padLeft === 0) this.endMember();
          return c.subarray(take);
        }
        const take = Math.min(s.padLeft, c.length);
        s.padLeft -= take;
        if (s.padLeft === 0) this.endMember();
        return c.subarray(take);
      }
      case 'end': {
        for (const b of c) if (b !== 0) fail(this.where, 'data after the end of the inner archive');
        return c.subarray(c.length);
      }
    }
  }

  private onHeader(block: Buffer): void {
    if (isZeroBlock(block)) {
      if (this.pax || this.longName) fail(this.where, 'the inner archive ends after an extended header');
      this.state = { kind: 'end' };
      return;
    }
    const h = parseTarHeader(block, this.where);
    if (h.type === 'x' || h.type === 'g' || h.type === 'L') {
      if (h.size > MAX_PAX_BYTES) fail(this.where, 'extended header is too large');
      this.state = { kind: 'meta', type: h.type, size: h.size, parts: [], got: 0 };
      if (h.size === 0) this.onMeta(h.type, Buffer.alloc(0));
      return;
    }
    const pax = this.pax;
    const rawName = pax?.get('GNU.sparse.name') ?? pax?.get('path') ?? this.longName ?? h.name;
    this.pax = null;
    this.longName = null;
    if (h.type === '5') {
      if (h.size !== 0) fail(this.where, 'a directory member carries data');
      return;
    }
    if (h.type !== '0') fail(this.where, `inner member '${h.name.slice(0, 80)}' has tar type '${h.type}' (only files are restored)`);
    this.members += 1;
    if (this.members > (this.opts.maxMembers ?? 16)) fail(this.where, 'the inner archive holds too many members');
    const name = checkMemberName(rawName, this.where);
    const size = pax?.has('size') ? decimal(pax.get('size')!, 'pax size', this.where) : h.size;
    const major = pax?.get('GNU.sparse.major');
    if (major !== undefined || pax?.has('GNU.sparse.map') || pax?.has('GNU.sparse.size')) {
      if (major !== '1' || pax?.get('GNU.sparse.minor') !== '0')
        fail(this.where, `GNU sparse format ${major ?? '0.x'}.${pax?.get('GNU.sparse.minor') ?? ''} is not supported (only 1.0, as Qubes writes)`);
      const realSize = decimal(pax!.get('GNU.sparse.realsize') ?? '', 'GNU.sparse.realsize', this.where);
      this.checkReal(realSize);
      if (size < BLOCK) fail(this.where, 'sparse member is too short for its map');
      this.state = { kind: 'map', entrySize: size, parts: [], got: 0, name, realSize };
      return;
    }
    this.checkReal(size);
    this.sink.begin(name, size);
    this.startData(size > 0 ? [{ offset: 0, length: size }] : [], paddedSize(size) - size);
  }

  private onMeta(type: string, data: Buffer): void {
    if (type === 'x') this.pax = parsePax(data, this.where);
    if (type === 'L') this.longName = data.toString('utf8').replace(/\0+$/, '');
    this.state = { kind: 'header' };
  }

  private onMapBlock(s: Extract<State, { kind: 'map' }>): void {
    if (s.got > MAX_SPARSE_MAP_BYTES || s.got > s.entrySize) fail(this.where, 'sparse map is too large');
    const text = Buffer.concat(s.parts).toString('latin1');
    const nums: number[] = [];
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      nums.push(decimal(text.slice(pos, nl), 'sparse map entry', this.where));
      pos = nl + 1;
      if (nums.length >= 1 && nums.length === 1 + 2 * nums[0]!) break;
    }
    if (nums.length === 0 || nums.length < 1 + 2 * nums[0]!) {
      if (text.indexOf('\0') >= 0) fail(this.where, 'sparse map ends before its entries');
      return; // the map goes on in the next block
    }
    for (const ch of text.slice(pos)) if (ch !== '\0') fail(this.where, 'sparse map is followed by stray bytes');
    const segs: Segment[] = [];
    let dataBytes = 0;
    let lastEnd = 0;
    for (let i = 0; i < nums[0]!; i++) {
      const offset = nums[1 + 2 * i]!;
      const length = nums[2 + 2 * i]!;
      if (offset < lastEnd) fail(this.where, 'sparse map entries overlap or are out of order');
      if (offset + length > s.realSize) fail(this.where, 'sparse map entry lies beyond the real size');
      lastEnd = offset + length;
      dataBytes += length;
      if (length > 0) segs.push({ offset, length });
    }
    if (s.got + dataBytes !== s.entrySize) fail(this.where, `sparse member size ${s.entrySize} does not match its map (${s.got} + ${dataBytes})`);
    this.sink.begin(s.name, s.realSize);
    this.startData(segs, paddedSize(s.entrySize) - s.entrySize);
  }

  private startData(segs: Segment[], pad: number): void {
    this.state = { kind: 'data', segs, seg: 0, segLeft: segs[0]?.length ?? 0, padLeft: pad };
    if (segs.length === 0 && pad === 0) this.endMember();
  }

  private endMember(): void {
    this.sink.end();
    this.state = { kind: 'header' };
  }

  private checkReal(n: number): void {
    if (n > this.opts.maxRealSize) fail(this.where, `the file is ${n} bytes, more than the ${this.opts.maxRealSize} accepted`);
  }
}

function decimal(v: string, what: string, where: string): number {
  if (!/^[0-9]{1,15}$/.test(v)) fail(where, `${what} '${v.slice(0, 20)}' is not a number`);
  return Number(v);
}
