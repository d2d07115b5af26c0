/**
 * The user ids whose bits are set in a Redis bitmap, ascending (bit 0 is the high bit of byte 0), each plus
 * `offset`, appended to `into` (a new array by default), which is returned.
 */
export function bitmapIds(bitmap: Buffer, offset = 0, into: number[] = []): number[] {
  for (let byte = 0; byte < bitmap.length; byte++) {
    let value = bitmap[byte]!;
    while (value !== 0) {
      const bit = Math.clz32(value) - 24;
      into.push(offset + byte * 8 + bit);
      value &= ~(0x80 >> bit);
    }
  }
  return into;
}
