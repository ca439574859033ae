/** The floor's activity: does nothing (bench only). */
export function benchNoop(i: number): Promise<number> {
  return Promise.resolve(i);
}
