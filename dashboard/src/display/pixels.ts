// The agent's BGRX rows to the RGBA a canvas takes (alpha forced opaque: the qube cannot make its window see-through).

export function bgrxToRgba(src: Uint8Array, out: Uint8ClampedArray): void {
  for (let i = 0; i + 3 < src.length; i += 4) {
    out[i] = src[i + 2]!;
    out[i + 1] = src[i + 1]!;
    out[i + 2] = src[i]!;
    out[i + 3] = 255;
  }
}
