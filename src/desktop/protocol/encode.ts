// Encodes a display-protocol message to bytes: a 12-byte little-endian header and the body.
import { HEADER_BYTES, TYPE, type Message } from './types.js';

const utf8 = new TextEncoder();

function body(m: Message): Uint8Array {
  const fixed = (words: number[], signed: boolean[] = []): Uint8Array => {
    const out = new Uint8Array(words.length * 4);
    const v = new DataView(out.buffer);
    words.forEach((w, i) => (signed[i] ? v.setInt32(i * 4, w, true) : v.setUint32(i * 4, w >>> 0, true)));
    return out;
  };
  switch (m.kind) {
    case 'create':
      return fixed([m.x, m.y, m.width, m.height, (m.popup ? 1 : 0) | (m.fullscreen ? 2 : 0), m.transientFor], [true, true]);
    case 'configure':
      return fixed([m.x, m.y, m.width, m.height], [true, true]);
    case 'map':
    case 'unmap':
    case 'destroy':
    case 'close':
    case 'redraw':
      return new Uint8Array(0);
    case 'title':
      return utf8.encode(m.title);
    case 'pixels': {
      const out = new Uint8Array(16 + m.data.length);
      out.set(fixed([m.x, m.y, m.width, m.height]), 0);
      out.set(m.data, 16);
      return out;
    }
    case 'hello':
      return fixed([m.version, m.screenWidth, m.screenHeight]);
    case 'key':
      return fixed([m.keysym, m.pressed ? 1 : 0, m.state]);
    case 'button':
      return fixed([m.button, m.pressed ? 1 : 0, m.x, m.y], [false, false, true, true]);
    case 'motion':
      return fixed([m.x, m.y], [true, true]);
    case 'resize':
      return fixed([m.width, m.height]);
    case 'focus':
      return fixed([m.focused ? 1 : 0]);
    case 'qube': {
      const name = utf8.encode(m.name);
      const out = new Uint8Array(4 + name.length);
      out.set(fixed([m.colour]), 0);
      out.set(name, 4);
      return out;
    }
  }
}

export function encode(m: Message): Uint8Array {
  const b = body(m);
  const out = new Uint8Array(HEADER_BYTES + b.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, TYPE[m.kind], true);
  v.setUint32(4, m.window >>> 0, true);
  v.setUint32(8, b.length, true);
  out.set(b, HEADER_BYTES);
  return out;
}
