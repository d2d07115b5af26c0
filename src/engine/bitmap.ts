/** The user ids whose bits are set in a Redis bitmap, ascending (bit 0 is the high bit of byte 0). */
export function bitmapIds(bitmap: Buffer, offset = 0): number[] {
  const ids: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    const value = bitmap[byte]!;
    if (value === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (value & (0x80 >> bit)) ids.push(offset + byte * 8 + bit);
    }
  }
  return ids;
}
