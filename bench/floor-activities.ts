/** The floor's activity: does nothing (bench only). */
export async function benchNoop(i: number): Promise<number> {
  return i;
}
